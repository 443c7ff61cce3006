// The event loop: epoll readiness (level-triggered), one-shot timers (intrusive ones, see
// timer.hpp, and callback ones built on them), deferred calls (the only thread-safe entry point)
// and signals through signalfd. One loop per thread; every object registered with a loop is used
// on that loop's thread only. Rule: moves readiness and time, never bytes of a protocol.
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
#include <system_error>
#include <unordered_map>
#include <vector>

#include "wsx/net/timer.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/result.hpp"

namespace wsx::net {

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

    /// Arms `t` to call `t.on_timer()` once at `due_at` (absolute loop time, see now()); if `t`
    /// is armed already it is moved, O(log n) and without allocating (Timer's destructor
    /// disarms it). Timers due at the same time fire in the order they were armed.
    void arm(Timer& t, TimeMs due_at);

    /// Disarms `t`; a no-op if it is not armed.
    void disarm(Timer& t) noexcept;

    /// Calls `fn` once, `delay_ms` from now (on the loop's cached clock).
    TimerId add_timer(TimeMs delay_ms, std::function<void()> fn);

    /// Cancels a timer that has not fired, freeing its entry at once; a no-op otherwise.
    void cancel_timer(TimerId id) noexcept;

    /// The timers the loop holds: armed intrusive timers plus pending add_timer() ones. Both
    /// leave at once when disarmed or cancelled, so this is bounded by the live timers.
    [[nodiscard]] std::size_t timer_count() const noexcept { return timers_.size(); }

    /// Calls `fn` on the loop thread after the current batch of events. Thread-safe. A call that
    /// has not run when the loop is destroyed is dropped, not run.
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

    // An add_timer() timer: an intrusive Timer with its function, kept until it fires or is
    // cancelled (unordered_map nodes do not move, so the heap may point into them).
    struct CallbackTimer final : Timer {
        CallbackTimer(Loop& l, TimerId i, std::function<void()> f)
            : Timer(l), id(i), fn(std::move(f)) {}

        void on_timer() override;

        TimerId id;
        std::function<void()> fn;
    };

    TimerHeap timers_;
    std::unordered_map<TimerId, CallbackTimer> callbacks_;
    TimerId next_timer_id_ = 1;
};

}  // namespace wsx::net
