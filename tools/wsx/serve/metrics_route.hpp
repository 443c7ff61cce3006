// `wsx serve --metrics`: the server's counters at /metrics (OpenMetrics, for Prometheus), a
// WebSocket at /stats that sends a JSON snapshot each second, and /stats.html, a page that plots
// those snapshots live. The scrape and the snapshots gather each loop's counters on its own
// thread (ServerGroup::gather_stats), so no loop waits for another.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wsx/net/loop.hpp"
#include "wsx/server_group.hpp"

namespace wsx::tools {

struct MetricsFlags {
    bool on = false;  // --metrics
};

void add_metrics_options(CLI::App* serve, MetricsFlags& flags);

/// Adds the /stats WebSocket route (when on), at every scan of the handler directory.
void add_metrics_routes(std::vector<Route>& routes, const MetricsFlags& flags);

class ServeMetrics {
public:
    /// Off unless flags.on; `server` is read for its broker (Redis figures).
    ServeMetrics(const MetricsFlags& flags, const ServerOptions& server);

    /// `next` with /metrics and /stats.html answered first (when on).
    [[nodiscard]] HttpHandler wrap(HttpHandler next) const;

    /// The group to gather from (before it starts), and the loop (the control loop) whose timer
    /// sends the snapshots each second.
    void attach(ServerGroup& group, net::Loop& control);

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace wsx::tools
