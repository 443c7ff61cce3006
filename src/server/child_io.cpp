// Child process plumbing; see child_io.hpp.
#include "child_io.hpp"

#include <cerrno>
#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

#include "wsx/net/log.hpp"

namespace wsx::detail {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxStderrLine = 4096;

}  // namespace

ChildIo::ChildIo(net::Loop& loop, net::ChildProcess child, std::string log_prefix,
                 net::TimeMs kill_grace_ms)
    : loop_(loop),
      child_(std::move(child)),
      prefix_(std::move(log_prefix)),
      kill_grace_ms_(kill_grace_ms) {
    stdout_registered_ = !loop_.add(child_.stdout_fd.get(), {.read = true}, stdout_watch_);
    stderr_registered_ = !loop_.add(child_.stderr_fd.get(), {.read = true}, stderr_watch_);
    pidfd_registered_ = !loop_.add(child_.pidfd.get(), {.read = true}, exit_watch_);
    stdin_registered_ = !loop_.add(child_.stdin_fd.get(), {}, stdin_watch_);
    if (child_.control_fd.valid()) {
        control_registered_ = !loop_.add(child_.control_fd.get(), {.read = true}, control_watch_);
    }
}

ChildIo::~ChildIo() {
    loop_.cancel_timer(kill_timer_);
    if (!exited_) {
        // The server is going away with the process still running: it must not outlive us.
        net::signal_process(child_, SIGKILL);
        int status = 0;
        while (::waitpid(child_.pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    close_fd(child_.stdin_fd, stdin_registered_);
    close_fd(child_.stdout_fd, stdout_registered_);
    close_fd(child_.stderr_fd, stderr_registered_);
    close_fd(child_.pidfd, pidfd_registered_);
    close_fd(child_.control_fd, control_registered_);
}

void ChildIo::close_fd(net::UniqueFd& fd, bool& registered) {
    if (fd.valid()) {
        if (registered) {
            loop_.remove(fd.get());
            registered = false;
        }
        fd.reset();
    }
}

void ChildIo::write_stdin(std::string_view data) {
    if (!child_.stdin_fd.valid()) {
        return;
    }
    stdin_queue_.append(data);
    flush_stdin();
}

void ChildIo::close_stdin_when_written() {
    close_stdin_after_queue_ = true;
    flush_stdin();
}

void ChildIo::flush_stdin() {
    if (!child_.stdin_fd.valid()) {
        return;
    }
    while (!stdin_queue_.empty()) {
        const ssize_t n = ::write(child_.stdin_fd.get(), stdin_queue_.data(), stdin_queue_.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n < 0) {  // EPIPE: the process closed its stdin; drop what it will not read
            stdin_queue_.clear();
            close_fd(child_.stdin_fd, stdin_registered_);
            on_stdin_level(0);
            return;
        }
        stdin_queue_.erase(0, static_cast<std::size_t>(n));
    }
    if (stdin_queue_.empty() && close_stdin_after_queue_) {
        close_fd(child_.stdin_fd, stdin_registered_);
    } else if (stdin_registered_) {
        (void)loop_.modify(child_.stdin_fd.get(), {.write = !stdin_queue_.empty()}, stdin_watch_);
    }
    on_stdin_level(stdin_queue_.size());
}

void ChildIo::pause_stdout(bool paused) {
    if (stdout_paused_ == paused || !child_.stdout_fd.valid()) {
        stdout_paused_ = paused;
        return;
    }
    stdout_paused_ = paused;
    if (stdout_registered_) {
        (void)loop_.modify(child_.stdout_fd.get(), {.read = !paused}, stdout_watch_);
    }
    if (!paused) {
        read_stdout();
    }
}

void ChildIo::read_stdout() {
    char buf[kReadChunk];
    while (!stdout_paused_ && child_.stdout_fd.valid()) {
        const ssize_t n = ::read(child_.stdout_fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return;
        }
        if (n <= 0) {
            close_fd(child_.stdout_fd, stdout_registered_);
            on_stdout_end();
            return;
        }
        on_stdout(std::string_view(buf, static_cast<std::size_t>(n)));
    }
}

void ChildIo::read_stderr() {
    char buf[kReadChunk];
    while (child_.stderr_fd.valid()) {
        const ssize_t n = ::read(child_.stderr_fd.get(), buf, sizeof buf);
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(child_.stderr_fd, stderr_registered_);
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        stderr_buf_.append(buf, static_cast<std::size_t>(n));
        for (auto nl = stderr_buf_.find('\n'); nl != std::string::npos;
             nl = stderr_buf_.find('\n')) {
            net::log_warn(prefix_, " stderr: ", std::string_view(stderr_buf_).substr(0, nl));
            stderr_buf_.erase(0, nl + 1);
        }
        if (stderr_buf_.size() > kMaxStderrLine) {
            net::log_warn(prefix_, " stderr: ", stderr_buf_);
            stderr_buf_.clear();
        }
    }
}

void ChildIo::read_control() {
    char buf[kReadChunk];
    while (child_.control_fd.valid()) {
        const ssize_t n = ::read(child_.control_fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return;
        }
        if (n <= 0) {
            close_fd(child_.control_fd, control_registered_);
            return;
        }
        on_control(std::string_view(buf, static_cast<std::size_t>(n)));
    }
}

void ChildIo::terminate() {
    stdin_queue_.clear();
    close_fd(child_.stdin_fd, stdin_registered_);
    if (exited_ || kill_timer_ != 0) {
        return;
    }
    net::signal_process(child_, SIGTERM);
    sent_sigterm_ = true;
    kill_timer_ = loop_.add_timer(kill_grace_ms_, [this] {
        kill_timer_ = 0;
        net::log_warn(prefix_, ": process ", child_.pid, " ignored SIGTERM; SIGKILL");
        net::signal_process(child_, SIGKILL);
    });
}

void ChildIo::reap() {
    const int status = net::reap_process(child_);
    if (status < 0) {
        return;
    }
    exited_ = true;
    loop_.cancel_timer(kill_timer_);
    kill_timer_ = 0;
    close_fd(child_.pidfd, pidfd_registered_);
    read_control();  // its last commands (a publish) before its last messages
    read_stdout();   // what it wrote before exiting still goes out
    read_stderr();
    if (!stderr_buf_.empty()) {
        net::log_warn(prefix_, " stderr: ", stderr_buf_);
        stderr_buf_.clear();
    }
    on_exit(status);
}

}  // namespace wsx::detail
