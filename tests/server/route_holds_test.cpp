#include "server/route_holds.hpp"

#include <memory>

#include <gtest/gtest.h>

namespace wsx::detail {
namespace {

TEST(RouteHolds, ARouteLivesUntilItsLastHoldEndsEvenWhenEveryoneElseDropsIt) {
    RouteHolds holds;
    auto echo = std::make_shared<const Route>(Route{.path = "/echo"});
    auto chat = std::make_shared<const Route>(Route{.path = "/chat"});
    const std::weak_ptr<const Route> watch = echo;
    const Route* a = holds.hold(echo);
    const Route* b = holds.hold(echo);
    const Route* c = holds.hold(chat);
    EXPECT_EQ(a, echo.get());
    EXPECT_EQ(a, b);
    EXPECT_EQ(holds.size(), 2U);
    echo.reset();  // a reload drops it
    EXPECT_FALSE(watch.expired());
    EXPECT_EQ(holds.shared(a)->path, "/echo");
    holds.release(a);
    EXPECT_FALSE(watch.expired());
    holds.release(b);
    EXPECT_TRUE(watch.expired());
    EXPECT_EQ(holds.shared(a), nullptr);
    EXPECT_EQ(holds.size(), 1U);
    EXPECT_EQ(holds.shared(c), chat);
    holds.release(c);
    EXPECT_EQ(holds.size(), 0U);
    holds.release(c);  // not held: a no-op
}

}  // namespace
}  // namespace wsx::detail
