// One child process as the loop sees it, shared by executable handlers and CGI scripts: its
// stdin fed from a queue, its stdout handed over as it arrives (pausable, for backpressure), its
// stderr logged line by line, its exit noticed through the pidfd and reaped. Ending it: stdin
// closed, SIGTERM, then SIGKILL after a grace period. Destroying it with the process still alive
// kills and reaps it at once (the server is going away): no child outlives its session.
#pragma once

#include <string>
#include <string_view>

#include "wsx/net/loop.hpp"
#include "wsx/net/process.hpp"

namespace wsx::detail {

class ChildIo {
public:
    ChildIo(net::Loop& loop, net::ChildProcess child, std::string log_prefix,
            net::TimeMs kill_grace_ms);
    ChildIo(const ChildIo&) = delete;
    ChildIo& operator=(const ChildIo&) = delete;
    virtual ~ChildIo();

    /// Queues bytes for stdin and writes what the pipe takes. Dropped once stdin is closed.
    void write_stdin(std::string_view data);

    /// Closes stdin (EOF for the process) once the queue is written.
    void close_stdin_when_written();

    [[nodiscard]] std::size_t stdin_queued() const noexcept { return stdin_queue_.size(); }

    /// Stops or resumes reading stdout; resuming reads what is waiting at once.
    void pause_stdout(bool paused);

    /// Ends the process: stdin closed, SIGTERM, SIGKILL after the grace period.
    void terminate();

    [[nodiscard]] bool exited() const noexcept { return exited_; }

    /// Whether terminate() sent SIGTERM: an exit status of 128 + SIGTERM is then our doing.
    [[nodiscard]] bool sent_sigterm() const noexcept { return sent_sigterm_; }

    [[nodiscard]] bool stdout_open() const noexcept { return child_.stdout_fd.valid(); }

    [[nodiscard]] pid_t pid() const noexcept { return child_.pid; }

    [[nodiscard]] const std::string& log_prefix() const noexcept { return prefix_; }

protected:
    /// Bytes from stdout. May call pause_stdout().
    virtual void on_stdout(std::string_view data) = 0;

    /// stdout reached EOF (or failed).
    virtual void on_stdout_end() {}

    /// Bytes from the control pipe (the child's fd 3, net::ProcessSpec::control_pipe).
    virtual void on_control(std::string_view /*data*/) {}

    /// After each attempt to write stdin, with what is still queued (for backpressure), and
    /// with 0 when the process closed its stdin.
    virtual void on_stdin_level(std::size_t /*queued*/) {}

    /// The process exited and was reaped: `status` 0-255, or 128 + signal. What it wrote to
    /// stdout before exiting has been handed over first, unless stdout is paused.
    virtual void on_exit(int status) = 0;

    net::Loop& loop_;

private:
    class Watch final : public net::IoHandler {
    public:
        using Fn = void (ChildIo::*)();

        Watch(ChildIo& io, Fn fn) : io_(io), fn_(fn) {}

        void on_io(bool, bool) override { (io_.*fn_)(); }

    private:
        ChildIo& io_;
        Fn fn_;
    };

    void close_fd(net::UniqueFd& fd, bool& registered);
    void flush_stdin();
    void read_stdout();
    void read_stderr();
    void read_control();
    void reap();

    net::ChildProcess child_;
    std::string prefix_;
    net::TimeMs kill_grace_ms_;
    Watch stdin_watch_{*this, &ChildIo::flush_stdin};
    Watch stdout_watch_{*this, &ChildIo::read_stdout};
    Watch stderr_watch_{*this, &ChildIo::read_stderr};
    Watch exit_watch_{*this, &ChildIo::reap};
    Watch control_watch_{*this, &ChildIo::read_control};
    bool stdin_registered_ = false;
    bool stdout_registered_ = false;
    bool stderr_registered_ = false;
    bool pidfd_registered_ = false;
    bool control_registered_ = false;
    bool stdout_paused_ = false;
    bool close_stdin_after_queue_ = false;
    bool exited_ = false;
    bool sent_sigterm_ = false;
    std::string stdin_queue_;
    std::string stderr_buf_;
    net::TimerId kill_timer_ = 0;
};

}  // namespace wsx::detail
