// Intrusive timers and the callback timers built on them. No test waits for the clock: timers
// are armed at or before Loop::now() and run_once(0) fires them.
#include "wsx/net/timer.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/net/loop.hpp"

#include "support/make_loop.hpp"

namespace wsx::net {
namespace {

constexpr TimeMs kHour = 3'600'000;

using test::make_loop;

// Appends its tag to a shared log when it fires.
struct Recorder final : Timer {
    Recorder(Loop& loop, std::vector<int>& l, int t) : Timer(loop), log(l), tag(t) {}

    void on_timer() override { log.push_back(tag); }

    std::vector<int>& log;
    int tag;
};

TEST(Timer, FiresInDeadlineOrderThenArmingOrder) {
    auto loop = make_loop();
    const TimeMs now = loop->now();
    std::vector<int> log;
    Recorder a(*loop, log, 1), b(*loop, log, 2), c(*loop, log, 3), d(*loop, log, 4);
    loop->arm(a, now - 1);
    loop->arm(b, now - 3);
    loop->arm(c, now - 2);
    loop->arm(d, now - 1);  // same deadline as a, armed after it
    EXPECT_EQ(loop->timer_count(), 4U);
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{2, 3, 1, 4}));
    EXPECT_EQ(loop->timer_count(), 0U);
}

TEST(Timer, FiresOnceAndIsThenDisarmed) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder a(*loop, log, 1);
    loop->arm(a, loop->now());
    EXPECT_TRUE(a.armed());
    EXPECT_EQ(a.due(), loop->now());
    loop->run_once(0);
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{1}));
    EXPECT_FALSE(a.armed());
}

TEST(Timer, ReArmingMovesItWithoutASecondEntry) {
    auto loop = make_loop();
    const TimeMs now = loop->now();
    std::vector<int> log;
    Recorder a(*loop, log, 1), b(*loop, log, 2);
    loop->arm(a, now - 1);
    loop->arm(b, now + kHour);
    loop->arm(a, now + kHour);  // later: must not fire now
    loop->arm(b, now - 1);      // earlier: fires now
    EXPECT_EQ(loop->timer_count(), 2U);
    EXPECT_EQ(a.due(), now + kHour);
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{2}));
    EXPECT_TRUE(a.armed());
    EXPECT_EQ(loop->timer_count(), 1U);
}

TEST(Timer, DisarmedTimerDoesNotFireAndDisarmingTwiceIsHarmless) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder a(*loop, log, 1), b(*loop, log, 2);
    loop->disarm(a);  // never armed
    loop->arm(a, loop->now() - 1);
    loop->arm(b, loop->now() - 1);
    loop->disarm(a);
    loop->disarm(a);
    EXPECT_FALSE(a.armed());
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{2}));
}

TEST(Timer, DestructorDisarms) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder kept(*loop, log, 1);
    loop->arm(kept, loop->now() - 1);
    {
        Recorder gone(*loop, log, 2);
        loop->arm(gone, loop->now() - 2);
        EXPECT_EQ(loop->timer_count(), 2U);
    }
    EXPECT_EQ(loop->timer_count(), 1U);
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{1}));
}

TEST(Timer, OutlivingItsLoopLeavesItDisarmed) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder r(*loop, log, 1);
    loop->arm(r, loop->now() + kHour);
    EXPECT_TRUE(r.armed());
    loop.reset();
    EXPECT_FALSE(r.armed());  // and its destructor touches no loop
}

// Re-arms itself `left` more times, each time for the past, then once far ahead.
struct Repeater final : Timer {
    explicit Repeater(Loop& l) : Timer(l) {}

    void on_timer() override {
        ++fired;
        EXPECT_FALSE(armed());
        loop().arm(*this, left-- > 0 ? loop().now() - 1 : loop().now() + kHour);
    }

    int left = 2;
    int fired = 0;
};

TEST(Timer, HandlerMayReArmItsOwnTimer) {
    auto loop = make_loop();
    Repeater r(*loop);
    loop->arm(r, loop->now());
    loop->run_once(0);
    EXPECT_EQ(r.fired, 3);  // due again at once: fired again in the same pass, as add_timer(0)
    EXPECT_TRUE(r.armed());
    EXPECT_EQ(loop->timer_count(), 1U);
    loop->arm(r, loop->now() - 1);
    loop->run_once(0);
    EXPECT_EQ(r.fired, 4);
}

// Disarms another timer, or destroys the owner of its own.
struct Saboteur final : Timer {
    explicit Saboteur(Loop& l) : Timer(l) {}

    void on_timer() override {
        if (victim != nullptr) {
            loop().disarm(*victim);
        }
        self.reset();
    }

    Timer* victim = nullptr;
    std::unique_ptr<Saboteur> self;
};

TEST(Timer, HandlerMayDisarmAnotherOrDestroyItsOwnOwner) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder later(*loop, log, 1);
    auto s = std::make_unique<Saboteur>(*loop);
    Saboteur& ref = *s;
    ref.victim = &later;
    ref.self = std::move(s);
    loop->arm(ref, loop->now() - 2);
    loop->arm(later, loop->now() - 1);
    loop->run_once(0);
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(loop->timer_count(), 0U);
}

TEST(Timer, TimersRunAfterTheDeferredCalls) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder t(*loop, log, 2);
    loop->arm(t, loop->now() - 1);
    loop->defer([&] { log.push_back(1); });
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{1, 2}));
}

// The heap against a sorted model: random arms, moves and disarms of many timers, then every
// survivor moved into the past keeping its relative order, then fired.
TEST(Timer, ManyRandomMovesFireInOrder) {
    auto loop = make_loop();
    constexpr int kTimers = 300;
    std::vector<int> log;
    std::vector<std::unique_ptr<Recorder>> rs;
    rs.reserve(kTimers);
    for (int i = 0; i < kTimers; ++i) {
        rs.push_back(std::make_unique<Recorder>(*loop, log, i));
    }
    std::mt19937 rng(12345);
    std::vector<std::pair<TimeMs, int>> model(kTimers, {-1, 0});  // due (-1: disarmed), seq
    int seq = 0;
    for (int step = 0; step < 20'000; ++step) {
        const auto i = static_cast<std::size_t>(rng() % kTimers);
        if (rng() % 4 == 0) {
            loop->disarm(*rs[i]);
            model[i].first = -1;
            continue;
        }
        const TimeMs due = static_cast<TimeMs>(rng() % 500);
        loop->arm(*rs[i], loop->now() + kHour + due);
        model[i] = {due, seq++};
    }
    std::vector<std::pair<std::pair<TimeMs, int>, int>> expected;
    for (int i = 0; i < kTimers; ++i) {
        if (model[static_cast<std::size_t>(i)].first >= 0) {
            expected.push_back({model[static_cast<std::size_t>(i)], i});
        }
    }
    ASSERT_EQ(loop->timer_count(), expected.size());
    std::sort(expected.begin(), expected.end());
    for (const auto& [key, i] : expected) {  // re-armed in firing order: same order, in the past
        loop->arm(*rs[static_cast<std::size_t>(i)], loop->now() - 1000 + key.first);
    }
    loop->run_once(0);
    std::vector<int> order;
    order.reserve(expected.size());
    for (const auto& e : expected) {
        order.push_back(e.second);
    }
    EXPECT_EQ(log, order);
}

TEST(Timer, AMillionReArmsKeepOneEntry) {
    auto loop = make_loop();
    std::vector<int> log;
    Recorder r(*loop, log, 1);
    for (int i = 0; i < 1'000'000; ++i) {
        loop->arm(r, loop->now() + 1000 + (i % 7));
        ASSERT_EQ(loop->timer_count(), 1U);
    }
    loop->disarm(r);
    EXPECT_EQ(loop->timer_count(), 0U);
}

TEST(LoopTimers, AMillionCancelledCallbackTimersLeaveNothingBehind) {
    auto loop = make_loop();
    int fired = 0;
    const TimerId live = loop->add_timer(kHour, [&] { ++fired; });
    for (int i = 0; i < 1'000'000; ++i) {
        const TimerId id = loop->add_timer(1000, [&] { ++fired; });
        loop->cancel_timer(id);
        ASSERT_LE(loop->timer_count(), 2U);
    }
    EXPECT_EQ(loop->timer_count(), 1U);
    loop->cancel_timer(live);
    EXPECT_EQ(loop->timer_count(), 0U);
    EXPECT_EQ(fired, 0);
}

TEST(LoopTimers, CancellingFreesTheFunctionAtOnce) {
    auto loop = make_loop();
    auto token = std::make_shared<int>(0);
    const TimerId id = loop->add_timer(kHour, [token] {});
    EXPECT_EQ(token.use_count(), 2);
    loop->cancel_timer(id);
    EXPECT_EQ(token.use_count(), 1);
    loop->cancel_timer(id);  // again: a no-op
    loop->cancel_timer(0);
}

TEST(LoopTimers, CallbackTimerFiresOnceAndLeaves) {
    auto loop = make_loop();
    int fired = 0;
    const TimerId id = loop->add_timer(0, [&] { ++fired; });
    loop->run_once(0);
    loop->run_once(0);
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(loop->timer_count(), 0U);
    loop->cancel_timer(id);  // after firing: a no-op
}

TEST(LoopTimers, CallbackMayCancelAnotherOrAddOne) {
    auto loop = make_loop();
    std::vector<int> log;
    TimerId second = 0;
    loop->add_timer(0, [&] {
        log.push_back(1);
        loop->cancel_timer(second);
        loop->add_timer(kHour, [&] { log.push_back(3); });
    });
    second = loop->add_timer(0, [&] { log.push_back(2); });
    loop->run_once(0);
    EXPECT_EQ(log, (std::vector<int>{1}));
    EXPECT_EQ(loop->timer_count(), 1U);
}

}  // namespace
}  // namespace wsx::net
