// WebSocket::Impl, the state of one client WebSocket, shared by websocket.cpp (the connected
// socket's I/O and the WHATWG facade) and websocket_connect.cpp (connecting, tunnelling,
// redirects, ending and reconnecting). Private to wsx_client. Rule: declarations only; the theory
// of operation is in websocket.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/net/address.hpp"
#include "wsx/net/connector.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/net/tcp.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/output_queue.hpp"
#include "wsx/proto/proxy_tunnel.hpp"
#include "wsx/proto/url.hpp"
#include "wsx/websocket.hpp"

#include "client/reconnect_policy.hpp"
#include "engine/owned_session.hpp"

namespace wsx {

struct WebSocket::Impl final : std::enable_shared_from_this<WebSocket::Impl> {
    Impl(net::Loop& l, proto::WsUrl u, std::vector<std::string> p, WebSocketOptions o)
        : loop(l),
          url(std::move(u)),
          protocols(std::move(p)),
          options(std::move(o)),
          session_config{.closing_timeout_ms = options.limits.closing_timeout_ms},
          connector(l),
          reconnect_policy(options.reconnect) {}

    ~Impl() { teardown(); }

    net::Loop& loop;
    WebSocket* owner = nullptr;  // null once the WebSocket is destroyed
    proto::WsUrl url;
    std::vector<std::string> protocols;
    WebSocketOptions options;
    // The client reads whatever it has queued: no watermarks; lingering as the options say.
    detail::SessionConfig session_config;
    ReadyState state = ReadyState::connecting;
    std::optional<proto::ProxyConfig> proxy;   // tunnel through it with CONNECT
    std::optional<proto::ProxyTunnel> tunnel;  // the CONNECT exchange, until it opens
    proto::OutputQueue tunnel_out;             // the CONNECT request, through the engine
    std::shared_ptr<net::ResolveHandle> resolving;
    net::Connector connector;  // RFC 8305 staggered connects to the resolved addresses
    net::TransportFactory plain_transports = net::tcp_transports();  // unless options.transport
    net::TlsTransport* tls_in_clear = nullptr;  // wss:// through a proxy: TLS once tunnelled
    std::unique_ptr<detail::OwnedSession<Impl>>
            session;  // the connected socket, through the engine
    std::optional<proto::Endpoint> endpoint;
    net::TimerId connect_timer = 0;
    std::size_t discarded = 0;  // bytes of sends refused once CLOSING or CLOSED
    std::optional<ErrorEvent> failure;
    int redirects = 0;
    bool app_closed = false;  // close() was called: no reconnection
    ReconnectPolicy reconnect_policy;
    net::TimerId reconnect_timer = 0;
    bool redirecting = false;  // a 3xx is being followed: this connection is left as it is
    bool finished = false;

    // --- connecting (websocket_connect.cpp) ---

    [[nodiscard]] Result<std::optional<proto::ProxyConfig>> choose_proxy() const;

    void start();

    void on_resolved(Result<std::vector<net::SocketAddress>> r);

    void on_connected(net::UniqueFd fd);

    [[nodiscard]] Result<std::unique_ptr<net::Transport>> make_transport(net::UniqueFd fd);

    void on_tunnel_status(proto::ProxyTunnel::Status status);

    void start_handshake();

    [[nodiscard]] bool follow(const std::string& location);

    // --- the connected socket (websocket.cpp): what the engine asks of its owner ---

    void on_input(std::span<char> bytes);
    void on_input_end();
    [[nodiscard]] std::span<char> direct_input();
    [[nodiscard]] const proto::OutputQueue& output() const noexcept;
    void consume_output(std::size_t n) noexcept;
    [[nodiscard]] bool protocol_over() const noexcept;
    [[nodiscard]] detail::Linger linger() const noexcept;
    [[nodiscard]] std::optional<net::TimeMs> deadline() const noexcept;
    void on_deadline(net::TimeMs now);
    void on_callback_threw(std::string_view what);
    void on_finished(std::string_view why, std::error_code error);

    void dispatch();

    void on_event(const proto::Opened& e);

    void on_event(const proto::MessageReceived& e);

    void on_event(const proto::PingReceived& e);

    void on_event(const proto::PongReceived& e);

    void on_event(const proto::CloseReceived&);

    void on_event(const proto::Failed& e);

    /// Runs an application callback through the engine's one exception wrapper.
    template <class Fn>
    void call(Fn&& fn) {
        if (session) {
            session->invoke(std::forward<Fn>(fn));
        } else {
            detail::run_guarded(std::forward<Fn>(fn),
                                [&](std::string_view what) { on_callback_threw(what); });
        }
    }

    /// Queued output is written now, unless events are being dispatched (then after them).
    void output_queued() {
        if (session) {
            session->output_queued();
        }
    }

    // --- ending (websocket_connect.cpp) ---

    void fail(ErrorEvent ev);

    void close_socket();

    void teardown();

    void finish();

    void schedule_reconnect();

    void restart();

    [[nodiscard]] std::error_code send(std::string_view data, MessageType type);
};

}  // namespace wsx
