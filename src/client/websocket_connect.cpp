// WebSocket::Impl's way to an open connection and away from it: the proxy choice, resolving,
// staggered connects (net::Connector), the CONNECT tunnel (proto::ProxyTunnel), the handshake's
// start, redirects, failing, ending, and reconnecting (ReconnectPolicy). Rule: no I/O here: the
// connected socket belongs to the engine (detail::Session), whose owner side is websocket.cpp.
#include <cstdlib>
#include <string_view>

#include "wsx/net/errc.hpp"
#include "wsx/proto/client_handshake.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/proxy_config.hpp"

#include "client/websocket_impl.hpp"

namespace wsx {
namespace {

// A proxy variable of the environment: the lower-case name first, as curl reads them.
std::string_view proxy_variable(const char* lower, const char* upper) {
    const char* value = std::getenv(lower);
    if (value == nullptr) {
        value = std::getenv(upper);
    }
    return value != nullptr ? value : "";
}

}  // namespace

// The proxy for this URL, if any (see WebSocketOptions::proxy).
Result<std::optional<proto::ProxyConfig>> WebSocket::Impl::choose_proxy() const {
    proto::ProxyEnvironment env;
    if (options.use_environment_proxy) {
        env = {.http_proxy = proxy_variable("http_proxy", "HTTP_PROXY"),
               .https_proxy = proxy_variable("https_proxy", "HTTPS_PROXY"),
               .no_proxy = proxy_variable("no_proxy", "NO_PROXY")};
    }
    return proto::choose_proxy(url, options.proxy, env);
}

void WebSocket::Impl::start() {
    state = ReadyState::connecting;
    auto chosen = choose_proxy();
    if (!chosen) {
        loop.defer([self = weak_from_this(), ec = chosen.error()] {
            if (auto s = self.lock()) {
                s->fail({.error = ec});
            }
        });
        return;
    }
    proxy = std::move(*chosen);
    // The timeout counts from now, not from the loop's last wake-up: create() may come long
    // after it (the application's set-up, a blocking call), and the stale clock would spend the
    // timeout before the first connect began.
    loop.update_now();
    connect_timer = loop.add_timer(options.connect_timeout_ms, [self = weak_from_this()] {
        if (auto s = self.lock()) {
            s->connect_timer = 0;
            if (!s->endpoint) {  // not connected, or the proxy's tunnel not open yet
                const std::error_code last = s->connector.last_error();
                s->fail({.error = last ? last : make_error_code(net::Errc::connect_timeout)});
            }
        }
    });
    resolving = net::resolve_async(
            loop, proxy ? proxy->host : url.host, proxy ? proxy->port : url.port,
            [self = weak_from_this()](Result<std::vector<net::SocketAddress>> r) {
                if (auto s = self.lock()) {
                    s->on_resolved(std::move(r));
                }
            });
}

void WebSocket::Impl::on_resolved(Result<std::vector<net::SocketAddress>> r) {
    resolving.reset();
    if (finished) {
        return;
    }
    if (!r) {
        fail({.error = r.error()});
        return;
    }
    if (!options.local_address.empty()) {
        auto local = net::resolve_host(options.local_address, 0);  // a literal: no lookup
        if (!local) {
            fail({.error = local.error()});
            return;
        }
        connector.set_local_address(local->front());
    }
    // The Connector never calls back after it is cancelled or destroyed with this Impl.
    connector.start(std::move(*r), [this](Result<net::UniqueFd> fd) {
        auto keep = shared_from_this();
        if (!fd) {
            fail({.error = fd.error()});
            return;
        }
        on_connected(std::move(*fd));
    });
}

// The transport over a connected socket: the application's, TLS for wss:// (in the clear until
// a proxy's tunnel is open), or plain TCP.
Result<std::unique_ptr<net::Transport>> WebSocket::Impl::make_transport(net::UniqueFd fd) {
    tls_in_clear = nullptr;
    if (options.transport || !url.secure) {
        return (options.transport ? options.transport : plain_transports)(std::move(fd));
    }
    if (!options.tls) {  // a redirect from ws:// to wss://
        auto made = net::TlsClient::create(options.tls_config);
        if (!made) {
            return made.error();
        }
        options.tls = std::move(*made);
    }
    auto tls = options.tls->connect(std::move(fd), url.host, !proxy);
    if (!tls) {
        return tls.error();
    }
    if (proxy) {
        tls_in_clear = tls->get();
    }
    return std::unique_ptr<net::Transport>(std::move(*tls));
}

void WebSocket::Impl::on_connected(net::UniqueFd fd) {
    auto transport = make_transport(std::move(fd));
    if (!transport) {
        fail({.error = transport.error()});
        return;
    }
    session = std::make_unique<detail::OwnedSession<Impl>>(loop, std::move(*transport), *this,
                                                           session_config);
    if (proxy) {
        // A tunnel to the server's host and port first; the connect timeout covers it too.
        tunnel.emplace(options.limits, url, *proxy);
        tunnel_out.append(tunnel->output());
        tunnel->consume_output(tunnel->output().size());
    } else {
        loop.cancel_timer(connect_timer);
        connect_timer = 0;
        start_handshake();
    }
    if (auto ec = session->start()) {  // registers, and writes the first request
        fail({.error = ec});
    }
}

void WebSocket::Impl::on_tunnel_status(proto::ProxyTunnel::Status status) {
    if (status == proto::ProxyTunnel::Status::need_more) {
        return;
    }
    if (status == proto::ProxyTunnel::Status::failed) {
        fail({.error = tunnel->error(), .status = tunnel->response_status()});
        return;
    }
    tunnel.reset();
    if (tls_in_clear != nullptr) {
        tls_in_clear->start_tls();  // the TLS handshake goes first, through the tunnel
        tls_in_clear = nullptr;
    }
    loop.cancel_timer(connect_timer);
    connect_timer = 0;
    start_handshake();  // written by the engine after this batch of input
}

void WebSocket::Impl::start_handshake() {
    proto::ClientHandshake hs{.host = url.host_header(),
                              .resource = url.resource,
                              .protocols = protocols,
                              .origin = options.origin,
                              .headers = options.headers,
                              .key = {},
                              .deflate = options.deflate};
    endpoint.emplace(options.limits, std::move(hs), loop.now());
}

// A redirect: start again at `location` (absolute, or a path on the same host).
bool WebSocket::Impl::follow(const std::string& location) {
    proto::WsUrl next = url;
    if (!location.empty() && location.front() == '/') {
        next.resource = location;
    } else {
        auto parsed = proto::parse_ws_url(location);
        if (!parsed) {
            return false;
        }
        next = std::move(*parsed);
    }
    ++redirects;
    redirecting = true;
    url = std::move(next);
    // Not here: the endpoint is in the middle of handing out its events.
    loop.defer([self = weak_from_this()] {
        if (auto s = self.lock(); s && !s->finished) {
            s->close_socket();
            s->endpoint.reset();
            s->redirecting = false;
            s->start();
        }
    });
    return true;
}

void WebSocket::Impl::fail(ErrorEvent ev) {
    if (finished) {
        return;
    }
    if (!failure) {
        failure = std::move(ev);
    }
    finish();
}

void WebSocket::Impl::close_socket() {
    connector.cancel();  // attempts still in flight: freed after this batch
    if (session) {
        // Freed after this batch: the engine may be on the stack (a callback that destroyed
        // the WebSocket), and readiness already fetched may name it.
        std::shared_ptr<detail::Session> dead(std::move(session));
        if (!dead->finished()) {
            dead->finish("closed");
        }
        loop.defer([dead] {});
    }
}

void WebSocket::Impl::teardown() {
    if (resolving) {
        resolving->cancel();
        resolving.reset();
    }
    for (net::TimerId* t : {&connect_timer, &reconnect_timer}) {
        if (*t != 0) {
            loop.cancel_timer(*t);
            *t = 0;
        }
    }
    close_socket();
}

// The connection is over: error event (if it failed), then close event.
void WebSocket::Impl::finish() {
    if (finished) {
        return;
    }
    finished = true;
    teardown();
    state = ReadyState::closed;
    CloseEvent close;
    if (endpoint) {
        const proto::CloseInfo& info = endpoint->close_info();
        close.was_clean = info.was_clean && !failure;
        close.code = close.was_clean ? info.code : 1006;
        close.reason = close.was_clean ? info.reason : std::string();
    }
    // Events are tasks in the browser: fired from the loop, never inside the caller's call.
    loop.defer([self = shared_from_this(), err = failure, close = std::move(close)] {
        if (err && self->owner != nullptr && self->owner->on_error) {
            self->call([&] { self->owner->on_error(*err); });
        }
        if (self->owner != nullptr && self->owner->on_close) {
            self->call([&] { self->owner->on_close(close); });
        }
    });
    schedule_reconnect();
}

void WebSocket::Impl::schedule_reconnect() {
    if (app_closed || owner == nullptr) {
        return;
    }
    const std::optional<net::TimeMs> delay = reconnect_policy.next_delay(loop.now());
    if (!delay) {
        return;  // disabled, or max_attempts in a row
    }
    const net::TimeMs ms = *delay;
    reconnect_timer = loop.add_timer(ms, [self = weak_from_this()] {
        if (auto s = self.lock(); s && s->owner != nullptr && !s->app_closed) {
            s->reconnect_timer = 0;
            s->restart();
        }
    });
    loop.defer([self = shared_from_this(), n = reconnect_policy.attempts(), ms] {
        if (self->owner != nullptr && self->owner->on_reconnect) {
            self->call([&] { self->owner->on_reconnect(n, ms); });
        }
    });
}

// A fresh connection on the same object: CONNECTING again.
void WebSocket::Impl::restart() {
    endpoint.reset();
    tunnel.reset();
    tunnel_out = proto::OutputQueue();
    failure.reset();
    redirects = 0;
    discarded = 0;
    finished = false;
    start();
}

}  // namespace wsx
