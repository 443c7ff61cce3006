#include "wsx/net/loop.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace wsx::net {
namespace {

TEST(Loop, TimersFireInDeadlineOrderAndCancelledOnesDoNot) {
    auto loop = Loop::create();
    ASSERT_TRUE(loop);
    Loop& l = **loop;
    std::vector<int> order;
    l.add_timer(30, [&] { order.push_back(3); });
    l.add_timer(10, [&] { order.push_back(1); });
    const TimerId cancelled = l.add_timer(20, [&] { order.push_back(99); });
    l.add_timer(20, [&] { order.push_back(2); });
    l.cancel_timer(cancelled);
    l.add_timer(40, [&] { l.stop(); });
    l.run();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Loop, DeferFromAnotherThreadWakesTheLoop) {
    auto loop = Loop::create();
    ASSERT_TRUE(loop);
    Loop& l = **loop;
    std::thread::id ran_on;
    std::thread other([&] {
        l.defer([&] {
            ran_on = std::this_thread::get_id();
            l.stop();
        });
    });
    l.run();  // returns only if the deferred call ran
    other.join();
    EXPECT_EQ(ran_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace wsx::net
