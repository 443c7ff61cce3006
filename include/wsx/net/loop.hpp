// The event loop: epoll readiness (level-triggered), one-shot timers, deferred calls (the only
// thread-safe entry point) and signals through signalfd. One loop per thread; every object
// registered with a loop is used on that loop's thread only.
//
//     auto loop = wsx::net::Loop::create();
//     (*loop)->add_timer(1000, [&] { (*loop)->stop(); });
//     (*loop)->run();
//
// Lifetime: run() dispatches a batch of readiness events, then runs the deferred calls, then the
// timers that are due. Objects a handler wants gone are freed from a deferred call, so later
// events of the same batch never see freed memory.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <queue>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

/// Monotonic milliseconds.
using TimeMs = std::int64_t;

/// Readiness interest and events.
struct Interest {
    bool read = false;
    bool write = false;
    bool hangup = true;  // report the peer's FIN (EPOLLRDHUP) as readable, even without `read`
};

/// What a registered fd reports: readable, writable, or error/hang-up (reported as both, so the
/// next read or write returns the error).
class IoHandler {
public:
    virtual void on_io(bool readable, bool writable) = 0;

protected:
    IoHandler() = default;
    IoHandler(const IoHandler&) = default;
    IoHandler& operator=(const IoHandler&) = default;
    ~IoHandler() = default;
};

using TimerId = std::uint64_t;

class Loop {
public:
    /// Creates a loop. Also ignores SIGPIPE process-wide: a write to a closed socket must be an
    /// EPIPE error, not a signal.
    [[nodiscard]] static Result<std::unique_ptr<Loop>> create();

    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
    ~Loop();

    /// Registers `fd`; `handler` must outlive the registration.
    [[nodiscard]] std::error_code add(int fd, Interest interest, IoHandler& handler);

    [[nodiscard]] std::error_code modify(int fd, Interest interest, IoHandler& handler);

    /// Deregisters `fd` (call before closing it).
    void remove(int fd) noexcept;

    /// Calls `fn` once, `delay_ms` from now (on the loop's cached clock).
    TimerId add_timer(TimeMs delay_ms, std::function<void()> fn);

    /// Cancels a timer that has not fired; a no-op otherwise.
    void cancel_timer(TimerId id) noexcept;

    /// Calls `fn` on the loop thread after the current batch of events. Thread-safe.
    void defer(std::function<void()> fn);

    /// Routes `signals` to `fn` on the loop thread (signalfd); they are blocked for the calling
    /// thread, so call this before starting other threads.
    [[nodiscard]] std::error_code on_signals(std::initializer_list<int> signals,
                                             std::function<void(int)> fn);

    /// Runs until stop().
    void run();

    /// Runs one iteration: waits at most `max_wait_ms` (0: not at all) for events, then handles
    /// them, the deferred calls and the timers due. For blocking APIs built on a loop.
    void run_once(TimeMs max_wait_ms);

    /// Makes run() return after the current iteration. Thread-safe.
    void stop();

    /// The monotonic clock, read once per iteration.
    [[nodiscard]] TimeMs now() const noexcept { return now_; }

    /// Reads the clock again (for code that runs long inside one iteration).
    TimeMs update_now() noexcept;

private:
    Loop() = default;
    [[nodiscard]] std::error_code control(int op, int fd, Interest interest, IoHandler& handler);
    void run_deferred();
    [[nodiscard]] bool iterate(int max_wait_ms);
    void run_timers();
    [[nodiscard]] int next_timeout_ms() const noexcept;

    class Waker;
    class SignalWatcher;

    UniqueFd epoll_;
    UniqueFd wake_fd_;
    std::unique_ptr<Waker> waker_;
    std::unique_ptr<SignalWatcher> signals_;
    TimeMs now_ = 0;
    bool stopping_ = false;

    std::mutex deferred_mutex_;
    std::vector<std::function<void()>> deferred_;

    struct TimerEntry {
        TimeMs due;
        TimerId id;

        bool operator>(const TimerEntry& o) const noexcept {
            return due != o.due ? due > o.due : id > o.id;
        }
    };

    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timer_queue_;
    std::unordered_map<TimerId, std::function<void()>> timers_;
    TimerId next_timer_id_ = 1;
};

}  // namespace wsx::net
