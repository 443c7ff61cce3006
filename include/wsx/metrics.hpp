// A server's counters as text for people and programs that watch it: OpenMetrics (what
// Prometheus scrapes, https://openmetrics.io) and a JSON snapshot (what /stats.html plots).
// Every family of a server is labelled with its loop thread ("loop"), so a scrape shows how
// evenly the loops share the work; Prometheus adds them up with sum().
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "wsx/redis_broker.hpp"
#include "wsx/server.hpp"

namespace wsx {

inline constexpr std::string_view kOpenMetricsContentType =
        "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The OpenMetrics exposition of `loops` (ServerGroup::loop_stats() or gather_stats(), or one
/// Server's stats()) and, when given, of a Redis broker; ends with "# EOF".
[[nodiscard]] std::string openmetrics_text(std::span<const ServerStats> loops,
                                           const RedisStats* redis = nullptr);

/// One JSON object: the loops' counters added up (the names of ServerStats' fields), "loops"
/// with each loop's, "redis" when given, and "time_ms" (`now_ms`, for rates between two).
[[nodiscard]] std::string stats_json(std::span<const ServerStats> loops, const RedisStats* redis,
                                     std::int64_t now_ms);

}  // namespace wsx
