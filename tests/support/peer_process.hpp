// A peer server in a child process (a Python or Node script, or `wsx serve`), for client tests:
// started with the machine's environment, its port read from a "listening PORT" line (or
// wsx's "listening on ADDRESS:PORT") on stdout or stderr within a bounded time. A thread keeps
// reading that stream (so a chatty peer never blocks on a full pipe); its lines can be awaited
// with a timeout. Killed and reaped by the destructor.
#pragma once

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wsx/net/process.hpp"

extern char** environ;

namespace wsx::test {

class PeerProcess {
public:
    /// `from_stderr`: the port line comes on stderr (wsx serve logs there).
    PeerProcess(std::vector<std::string> argv, bool from_stderr = false) {
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e) {
            env.emplace_back(*e);
        }
        auto child = net::spawn_process({.path = argv[0], .argv = argv, .env = env});
        if (!child) {
            return;
        }
        child_ = std::move(*child);
        const int fd = from_stderr ? child_.stderr_fd.get() : child_.stdout_fd.get();
        reader_ = std::thread([this, fd] { drain(fd); });
        const std::regex port_line(R"(listening (on \S+:)?(\d+))");
        std::string line;
        while (port_ == 0 && read_line(line, 20'000)) {
            std::smatch m;
            if (std::regex_search(line, m, port_line)) {
                port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
            }
        }
    }

    PeerProcess(const PeerProcess&) = delete;
    PeerProcess& operator=(const PeerProcess&) = delete;

    ~PeerProcess() {
        if (child_.pid > 0) {
            ::kill(child_.pid, SIGKILL);
            int status = 0;
            while (::waitpid(child_.pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        if (reader_.joinable()) {
            reader_.join();  // the pipe is at EOF now
        }
    }

    /// 0 if the peer did not start.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    /// The next line of output, waiting at most `timeout_ms`.
    bool read_line(std::string& line, int timeout_ms) {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return !lines_.empty() || eof_; })
            || lines_.empty()) {
            return false;
        }
        line = std::move(lines_.front());
        lines_.pop_front();
        return true;
    }

private:
    void drain(int fd) {
        std::string buf;
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 1000) < 0 && errno != EINTR) {
                break;
            }
            char chunk[4096];
            const ssize_t n = ::read(fd, chunk, sizeof chunk);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            buf.append(chunk, static_cast<std::size_t>(n));
            std::lock_guard lock(mutex_);
            for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
                lines_.push_back(buf.substr(0, nl));
                buf.erase(0, nl + 1);
            }
            ready_.notify_all();
        }
        std::lock_guard lock(mutex_);
        eof_ = true;
        ready_.notify_all();
    }

    net::ChildProcess child_;
    std::uint16_t port_ = 0;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> lines_;
    bool eof_ = false;
};

}  // namespace wsx::test
