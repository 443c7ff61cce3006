// Intrusive one-shot timers: a Timer lives inside its owner (a connection, a connect attempt) and
// the loop keeps only a pointer to it in an indexed binary heap, so arming, moving and disarming
// allocate nothing and cost O(log n), and a disarmed timer leaves nothing behind in the loop.
// Rule: this file schedules; it never reads a clock or touches an fd (the Loop does both).
//
//     class Conn final : wsx::net::Timer {
//         void on_timer() override { /* idle too long */ }
//         void on_read(wsx::net::Loop& loop) { loop.arm(*this, loop.now() + 30'000); }
//     };
//
// The owner derives from its timer rather than holding one and a handler pointer: a timer is
// 32 bytes with its vtable pointer, and it is part of every connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsx::net {

/// Monotonic milliseconds.
using TimeMs = std::int64_t;

class Loop;

/// One intrusive timer, armed with Loop::arm() and disarmed with Loop::disarm(): a base of its
/// owner, which overrides on_timer(); no allocation; not copyable or movable (the loop holds its
/// address while armed). Used on its loop's thread only.
class Timer {
public:
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    /// Runs when the timer falls due. It is already disarmed then, so this may re-arm it, or
    /// destroy its owner.
    virtual void on_timer() = 0;

    /// Whether the timer is in its loop's heap.
    [[nodiscard]] bool armed() const noexcept { return slot_ != kUnarmed; }

    /// The loop it belongs to (the owner may use it as its own: one pointer, not two).
    [[nodiscard]] Loop& loop() const noexcept { return *loop_; }

    /// When it falls due, in absolute loop time; valid while armed.
    [[nodiscard]] TimeMs due() const noexcept { return due_; }

protected:
    /// A timer of `loop`, and only of it.
    explicit Timer(Loop& loop) noexcept : loop_(&loop) {}

    /// Disarms itself if armed. (Virtual only because Loop, a friend, could otherwise reach a
    /// non-virtual destructor of a polymorphic class: it costs no space.)
    virtual ~Timer();

private:
    friend class Loop;
    friend class TimerHeap;

    static constexpr std::uint32_t kUnarmed = 0xffff'ffff;

    Loop* loop_;
    TimeMs due_ = 0;
    // Arming order: equal deadlines fire first armed, first fired. 32 bits, compared as a
    // wrapping difference (timers falling due in the same millisecond are armed far fewer than
    // 2^31 armings apart), so a timer is 32 bytes with its vtable pointer.
    std::uint32_t seq_ = 0;
    std::uint32_t slot_ = kUnarmed;  // index in TimerHeap::heap_ while armed
};

/// The Loop's min-heap of armed timers, ordered by (due, arming order). Each Timer knows its
/// slot, so removing or moving one is O(log n) with no search. Not for use outside Loop.
class TimerHeap {
public:
    /// Puts `t` in the heap at `due`, or moves it there if it is in already.
    void schedule(Timer& t, TimeMs due);

    /// Takes `t` out; it must be in.
    void remove(Timer& t) noexcept;

    /// The earliest timer, or null if none.
    [[nodiscard]] Timer* top() const noexcept { return heap_.empty() ? nullptr : heap_.front(); }

    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

    /// Forgets every timer, leaving each disarmed (the loop is going away).
    void clear() noexcept;

private:
    [[nodiscard]] bool before(std::size_t a, std::size_t b) const noexcept;
    void place(std::size_t slot, Timer* t) noexcept;
    void sift_up(std::size_t slot) noexcept;
    void sift_down(std::size_t slot) noexcept;

    std::vector<Timer*> heap_;
    std::uint32_t next_seq_ = 0;
};

}  // namespace wsx::net
