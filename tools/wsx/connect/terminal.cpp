// `wsx connect`'s terminal; see terminal.hpp.
#include "connect/terminal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <sys/ioctl.h>
#include <unistd.h>

namespace wsx::tools {
namespace {

constexpr std::size_t kDefaultColumns = 80;

void write_out(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {  // a terminal that is this slow: wait for it
            (void)::usleep(1000);
            continue;
        }
        if (n <= 0) {
            return;  // the terminal is gone: nothing to draw on
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::size_t columns() {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    return kDefaultColumns;
}

}  // namespace

bool Terminal::start(std::string prompt) {
    const char* term = std::getenv("TERM");
    if (active() || ::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1
        || (term != nullptr && std::strcmp(term, "dumb") == 0)
        || ::tcgetattr(STDIN_FILENO, &saved_) != 0) {
        return false;
    }
    termios raw = saved_;
    raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | IXON | INLCR | IGNCR);
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | IEXTEN);  // ISIG kept: Ctrl-C signals
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
        return false;
    }
    editor_.emplace(std::move(prompt));
    draw();
    return true;
}

void Terminal::stop() {
    if (!active()) {
        return;
    }
    std::fflush(stdout);
    write_out(LineEditor::erase());
    (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    editor_.reset();
    hidden_ = 0;
}

LineEditor::Input Terminal::feed(std::string_view keys) {
    LineEditor::Input in = editor_->feed(keys);
    for (const std::string& line : in.lines) {  // what was sent stays on screen, whole
        std::string shown(LineEditor::erase());
        shown += editor_->prompt();
        shown += line;
        shown += "\r\n";
        write_out(shown);
    }
    if (hidden_ == 0) {
        draw();
    }
    return in;
}

void Terminal::hide() {
    if (active() && hidden_++ == 0) {
        write_out(LineEditor::erase());
    }
}

void Terminal::show() {
    if (active() && hidden_ > 0 && --hidden_ == 0) {
        std::fflush(stdout);
        std::cerr.flush();
        draw();
    }
}

void Terminal::draw() {
    write_out(editor_->render(columns()));
}

}  // namespace wsx::tools
