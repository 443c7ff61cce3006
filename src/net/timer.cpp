// The indexed binary heap behind Loop::arm(); see timer.hpp. Rule: every move of a Timer* in
// heap_ goes through place(), so each timer's slot_ always names where it is.
#include "wsx/net/timer.hpp"

#include "wsx/net/loop.hpp"

namespace wsx::net {

Timer::~Timer() {
    if (armed()) {
        loop_->disarm(*this);  // a loop that went first left every timer disarmed (clear())
    }
}

bool TimerHeap::before(std::size_t a, std::size_t b) const noexcept {
    const Timer& x = *heap_[a];
    const Timer& y = *heap_[b];
    return x.due_ != y.due_ ? x.due_ < y.due_ : static_cast<std::int32_t>(x.seq_ - y.seq_) < 0;
}

void TimerHeap::place(std::size_t slot, Timer* t) noexcept {
    heap_[slot] = t;
    t->slot_ = static_cast<std::uint32_t>(slot);  // fewer timers than 2^32: one per connection
}

void TimerHeap::sift_up(std::size_t slot) noexcept {
    while (slot > 0) {
        const std::size_t parent = (slot - 1) / 2;
        if (!before(slot, parent)) {
            return;
        }
        Timer* p = heap_[parent];
        place(parent, heap_[slot]);
        place(slot, p);
        slot = parent;
    }
}

void TimerHeap::sift_down(std::size_t slot) noexcept {
    const std::size_t n = heap_.size();
    for (;;) {
        std::size_t least = slot;
        for (const std::size_t child : {2 * slot + 1, 2 * slot + 2}) {
            if (child < n && before(child, least)) {
                least = child;
            }
        }
        if (least == slot) {
            return;
        }
        Timer* l = heap_[least];
        place(least, heap_[slot]);
        place(slot, l);
        slot = least;
    }
}

void TimerHeap::schedule(Timer& t, TimeMs due) {
    const bool in_heap = t.armed();
    t.due_ = due;
    t.seq_ = next_seq_++;
    if (!in_heap) {
        heap_.push_back(&t);
        t.slot_ = static_cast<std::uint32_t>(heap_.size() - 1);
    }
    // A moved timer goes up if it is now earlier, down if later; one of the two is a no-op.
    sift_up(t.slot_);
    sift_down(t.slot_);
}

void TimerHeap::remove(Timer& t) noexcept {
    const std::size_t slot = t.slot_;
    Timer* last = heap_.back();
    heap_.pop_back();
    if (last != &t) {
        place(slot, last);
        sift_up(slot);
        sift_down(last->slot_);
    }
    t.slot_ = Timer::kUnarmed;
}

void TimerHeap::clear() noexcept {
    for (Timer* t : heap_) {
        t->slot_ = Timer::kUnarmed;
    }
    heap_.clear();
}

}  // namespace wsx::net
