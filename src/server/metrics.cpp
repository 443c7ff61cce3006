// OpenMetrics text and the JSON snapshot of a server's counters (see metrics.hpp). Each family
// is written whole (TYPE, HELP, UNIT, then every loop's samples), as the format requires.
#include "wsx/metrics.hpp"

#include <charconv>
#include <functional>

#include <nlohmann/json.hpp>

namespace wsx {

namespace {

using Sample = std::function<void(std::string& out, const ServerStats& s, const std::string& loop)>;

// "name{labels} value\n", the labels already written as `a="b",c="d"`.
void sample(std::string& out, std::string_view name, const std::string& labels,
            std::uint64_t value) {
    out.append(name);
    out += '{';
    out += labels;
    out += "} ";
    out += std::to_string(value);
    out += '\n';
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::string_view unit = {}) {
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    if (!unit.empty()) {
        out.append("# UNIT ").append(name).append(" ").append(unit).append("\n");
    }
}

// A family with one sample per loop, `value` reading it from the loop's counters.
void per_loop(std::string& out, std::span<const ServerStats> loops, std::string_view name,
              std::string_view type, std::string_view help,
              std::uint64_t (*value)(const ServerStats&), std::string_view unit = {}) {
    family(out, name, type, help, unit);
    const std::string sample_name = std::string(name) + (type == "counter" ? "_total" : "");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        sample(out, sample_name, "loop=\"" + std::to_string(i) + "\"", value(loops[i]));
    }
}

std::string seconds(std::int64_t ms) {
    // The bounds are whole milliseconds: "0.001", "0.025", "1.0", "5.0".
    std::string s = std::to_string(ms / 1000) + ".";
    const std::int64_t frac = ms % 1000;
    if (frac == 0) {
        return s + "0";
    }
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0') {
        f.pop_back();
    }
    return s + f;
}

const char* closer_name(Closer c) {
    return c == Closer::server ? "server" : c == Closer::client ? "client" : "nobody";
}

void connection_families(std::string& out, std::span<const ServerStats> loops) {
    per_loop(out, loops, "wsx_connections", "gauge", "WebSocket sessions open now.",
             [](const ServerStats& s) -> std::uint64_t { return s.open; });
    per_loop(out, loops, "wsx_connections_accepted", "counter", "TCP connections accepted.",
             [](const ServerStats& s) { return s.accepted; });
    family(out, "wsx_handshakes", "counter",
           "WebSocket opening handshakes answered, by outcome and HTTP status.");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        const std::string loop = "loop=\"" + std::to_string(i) + "\"";
        sample(out, "wsx_handshakes_total", loop + R"(,outcome="accepted",status="101")",
               loops[i].opened);
        for (const StatusCount& r : loops[i].refusals) {
            sample(out, "wsx_handshakes_total",
                   loop + R"(,outcome="refused",status=")" + std::to_string(r.status) + "\"",
                   r.count);
        }
    }
    per_loop(out, loops, "wsx_connections_failed", "counter",
             "Connections failed for a protocol violation or a timeout.",
             [](const ServerStats& s) { return s.failed; });
    per_loop(out, loops, "wsx_http_requests", "counter", "Plain HTTP requests answered.",
             [](const ServerStats& s) { return s.http_requests; });
    family(out, "wsx_closes", "counter",
           "WebSocket sessions ended, by close code and by who closed first (nobody: 1006).");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        for (const CloseCount& c : loops[i].closes) {
            sample(out, "wsx_closes_total",
                   "loop=\"" + std::to_string(i) + "\",code=\"" + std::to_string(c.code)
                           + "\",by=\"" + closer_name(c.by) + "\"",
                   c.count);
        }
    }
}

void traffic_families(std::string& out, std::span<const ServerStats> loops) {
    family(out, "wsx_messages", "counter", "WebSocket messages received (in) and queued (out).");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        const std::string loop = "loop=\"" + std::to_string(i) + "\"";
        sample(out, "wsx_messages_total", loop + R"(,direction="in")", loops[i].messages_in);
        sample(out, "wsx_messages_total", loop + R"(,direction="out")", loops[i].messages_out);
    }
    family(out, "wsx_payload_bytes", "counter", "Payload bytes of those messages.", "bytes");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        const std::string loop = "loop=\"" + std::to_string(i) + "\"";
        sample(out, "wsx_payload_bytes_total", loop + R"(,direction="in")", loops[i].bytes_in);
        sample(out, "wsx_payload_bytes_total", loop + R"(,direction="out")", loops[i].bytes_out);
    }
    per_loop(out, loops, "wsx_backpressure_pauses", "counter",
             "Times reading from a client paused: its output passed the high watermark.",
             [](const ServerStats& s) { return s.backpressure_pauses; });
    per_loop(out, loops, "wsx_messages_dropped", "counter",
             "Messages dropped: past max_buffered with the drop policy, or mid-message.",
             [](const ServerStats& s) { return s.dropped_messages; });
    per_loop(out, loops, "wsx_overflow_closes", "counter",
             "Connections closed with 1008: output past max_buffered.",
             [](const ServerStats& s) { return s.overflow_closes; });
    per_loop(out, loops, "wsx_deflate_connections", "counter",
             "Connections that negotiated permessage-deflate.",
             [](const ServerStats& s) { return s.deflate_negotiated; });
    per_loop(
            out, loops, "wsx_zlib_memory_bytes", "gauge", "Memory zlib holds now.",
            [](const ServerStats& s) -> std::uint64_t { return s.zlib_memory; }, "bytes");
}

void ping_family(std::string& out, std::span<const ServerStats> loops) {
    family(out, "wsx_ping_rtt_seconds", "histogram",
           "Round trips of keepalive pings (the loop's millisecond clock).", "seconds");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        const RttHistogram& h = loops[i].ping_rtt;
        const std::string loop = "loop=\"" + std::to_string(i) + "\"";
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < RttHistogram::kBoundsMs.size(); ++b) {
            cumulative += h.buckets[b];
            sample(out, "wsx_ping_rtt_seconds_bucket",
                   loop + ",le=\"" + seconds(RttHistogram::kBoundsMs[b]) + "\"", cumulative);
        }
        sample(out, "wsx_ping_rtt_seconds_bucket", loop + R"(,le="+Inf")", h.count);
        out += "wsx_ping_rtt_seconds_sum{" + loop + "} " + seconds(h.sum_ms) + "\n";
        sample(out, "wsx_ping_rtt_seconds_count", loop, h.count);
    }
}

void topic_families(std::string& out, std::span<const ServerStats> loops) {
    per_loop(out, loops, "wsx_topics", "gauge", "Topics with a subscriber on this loop.",
             [](const ServerStats& s) -> std::uint64_t { return s.topics; });
    per_loop(out, loops, "wsx_subscriptions", "gauge", "Subscriptions (connection, topic).",
             [](const ServerStats& s) -> std::uint64_t { return s.subscriptions; });
    per_loop(out, loops, "wsx_publications", "counter",
             "Publications handed to this loop's subscribers.",
             [](const ServerStats& s) { return s.publications; });
    per_loop(out, loops, "wsx_deliveries", "counter", "Publications queued to subscribers.",
             [](const ServerStats& s) { return s.deliveries; });
    per_loop(out, loops, "wsx_deliveries_dropped", "counter",
             "Publications a subscriber missed (drop policy, or a message of its own under way).",
             [](const ServerStats& s) { return s.deliveries_dropped; });
}

void redis_families(std::string& out, const RedisStats& r) {
    const auto one = [&out](std::string_view name, std::string_view type, std::string_view help,
                            std::uint64_t value) {
        family(out, name, type, help);
        out.append(name).append(type == "counter" ? "_total " : " ");
        out += std::to_string(value) + "\n";
    };
    one("wsx_redis_up", "gauge", "1 when both Redis connections are up.", r.connected ? 1 : 0);
    one("wsx_redis_channels", "gauge", "Redis channels this node listens to.", r.channels);
    one("wsx_redis_published", "counter", "Publications Redis confirmed.", r.published);
    one("wsx_redis_lost", "counter", "Publications that reached this node's subscribers only.",
        r.lost);
    one("wsx_redis_received", "counter", "Publications from other nodes or Redis clients.",
        r.received);
    one("wsx_redis_own", "counter", "This node's publications back from Redis, skipped.", r.own);
    one("wsx_redis_reconnects", "counter", "Redis connections made again.", r.reconnects);
    one("wsx_redis_disconnects", "counter", "Redis connections lost or not made.", r.disconnects);
    one("wsx_redis_malformed", "counter", "Messages from Redis that did not parse.", r.malformed);
}

nlohmann::json to_json(const ServerStats& s) {
    return {{"open", s.open},
            {"accepted", s.accepted},
            {"opened", s.opened},
            {"rejected", s.rejected},
            {"failed", s.failed},
            {"http_requests", s.http_requests},
            {"messages_in", s.messages_in},
            {"messages_out", s.messages_out},
            {"bytes_in", s.bytes_in},
            {"bytes_out", s.bytes_out},
            {"dropped_messages", s.dropped_messages},
            {"backpressure_pauses", s.backpressure_pauses},
            {"overflow_closes", s.overflow_closes},
            {"publications", s.publications},
            {"deliveries", s.deliveries},
            {"deliveries_dropped", s.deliveries_dropped},
            {"topics", s.topics},
            {"subscriptions", s.subscriptions},
            {"zlib_memory", s.zlib_memory},
            {"ping_rtt_count", s.ping_rtt.count},
            {"ping_rtt_sum_ms", s.ping_rtt.sum_ms}};
}

}  // namespace

std::string openmetrics_text(std::span<const ServerStats> loops, const RedisStats* redis) {
    std::string out;
    out.reserve(4096 + loops.size() * 2048);
    connection_families(out, loops);
    traffic_families(out, loops);
    ping_family(out, loops);
    topic_families(out, loops);
    if (redis != nullptr) {
        redis_families(out, *redis);
    }
    out += "# EOF\n";
    return out;
}

std::string stats_json(std::span<const ServerStats> loops, const RedisStats* redis,
                       std::int64_t now_ms) {
    ServerStats total;
    nlohmann::json each = nlohmann::json::array();
    for (const ServerStats& s : loops) {
        total.merge(s);
        each.push_back(to_json(s));
    }
    nlohmann::json j = to_json(total);
    j["loops"] = std::move(each);
    j["time_ms"] = now_ms;
    if (redis != nullptr) {
        j["redis"] = {{"connected", redis->connected},
                      {"published", redis->published},
                      {"lost", redis->lost},
                      {"received", redis->received},
                      {"reconnects", redis->reconnects},
                      {"channels", redis->channels}};
    }
    return j.dump();
}

}  // namespace wsx
