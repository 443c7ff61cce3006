// /metrics, /stats and /stats.html (see metrics_route.hpp).
#include "serve/metrics_route.hpp"

#include <atomic>

#include "wsx/metrics.hpp"
#include "wsx/net/log.hpp"
#include "wsx/redis_broker.hpp"

#include "serve/stats_page.hpp"

namespace wsx::tools {

namespace {

constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kStatsPath = "/stats";
constexpr std::string_view kPagePath = "/stats.html";
constexpr net::TimeMs kSnapshotEveryMs = 1000;

// A deferred response with nothing to do but wait: the scrape answers through the connection.
class Waiting final : public HttpResponder {};

}  // namespace

struct ServeMetrics::State {
    bool on = false;
    std::shared_ptr<Broker> broker;
    ServerGroup* group = nullptr;
    net::Loop* control = nullptr;
    std::atomic<bool> gathering{false};  // a snapshot under way: the next tick skips

    [[nodiscard]] std::optional<RedisStats> redis() const {
        if (const auto* r = dynamic_cast<const RedisBroker*>(broker.get())) {
            return r->stats();
        }
        return std::nullopt;
    }

    void tick() {
        control->add_timer(kSnapshotEveryMs, [this] { tick(); });
        if (gathering.exchange(true)) {
            return;
        }
        const net::TimeMs now = control->now();
        group->gather_stats([this, now](const std::vector<ServerStats>& loops) {
            const auto r = redis();
            group->broadcast(std::string(kStatsPath), stats_json(loops, r ? &*r : nullptr, now),
                             MessageType::text);
            gathering.store(false);
        });
    }
};

void add_metrics_options(CLI::App* serve, MetricsFlags& flags) {
    serve->add_flag("--metrics", flags.on,
                    "Serve the counters at /metrics (OpenMetrics, for Prometheus), a JSON "
                    "snapshot each second on the WebSocket /stats, and /stats.html, a page "
                    "that plots them live");
}

ServeMetrics::ServeMetrics(const MetricsFlags& flags, const ServerOptions& server)
    : state_(std::make_shared<State>()) {
    state_->on = flags.on;
    state_->broker = server.broker;
}

HttpHandler ServeMetrics::wrap(HttpHandler next) const {
    if (!state_->on) {
        return next;
    }
    return [state = state_, next = std::move(next)](const proto::HttpRequest& request,
                                                    Connection& c) -> HttpResponse {
        const std::string_view path = request.path();
        if (path == kPagePath) {
            HttpResponse r;
            r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
            r.headers.emplace_back("Cache-Control", "no-cache");
            r.body = stats_page();
            return r;
        }
        if (path != kMetricsPath) {
            return next ? next(request, c) : HttpResponse::text(404, "not found");
        }
        const std::uint64_t id = c.id();
        ServerGroup* group = state->group;
        group->gather_stats([state, group, id](const std::vector<ServerStats>& loops) {
            const auto r = state->redis();
            auto text = std::make_shared<std::string>(openmetrics_text(loops, r ? &*r : nullptr));
            (void)group->post(id, [text](Connection& conn) {
                HttpResponse response;
                response.headers.emplace_back("Content-Type", std::string(kOpenMetricsContentType));
                response.body = std::move(*text);
                (void)conn.respond_http(std::move(response));
            });
        });
        return HttpResponse::deferred(std::make_unique<Waiting>());
    };
}

void add_metrics_routes(std::vector<Route>& routes, const MetricsFlags& flags) {
    if (!flags.on) {
        return;
    }
    routes.push_back(Route{.path = std::string(kStatsPath), .handlers = {}, .keep_request = false});
    net::log_info("metrics at ", kMetricsPath, " (OpenMetrics), snapshots each second at ",
                  kStatsPath, ", plotted by ", kPagePath);
}

void ServeMetrics::attach(ServerGroup& group, net::Loop& control) {
    state_->group = &group;
    state_->control = &control;
    if (state_->on) {
        control.add_timer(kSnapshotEveryMs, [s = state_.get()] { s->tick(); });
    }
}

}  // namespace wsx::tools
