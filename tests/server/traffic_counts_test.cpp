#include "server/traffic_counts.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace wsx::detail {
namespace {

TEST(TrafficCounts, CountsEachWaySeparately) {
    TrafficCounts t;
    EXPECT_EQ(t.add(Traffic::messages_in, 1), 0U);
    EXPECT_EQ(t.add(Traffic::bytes_in, 100), 0U);
    EXPECT_EQ(t.add(Traffic::messages_out, 2), 0U);
    EXPECT_EQ(t.add(Traffic::bytes_out, 7), 0U);
    EXPECT_EQ(t.low(Traffic::messages_in), 1U);
    EXPECT_EQ(t.low(Traffic::bytes_in), 100U);
    EXPECT_EQ(t.low(Traffic::messages_out), 2U);
    EXPECT_EQ(t.low(Traffic::bytes_out), 7U);
    EXPECT_EQ(sizeof(TrafficCounts), 16U);
}

TEST(TrafficCounts, PassingTwoToThe32ReturnsTheCarryAndKeepsTheRest) {
    TrafficCounts t;
    EXPECT_EQ(t.add(Traffic::bytes_in, 0xffff'ffffU), 0U);
    EXPECT_EQ(t.add(Traffic::bytes_in, 2), 1U);  // 2^32 + 1
    EXPECT_EQ(t.low(Traffic::bytes_in), 1U);
    // One message larger than 4 GiB: several wraps at once.
    const std::uint64_t big = (std::uint64_t{3} << 32) + 5;
    EXPECT_EQ(t.add(Traffic::bytes_out, big), 3U);
    EXPECT_EQ(t.low(Traffic::bytes_out), 5U);
    std::uint64_t carries = 0;
    std::uint64_t total = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t n = 0x1234'5678'9aU;  // about 78 GB each
        carries += t.add(Traffic::messages_out, n);
        total += n;
    }
    EXPECT_EQ((carries << 32) + t.low(Traffic::messages_out), total);
}

}  // namespace
}  // namespace wsx::detail
