#include "bench/histogram.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace wsx::tools {
namespace {

TEST(LatencyHistogram, SmallValuesAreExact) {
    for (std::uint64_t v = 0; v < 128; ++v) {
        EXPECT_EQ(LatencyHistogram::bucket_high(LatencyHistogram::bucket_of(v)), v);
    }
}

TEST(LatencyHistogram, BucketsRiseWithValuesAndStayWithinOneSixtyFourth) {
    std::size_t last = 0;
    for (std::uint64_t v = 1; v < (std::uint64_t{1} << 40); v += v / 97 + 1) {
        const std::size_t b = LatencyHistogram::bucket_of(v);
        ASSERT_GE(b, last) << v;
        ASSERT_LT(b, LatencyHistogram::kBuckets);
        const std::uint64_t high = LatencyHistogram::bucket_high(b);
        ASSERT_GE(high, v);
        ASSERT_LE(high - v, v / 64) << v;
        last = b;
    }
    EXPECT_LT(LatencyHistogram::bucket_of(UINT64_MAX), LatencyHistogram::kBuckets);
}

TEST(LatencyHistogram, PercentilesOfAKnownDistribution) {
    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 1000; ++v) {
        h.record(v * 1000);  // 1 µs .. 1 ms
    }
    EXPECT_EQ(h.count(), 1000U);
    EXPECT_EQ(h.max(), 1'000'000U);
    auto near = [](std::uint64_t got, std::uint64_t want) {
        return got >= want && got - want <= want / 64;
    };
    EXPECT_TRUE(near(h.value_at(0.5), 500'000)) << h.value_at(0.5);
    EXPECT_TRUE(near(h.value_at(0.99), 990'000)) << h.value_at(0.99);
    EXPECT_TRUE(near(h.value_at(0.999), 999'000)) << h.value_at(0.999);
    EXPECT_EQ(h.value_at(1.0), 1'000'000U);  // capped at the exact maximum
    EXPECT_TRUE(near(h.value_at(0.0), 1000));
}

TEST(LatencyHistogram, MergeAddsCounts) {
    LatencyHistogram a;
    LatencyHistogram b;
    for (int i = 0; i < 90; ++i) {
        a.record(10);
    }
    for (int i = 0; i < 10; ++i) {
        b.record(5000);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), 100U);
    EXPECT_EQ(a.value_at(0.9), 10U);
    EXPECT_GE(a.value_at(0.91), 5000U);
    EXPECT_EQ(a.max(), 5000U);
}

TEST(LatencyHistogram, EmptyReportsZero) {
    const LatencyHistogram h;
    EXPECT_EQ(h.value_at(0.99), 0U);
    EXPECT_EQ(h.max(), 0U);
}

}  // namespace
}  // namespace wsx::tools
