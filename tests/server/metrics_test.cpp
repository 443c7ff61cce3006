// The counters as text: ServerStats' counting and adding up (refusals by status, closes by code
// and closer, the round-trip histogram's buckets at and past each bound); the OpenMetrics text
// of two loops, line by line where it matters (each family whole, a loop label per sample,
// counters' _total, cumulative buckets ending in +Inf, "# EOF" last) and the JSON snapshot; and
// ServerGroup::gather_stats handing every loop's counters over once, without blocking a loop.
#include "wsx/metrics.hpp"

#include <future>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "wsx/server_group.hpp"

namespace wsx {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(ServerStats, CountsRefusalsClosesAndRoundTrips) {
    ServerStats a;
    a.count_refusal(404);
    a.count_refusal(404);
    a.count_refusal(503);
    a.count_close(1000, Closer::client);
    a.count_close(1000, Closer::server);
    a.count_close(1000, Closer::client);
    ASSERT_EQ(a.refusals.size(), 2U);
    EXPECT_EQ(a.refusals[0].count, 2U);
    ASSERT_EQ(a.closes.size(), 2U);
    EXPECT_EQ(a.closes[0].count, 2U);
    a.ping_rtt.add(0);     // the first bucket: at most 1 ms
    a.ping_rtt.add(1);     // still the first
    a.ping_rtt.add(2);     // the second
    a.ping_rtt.add(9000);  // past every bound
    EXPECT_EQ(a.ping_rtt.buckets[0], 2U);
    EXPECT_EQ(a.ping_rtt.buckets[1], 1U);
    EXPECT_EQ(a.ping_rtt.buckets.back(), 1U);
    EXPECT_EQ(a.ping_rtt.count, 4U);
    EXPECT_EQ(a.ping_rtt.sum_ms, 9003);

    ServerStats b;
    b.count_refusal(404);
    b.count_refusal(401);
    b.count_close(1006, Closer::nobody);
    b.count_close(1000, Closer::client);
    b.messages_in = 5;
    b.ping_rtt.add(3);
    a.merge(b);
    EXPECT_EQ(a.messages_in, 5U);
    EXPECT_EQ(a.refusals.size(), 3U);
    EXPECT_EQ(a.refusals[0].count, 3U);  // 404: 2 + 1
    EXPECT_EQ(a.closes.size(), 3U);
    EXPECT_EQ(a.closes[0].count, 3U);  // 1000 by the client: 2 + 1
    EXPECT_EQ(a.ping_rtt.count, 5U);
}

TEST(Metrics, OpenMetricsTextOfTwoLoops) {
    std::vector<ServerStats> loops(2);
    loops[0].open = 3;
    loops[0].opened = 10;
    loops[0].count_refusal(404);
    loops[0].messages_in = 7;
    loops[0].bytes_out = 65;
    loops[1].count_close(4001, Closer::client);
    loops[1].ping_rtt.add(1);
    loops[1].ping_rtt.add(30);
    const RedisStats redis{.connected = true, .published = 4, .lost = 1};
    const std::string text = openmetrics_text(loops, &redis);
    const auto lines = lines_of(text);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back(), "# EOF");
    EXPECT_TRUE(has_line(lines, "# TYPE wsx_connections gauge"));
    EXPECT_TRUE(has_line(lines, R"(wsx_connections{loop="0"} 3)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_connections{loop="1"} 0)"));
    EXPECT_TRUE(has_line(lines, "# TYPE wsx_handshakes counter"));
    EXPECT_TRUE(has_line(lines,
                         R"(wsx_handshakes_total{loop="0",outcome="accepted",status="101"} 10)"));
    EXPECT_TRUE(
            has_line(lines, R"(wsx_handshakes_total{loop="0",outcome="refused",status="404"} 1)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_messages_total{loop="0",direction="in"} 7)"));
    EXPECT_TRUE(has_line(lines, "# UNIT wsx_payload_bytes bytes"));
    EXPECT_TRUE(has_line(lines, R"(wsx_payload_bytes_total{loop="0",direction="out"} 65)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_closes_total{loop="1",code="4001",by="client"} 1)"));
    // The histogram: cumulative, each bound in seconds, +Inf equal to the count.
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_bucket{loop="1",le="0.001"} 1)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_bucket{loop="1",le="0.025"} 1)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_bucket{loop="1",le="0.05"} 2)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_bucket{loop="1",le="5.0"} 2)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_bucket{loop="1",le="+Inf"} 2)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_sum{loop="1"} 0.031)"));
    EXPECT_TRUE(has_line(lines, R"(wsx_ping_rtt_seconds_count{loop="1"} 2)"));
    EXPECT_TRUE(has_line(lines, "wsx_redis_up 1"));
    EXPECT_TRUE(has_line(lines, "wsx_redis_published_total 4"));
    EXPECT_TRUE(has_line(lines, "wsx_redis_lost_total 1"));
    // Each family whole: once its TYPE line is passed, no sample of an earlier family follows.
    std::vector<std::string> families;
    for (const auto& l : lines) {
        if (l.rfind("# TYPE ", 0) == 0) {
            const std::string name = l.substr(7, l.find(' ', 7) - 7);
            EXPECT_FALSE(has_line(families, name)) << "twice: " << name;
            families.push_back(name);
        } else if (l[0] != '#') {
            ASSERT_FALSE(families.empty());
            EXPECT_EQ(l.rfind(families.back(), 0), 0U) << l << " after " << families.back();
        }
    }
    EXPECT_EQ(openmetrics_text(loops).find("wsx_redis"), std::string::npos);  // no broker
}

TEST(Metrics, JsonSnapshotAddsTheLoopsUpAndKeepsEach) {
    std::vector<ServerStats> loops(2);
    loops[0].messages_in = 3;
    loops[1].messages_in = 4;
    loops[1].open = 2;
    const auto j = nlohmann::json::parse(stats_json(loops, nullptr, 1234));
    EXPECT_EQ(j["messages_in"], 7);
    EXPECT_EQ(j["open"], 2);
    EXPECT_EQ(j["time_ms"], 1234);
    ASSERT_EQ(j["loops"].size(), 2U);
    EXPECT_EQ(j["loops"][1]["messages_in"], 4);
    EXPECT_FALSE(j.contains("redis"));
}

TEST(Metrics, GatherStatsHandsEveryLoopsCountersOverOnce) {
    auto group = ServerGroup::create({.host = "127.0.0.1", .port = 0}, {}, 3);
    ASSERT_TRUE(group);
    (*group)->start();
    std::promise<std::vector<ServerStats>> got;
    (*group)->gather_stats(
            [&](std::vector<ServerStats> loops) { got.set_value(std::move(loops)); });
    auto future = got.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(future.get().size(), 3U);
    (*group)->stop();
    (*group)->wait();
}

}  // namespace
}  // namespace wsx
