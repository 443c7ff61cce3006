#include "reconnect_policy.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace wsx {
namespace {

ReconnectOptions no_jitter() {
    return {.enabled = true,
            .initial_delay_ms = 100,
            .max_delay_ms = 1000,
            .factor = 2.0,
            .jitter = 0.0,
            .min_uptime_ms = 5000};
}

// The next `n` delays, each connection ending at once (never opened); -1 for "stop".
std::vector<net::TimeMs> delays(ReconnectPolicy& p, int n, net::TimeMs now = 0) {
    std::vector<net::TimeMs> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        out.push_back(p.next_delay(now).value_or(-1));
    }
    return out;
}

TEST(ReconnectPolicy, DisabledNeverReconnects) {
    ReconnectPolicy p({.enabled = false});
    EXPECT_EQ(p.next_delay(0), std::nullopt);
    EXPECT_EQ(p.attempts(), 0);
}

TEST(ReconnectPolicy, DelaysGrowByTheFactorUpToTheCap) {
    ReconnectPolicy p(no_jitter());
    EXPECT_EQ(delays(p, 6), (std::vector<net::TimeMs>{100, 200, 400, 800, 1000, 1000}));
    EXPECT_EQ(p.attempts(), 6);
}

TEST(ReconnectPolicy, AnInitialDelayAboveTheCapIsCappedFromTheSecond) {
    auto o = no_jitter();
    o.initial_delay_ms = 5000;
    ReconnectPolicy p(o);
    EXPECT_EQ(delays(p, 3), (std::vector<net::TimeMs>{5000, 1000, 1000}));
}

TEST(ReconnectPolicy, StopsAfterMaxAttemptsInARow) {
    auto o = no_jitter();
    o.max_attempts = 2;
    ReconnectPolicy p(o);
    EXPECT_EQ(delays(p, 4), (std::vector<net::TimeMs>{100, 200, -1, -1}));
}

TEST(ReconnectPolicy, AConnectionThatStayedUpStartsTheCountAgain) {
    auto o = no_jitter();
    o.max_attempts = 2;
    ReconnectPolicy p(o);
    EXPECT_EQ(delays(p, 2), (std::vector<net::TimeMs>{100, 200}));
    p.on_open(10'000);
    EXPECT_EQ(p.next_delay(15'000), 100);  // up for exactly min_uptime: a fresh start
    EXPECT_EQ(p.attempts(), 1);
}

TEST(ReconnectPolicy, AConnectionDroppedSoonerKeepsTheCount) {
    ReconnectPolicy p(no_jitter());
    EXPECT_EQ(delays(p, 2), (std::vector<net::TimeMs>{100, 200}));
    p.on_open(10'000);
    EXPECT_EQ(p.next_delay(14'999), 400);
    EXPECT_EQ(p.next_delay(100'000), 800);  // the open was for the previous connection only
}

TEST(ReconnectPolicy, JitterStaysWithinItsFractionAndIsRepeatableForASeed) {
    auto o = no_jitter();
    o.initial_delay_ms = 1000;
    o.max_delay_ms = 1000;
    o.jitter = 0.25;
    ReconnectPolicy a(o, 42), b(o, 42), c(o, 43);
    const auto da = delays(a, 200, 7);
    EXPECT_EQ(da, delays(b, 200, 7));
    EXPECT_NE(da, delays(c, 200, 7));
    bool varied = false;
    for (const net::TimeMs d : da) {
        EXPECT_GE(d, 750);
        EXPECT_LE(d, 1250);
        varied = varied || d != da.front();
    }
    EXPECT_TRUE(varied);
}

TEST(ReconnectPolicy, TheDelayIsAtLeastOneMillisecond) {
    ReconnectPolicy p({.enabled = true, .initial_delay_ms = 0, .jitter = 0.0});
    EXPECT_EQ(p.next_delay(0), 1);
}

}  // namespace
}  // namespace wsx
