// The plain-HTTP side of a server connection; see http_side.hpp.
#include "server/http_side.hpp"

#include <algorithm>
#include <variant>

#include "wsx/net/log.hpp"
#include "wsx/proto/errc.hpp"

#include "server/overloaded.hpp"
#include "server/server_context.hpp"

namespace wsx::detail {
namespace {

bool origin_allowed(const ServerOptions& options, const proto::UpgradeRequest& request) {
    const auto& origins = options.allowed_origins;
    return origins.empty()
           || (request.origin
               && std::find(origins.begin(), origins.end(), *request.origin) != origins.end());
}

}  // namespace

HttpSide::HttpSide(ServerConnection& connection, net::TimeMs now)
    : conn_(connection), exchange_(connection.context().options().limits, now) {}

void HttpSide::feed(std::span<char> bytes) {
    exchange_.feed(bytes, conn_.context().loop().now());
}

void HttpSide::dispatch_events() {
    // The exchange holds pipelined requests while a response is in progress.
    while (!conn_.session().finished() && !upgrade_ && !deferred_route_) {
        auto event = exchange_.next_event();
        if (!event) {
            break;
        }
        std::visit(
                Overloaded{
                        [&](const proto::UpgradeRequested& e) { on_upgrade_requested(e.request); },
                        [&](const proto::HttpRequestReceived& e) { on_http_request(e.request); },
                        [&](const proto::Failed& e) {
                            ++conn_.context().stats().failed;
                            net::log_warn(conn_.remote().to_string(), ": ", e.error.message(),
                                          " (HTTP ", proto::http_status_for(e.error), ")");
                        },
                },
                *event);
    }
}

void HttpSide::reject(const proto::UpgradeRequest& request, int status, std::string_view body,
                      const proto::HeaderList& headers) {
    (void)exchange_.reject(status, body, headers);  // pending: cannot fail
    ++conn_.context().stats().rejected;
    conn_.context().stats().count_refusal(status);
    net::log_info(conn_.remote().to_string(), " \"GET ", request.http.target, "\" ", status, " ",
                  body);
}

void HttpSide::on_upgrade_requested(const proto::UpgradeRequest& request) {
    ServerContext& ctx = conn_.context();
    if (!ctx.authorized(request.http)) {
        reject(request, 401, "authentication required", {{"WWW-Authenticate", kAuthChallenge}});
        return;
    }
    if (!origin_allowed(ctx.options(), request)) {
        reject(request, 403, "origin not allowed");
        return;
    }
    auto route = ctx.find_route(request.path());
    if (route == nullptr && ctx.options().on_http) {
        on_http_request(request.http, true);  // pywebsocket: no handler → the document root answers
        return;
    }
    if (route == nullptr) {
        reject(request, 404, "no WebSocket handler for this path");
        return;
    }
    if (ctx.full()) {
        reject(request, 503, "too many connections");
        return;
    }
    auto decision = decide(request, route);
    if (!decision) {
        return;  // rejected, or deferred
    }
    accept_upgrade(request, std::move(route), *decision);
}

void HttpSide::accept_upgrade(const proto::UpgradeRequest& request,
                              std::shared_ptr<const Route> route, UpgradeDecision& decision) {
    ServerContext& ctx = conn_.context();
    proto::AcceptOptions accept{
            .subprotocol = decision.subprotocol,
            .headers = std::move(decision.headers),
            .deflate = decision.extensions ? ctx.deflate_setup(request) : std::nullopt};
    auto upgraded = exchange_.accept(accept, ctx.loop().now());
    if (!upgraded) {
        net::log_error(conn_.remote().to_string(), " ", request.path(),
                       ": upgrade hook: ", upgraded.error().message());
        reject(request, 500, "internal error");
        return;
    }
    upgrade_.emplace(AcceptedUpgrade{.upgraded = std::move(*upgraded),
                                     .route = std::move(route),
                                     .user_data = std::move(decision.user_data)});
}

bool HttpSide::resolve_upgrade(UpgradeDecision decision) {
    const proto::UpgradeRequest* request = exchange_.upgrade_request();
    if (!deferred_route_ || conn_.session().finished() || request == nullptr) {
        return false;
    }
    std::shared_ptr<const Route> route = std::move(deferred_route_);
    deferred_route_.reset();
    if (decision.drop) {
        net::log_info(conn_.remote().to_string(), " \"GET ", request->http.target,
                      "\" dropped by the handler, no response");
        conn_.session().finish("dropped by the handler");
        return true;
    }
    if (!decision.accepted) {
        const bool status_ok = decision.status >= 400 && decision.status <= 599;
        reject(*request, status_ok ? decision.status : 403, decision.body);
        return true;
    }
    accept_upgrade(*request, std::move(route), decision);
    return true;
}

std::optional<UpgradeDecision> HttpSide::decide(const proto::UpgradeRequest& request,
                                                const std::shared_ptr<const Route>& route) {
    UpgradeDecision decision = UpgradeDecision::accept(default_subprotocol(request.subprotocols));
    if (route->handlers.on_upgrade) {
        const net::SocketAddress remote = conn_.remote();
        const UpgradeContext ctx{request.path(), request.query(),      request.http,
                                 request.origin, request.subprotocols, remote,
                                 conn_};
        in_hook_ = &request;
        const bool ran =
                conn_.session().invoke([&] { decision = route->handlers.on_upgrade(ctx); });
        in_hook_ = nullptr;
        if (!ran) {
            return std::nullopt;  // on_callback_threw() answered 500
        }
        if (decision.deferred) {
            deferred_route_ = route;  // resolve_upgrade() answers
            return std::nullopt;
        }
    }
    if (!decision.accepted) {
        const bool status_ok = decision.status >= 400 && decision.status <= 599;
        reject(request, status_ok ? decision.status : 403, decision.body);
        return std::nullopt;
    }
    return decision;
}

std::string HttpSide::default_subprotocol(const std::vector<std::string>& offered) const {
    const auto& supported = conn_.context().options().subprotocols;
    for (const auto& name : offered) {
        if (std::find(supported.begin(), supported.end(), name) != supported.end()) {
            return name;
        }
    }
    return {};
}

AcceptedUpgrade HttpSide::take_upgrade() {
    AcceptedUpgrade up = std::move(*upgrade_);
    upgrade_.reset();
    return up;
}

bool HttpSide::wants_input() const noexcept {
    return !responder_ && !deferred_route_ && !exchange_.response_in_progress();
}

bool HttpSide::response_in_progress() const noexcept {
    return exchange_.response_in_progress();
}

bool HttpSide::on_hangup() {
    if (deferred_route_) {
        deferred_route_.reset();
        exchange_.feed_eof();
        conn_.session().finish("client closed the connection before the handshake answer");
        return true;
    }
    if (!responder_) {
        return false;
    }
    exchange_.feed_eof();
    conn_.session().finish(
            "client closed the connection before the response");  // ends a CGI script
    return true;
}

void HttpSide::on_deadline(net::TimeMs now) {
    const auto ec = exchange_.handle_timeout(now);
    if (ec) {
        net::log_info(conn_.remote().to_string(), ": ", ec.message());
    }
    if (exchange_.should_close_transport() && exchange_.output().empty()) {
        conn_.session().finish(ec ? ec.message() : "timed out");
    }
}

void HttpSide::on_drain() {
    if (responder_ && exchange_.response_in_progress()) {
        responder_->on_drain();
    }
}

void HttpSide::on_callback_threw() {
    if (in_hook_ != nullptr) {
        reject(*in_hook_, 500, "internal error");
    } else if (exchange_.response_in_progress()) {
        end_response(false);
    }
}

void HttpSide::on_finished(std::string_view why) {
    if (responder_ || current_.file) {
        log_response(why);
        responder_.reset();  // tells the producer to stop
    }
}

}  // namespace wsx::detail
