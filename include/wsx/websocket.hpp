// wsx::WebSocket: the browser's WebSocket object (WHATWG "WebSockets" standard) for C++ programs,
// on a wsx event loop. Construction starts connecting; events arrive on the loop thread, never
// from inside a call the application makes, in the browser's order (open, messages, then error
// and close on a failure, or close alone on a clean end).
//
//     auto ws = wsx::WebSocket::create(loop, "ws://localhost:9998/echo");
//     if (!ws) { /* ws.error(): the browser's SyntaxError cases */ }
//     (*ws)->on_open = [&] { (*ws)->send("Message to send"); };
//     (*ws)->on_message = [&](const wsx::MessageEvent& e) { std::cout << e.data << "\n"; };
//     (*ws)->on_close = [&](const wsx::CloseEvent& e) { loop.stop(); };
//     loop.run();
//
// Beyond the browser, opt-in through WebSocketOptions: extra request header fields, an Origin,
// connect and handshake timeouts, following redirects. The loop must outlive the object; the
// object may be destroyed anywhere, inside its own callbacks too (no event fires after that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "wsx/net/loop.hpp"
#include "wsx/net/tls.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/proto/endpoint.hpp"
#include "wsx/result.hpp"

namespace wsx {

using proto::MessageType;

/// WHATWG readyState values.
enum class ReadyState : int { connecting = 0, open = 1, closing = 2, closed = 3 };

/// WHATWG binaryType. Both deliver binary messages as bytes (MessageEvent::data); the property is
/// kept so code written against the browser's object reads the same.
enum class BinaryType { blob, arraybuffer };

/// A message. `data` is valid during the callback only; copy it to keep it.
struct MessageEvent {
    MessageType type;
    std::string_view data;
};

/// Why the connection failed (fired before the close event, as the browser does). Beyond the
/// browser, which tells nothing: the error, and the HTTP status when the server refused the
/// handshake (with Location for a redirect that was not followed).
struct ErrorEvent {
    std::error_code error;
    int status = 0;
    std::string location;
};

/// The connection is closed: the code received (1005 if the close frame had none; 1006 if the
/// connection ended without a closing handshake), its reason, and whether it closed cleanly.
struct CloseEvent {
    std::uint16_t code = 1006;
    std::string reason;
    bool was_clean = false;
};

/// Automatic reconnection (beyond the browser, whose object never reconnects): after a
/// connection ends without the application's close() (a server close, a failure, a refused
/// connect), a new one starts after initial_delay, then delays growing by `factor` up to
/// max_delay, each varied by ±jitter so that many clients do not return at once. The count (and
/// the delay) starts again once a connection has stayed open for min_uptime, so a server that
/// accepts and drops at once is not hammered. Each connection fires its own events (open ...
/// close).
struct ReconnectOptions {
    bool enabled = false;
    net::TimeMs initial_delay_ms = 500;
    net::TimeMs max_delay_ms = 30'000;
    double factor = 2.0;
    double jitter = 0.2;   // fraction of the delay
    int max_attempts = 0;  // in a row; 0: no limit
    net::TimeMs min_uptime_ms = 5'000;
};

struct WebSocketOptions {
    proto::HeaderList headers;          // extra request fields: Authorization, Cookie, ...
    std::optional<std::string> origin;  // the Origin field (a browser always sends one)
    /// Name resolution and TCP connect, every address included; then the error event.
    net::TimeMs connect_timeout_ms = 10'000;
    /// Message size, handshake timeout (10 s), idle timeout (60 s, keepalive ping at half of it;
    /// 0 disables), closing timeout (5 s).
    proto::Limits limits;
    /// 3xx answers to the handshake followed, at most this many times; 0: reported, not
    /// followed (the browser's behaviour).
    int max_redirects = 0;
    /// An HTTP proxy to tunnel through with CONNECT ("http://user:pass@proxy:3128"). Empty: the
    /// environment's, as curl reads it (http_proxy or HTTP_PROXY for ws://, https_proxy or
    /// HTTPS_PROXY for wss://, except hosts in no_proxy or NO_PROXY), unless
    /// use_environment_proxy is false. Loopback hosts (localhost, 127.0.0.0/8, ::1) never go
    /// through an environment proxy.
    std::string proxy;
    bool use_environment_proxy = true;
    ReconnectOptions reconnect;
    /// send() refuses data past this much queued and unsent (std::errc::no_buffer_space).
    std::size_t max_buffered = 64 * 1024 * 1024;
    /// permessage-deflate (RFC 7692), offered as browsers offer it
    /// (`permessage-deflate; client_max_window_bits`); `deflate.enabled = false` offers nothing.
    proto::DeflateOffer deflate;
    /// Makes the connection's transport over the connected socket; empty: plain TCP for ws://,
    /// TLS (`tls`) for wss://.
    net::TransportFactory transport;
    /// TLS for wss:// URLs (through a proxy too, after its CONNECT tunnel). Empty: made from
    /// `tls_config`, whose default verifies the server against the system's CA store.
    std::shared_ptr<net::TlsClient> tls;
    net::TlsClientConfig tls_config;
    /// The local IP address (a literal, "127.0.0.2") to connect from; empty: the system's
    /// choice. A load generator spreads its connections over 127.0.0.0/8 this way to pass the
    /// ephemeral port range of one source address.
    std::string local_address;
};

class WebSocket {
public:
    /// Starts connecting to `url` offering `protocols`. Errors (the browser's SyntaxError): a bad
    /// URL (proto::Errc::bad_url_scheme, url_has_fragment, ...) or protocol list
    /// (bad_protocol_list). Connection failures come later, as events.
    [[nodiscard]] static Result<std::unique_ptr<WebSocket>> create(
            net::Loop& loop, std::string_view url, std::vector<std::string> protocols = {},
            WebSocketOptions options = {});

    WebSocket(const WebSocket&) = delete;
    WebSocket& operator=(const WebSocket&) = delete;

    /// Drops the connection at once (no closing handshake, no more events).
    ~WebSocket();

    std::function<void()> on_open;
    std::function<void(const MessageEvent&)> on_message;
    std::function<void(const ErrorEvent&)> on_error;
    std::function<void(const CloseEvent&)> on_close;
    std::function<void(std::string_view payload)> on_ping;  // beyond the browser
    std::function<void(std::string_view payload)> on_pong;  // beyond the browser
    /// A reconnection is scheduled (ReconnectOptions): its number in a row and its delay.
    std::function<void(int attempt, net::TimeMs delay_ms)> on_reconnect;

    BinaryType binary_type = BinaryType::blob;

    /// The URL connected to, normalised (after redirects, the last one).
    [[nodiscard]] std::string url() const;

    /// The subprotocol the server chose; empty until open, or if none.
    [[nodiscard]] std::string protocol() const;

    /// The extensions the server accepted (its Sec-WebSocket-Extensions value, such as
    /// "permessage-deflate; client_max_window_bits=15"); empty until open, or if none.
    [[nodiscard]] std::string extensions() const;

    [[nodiscard]] ReadyState ready_state() const noexcept;

    /// Bytes queued by send() and not yet written to the socket, plus, as in the browser, the
    /// bytes of sends refused once CLOSING or CLOSED.
    [[nodiscard]] std::size_t buffered_amount() const noexcept;

    /// Sends a text message (UTF-8). Errors: invalid_state while CONNECTING (the browser's
    /// InvalidStateError); not_open once CLOSING or CLOSED (nothing is sent, buffered_amount
    /// grows, as in the browser); std::errc::no_buffer_space past max_buffered.
    [[nodiscard]] std::error_code send(std::string_view text);

    /// Sends a binary message. Errors as send().
    [[nodiscard]] std::error_code send_binary(std::string_view bytes);

    /// Starts the closing handshake, with the browser's rules: a code must be 1000 or 3000-4999
    /// (else invalid_close_code_to_send, the InvalidAccessError) and the reason at most 123
    /// UTF-8 bytes (else close_reason_too_long, the SyntaxError); nothing is sent then. While
    /// CONNECTING the connection fails (error, then close 1006); once CLOSING or CLOSED nothing
    /// happens.
    [[nodiscard]] std::error_code close(std::optional<std::uint16_t> code = std::nullopt,
                                        std::string_view reason = {});

    /// Sends a ping (beyond the browser). Errors: invalid_state, not_open,
    /// control_payload_too_long.
    [[nodiscard]] std::error_code ping(std::string_view payload = {});

    struct Impl;

private:
    explicit WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

    std::shared_ptr<Impl> impl_;
};

}  // namespace wsx
