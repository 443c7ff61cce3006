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
#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/proxy_tunnel.hpp"
#include "wsx/proto/url.hpp"
#include "wsx/websocket.hpp"

#include "reconnect_policy.hpp"

namespace wsx {

struct WebSocket::Impl final : net::IoHandler, std::enable_shared_from_this<WebSocket::Impl> {
    Impl(net::Loop& l, proto::WsUrl u, std::vector<std::string> p, WebSocketOptions o)
        : loop(l),
          url(std::move(u)),
          protocols(std::move(p)),
          options(std::move(o)),
          connector(l),
          reconnect_policy(options.reconnect) {}

    ~Impl() { teardown(); }

    net::Loop& loop;
    WebSocket* owner = nullptr;  // null once the WebSocket is destroyed
    proto::WsUrl url;
    std::vector<std::string> protocols;
    WebSocketOptions options;
    ReadyState state = ReadyState::connecting;
    std::optional<proto::ProxyConfig> proxy;   // tunnel through it with CONNECT
    std::optional<proto::ProxyTunnel> tunnel;  // the CONNECT exchange, until it opens
    std::shared_ptr<net::ResolveHandle> resolving;
    net::Connector connector;  // RFC 8305 staggered connects to the resolved addresses
    std::optional<net::TcpTransport> transport;
    std::optional<proto::Endpoint> endpoint;
    net::Interest interest{.read = true};
    net::TimerId connect_timer = 0;
    net::TimerId deadline_timer = 0;
    net::TimerId linger_timer = 0;
    std::size_t discarded = 0;  // bytes of sends refused once CLOSING or CLOSED
    std::optional<ErrorEvent> failure;
    int redirects = 0;
    bool app_closed = false;  // close() was called: no reconnection
    ReconnectPolicy reconnect_policy;
    net::TimerId reconnect_timer = 0;
    bool in_dispatch = false;
    bool redirecting = false;  // a 3xx is being followed: this connection is left as it is
    bool finished = false;

    // --- connecting ---

    [[nodiscard]] Result<std::optional<proto::ProxyConfig>> choose_proxy() const;

    void start();

    void on_resolved(Result<std::vector<net::SocketAddress>> r);

    void on_connected(net::UniqueFd fd);

    void tunnel_io(bool readable, bool writable);

    void on_tunnel_status(proto::ProxyTunnel::Status status);

    void start_handshake();

    // --- I/O on the connected socket ---

    void on_io(bool readable, bool writable) override;

    void on_readable();

    void dispatch();

    void on_event(const proto::UpgradeRequested&);

    void on_event(const proto::HttpRequestReceived&);

    void on_event(const proto::Opened& e);

    void on_event(const proto::MessageReceived& e);

    void on_event(const proto::PingReceived& e);

    void on_event(const proto::PongReceived& e);

    void on_event(const proto::CloseReceived&);

    void on_event(const proto::Failed& e);

    [[nodiscard]] bool follow(const std::string& location);

    void flush();

    void update_interest();

    void arm_deadline();

    void on_deadline();

    // --- ending ---

    void fail(ErrorEvent ev);

    void close_socket();

    void teardown();

    void finish();

    void schedule_reconnect();

    void restart();

    [[nodiscard]] std::error_code send(std::string_view data, MessageType type);
};

}  // namespace wsx
