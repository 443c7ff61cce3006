// wsx::WebSocket; see websocket.hpp. Theory of operation:
//   resolving --addresses--> connecting (net::Connector: attempts staggered 250 ms apart, RFC 8305
//   §5) [--connected to a proxy--> tunnelling (proto::ProxyTunnel, CONNECT)] --connected-->
//   handshaking (a client proto::Endpoint) --Opened--> open --close() or the server's close-->
//   closing --TCP closed or closing timeout--> closed; then perhaps, after a ReconnectPolicy
//   delay, connecting again on the same object.
// Any failure on the way: error event, then close event (1006 unless a closing handshake took
// place). Impl is shared so that a batch of loop events, deferred calls and timers can finish
// safely after the WebSocket is destroyed (they find `owner` null and stop).
#include "wsx/websocket.hpp"

#include <algorithm>
#include <cstdlib>
#include <variant>

#include "wsx/net/address.hpp"
#include "wsx/net/connector.hpp"
#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"
#include "wsx/proto/client_handshake.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/proxy_tunnel.hpp"
#include "wsx/proto/url.hpp"

#include "client/websocket_impl.hpp"

namespace wsx {
// --- the connected socket: what the engine asks of its owner ---

void WebSocket::Impl::on_input(std::span<char> bytes) {
    if (tunnel) {
        on_tunnel_status(tunnel->feed(bytes));
        return;
    }
    endpoint->feed(bytes, loop.now());
    dispatch();
}

void WebSocket::Impl::on_input_end() {
    if (tunnel) {
        if (tunnel->feed_eof() == proto::ProxyTunnel::Status::failed && !failure) {
            failure = ErrorEvent{.error = tunnel->error(), .status = tunnel->response_status()};
        }
    } else if (endpoint) {
        endpoint->feed_eof();
    }
}

std::span<char> WebSocket::Impl::direct_input() {
    return endpoint && !tunnel ? endpoint->direct_input() : std::span<char>{};
}

const proto::OutputQueue& WebSocket::Impl::output() const noexcept {
    return endpoint ? endpoint->output() : tunnel_out;
}

void WebSocket::Impl::consume_output(std::size_t n) noexcept {
    if (endpoint) {
        endpoint->consume_output(n);
    } else {
        tunnel_out.consume(n);
    }
}

bool WebSocket::Impl::protocol_over() const noexcept {
    return endpoint && endpoint->should_close_transport();
}

detail::Linger WebSocket::Impl::linger() const noexcept {
    // Clean: the server closes the TCP connection first (§7.1.1), so wait for it, bounded by
    // the closing timeout. Failed: no reason to wait.
    return failure || !endpoint->close_info().was_clean ? detail::Linger::none
                                                        : detail::Linger::wait_for_fin;
}

std::optional<net::TimeMs> WebSocket::Impl::deadline() const noexcept {
    return endpoint ? endpoint->next_deadline() : std::nullopt;
}

void WebSocket::Impl::on_deadline(net::TimeMs now) {
    // Handshake, idle or closing timeout; the engine then writes what is queued and lingers.
    if (auto ec = endpoint->handle_timeout(now); ec && !failure) {
        failure = ErrorEvent{.error = ec};
    }
}

void WebSocket::Impl::on_callback_threw(std::string_view what) {
    net::log_error(url.to_string(), ": callback threw: ", what);
    if (endpoint && endpoint->state() == proto::State::open) {
        (void)endpoint->close(1011, "internal error", loop.now());  // a valid code: cannot fail
        state = ReadyState::closing;
        output_queued();
    }
}

void WebSocket::Impl::on_finished(std::string_view /*why*/, std::error_code error) {
    if (redirecting) {
        return;  // the redirect's deferred restart takes it from here
    }
    if (error && !failure && state != ReadyState::closing) {
        failure = ErrorEvent{.error = error};
    }
    if (tunnel && !failure) {
        failure = ErrorEvent{.error = make_error_code(proto::Errc::proxy_refused)};
    }
    finish();
}

void WebSocket::Impl::dispatch() {
    auto keep = shared_from_this();
    while (!finished && !redirecting && owner != nullptr) {
        auto event = endpoint->next_event();
        if (!event) {
            break;
        }
        std::visit([&](auto& e) { on_event(e); }, *event);
    }
}

void WebSocket::Impl::on_event(const proto::Opened& e) {
    (void)e;
    state = ReadyState::open;
    reconnect_policy.on_open(loop.now());
    if (owner != nullptr && owner->on_open) {
        call([&] { owner->on_open(); });
    }
}

void WebSocket::Impl::on_event(const proto::MessageReceived& e) {
    if (owner != nullptr && owner->on_message) {
        call([&] { owner->on_message(MessageEvent{e.type, e.data}); });
    }
}

void WebSocket::Impl::on_event(const proto::PingReceived& e) {
    if (owner != nullptr && owner->on_ping) {
        call([&] { owner->on_ping(e.payload); });
    }
}

void WebSocket::Impl::on_event(const proto::PongReceived& e) {
    if (owner != nullptr && owner->on_pong) {
        call([&] { owner->on_pong(e.payload); });
    }
}

void WebSocket::Impl::on_event(const proto::CloseReceived&) {
    // The server's close: our reply is queued at the next next_event(); then, RFC 6455
    // §7.1.1, the server closes the TCP connection first and the client waits for it.
    state = ReadyState::closing;
}

void WebSocket::Impl::on_event(const proto::Failed& e) {
    if (failure || finished) {
        return;
    }
    ErrorEvent ev{.error = e.error};
    const auto* r = state == ReadyState::connecting ? endpoint->handshake_response() : nullptr;
    if (r != nullptr) {
        ev.status = r->status;
        ev.location = std::string(r->header("Location").value_or(""));
        if (ev.error == proto::Errc::unexpected_status && r->status >= 300 && r->status < 400
            && redirects < options.max_redirects && follow(ev.location)) {
            return;
        }
    }
    failure = std::move(ev);
    state = ReadyState::closing;
}

std::error_code WebSocket::Impl::send(std::string_view data, MessageType type) {
    if (state == ReadyState::connecting) {
        return proto::Errc::invalid_state;
    }
    if (state != ReadyState::open || !endpoint) {
        discarded += data.size();
        return proto::Errc::not_open;
    }
    if (endpoint->output().size() + data.size() > options.max_buffered) {
        return std::make_error_code(std::errc::no_buffer_space);
    }
    if (auto ec = endpoint->send(type, data)) {
        return ec;
    }
    output_queued();
    return {};
}

Result<std::unique_ptr<WebSocket>> WebSocket::create(net::Loop& loop, std::string_view url,
                                                     std::vector<std::string> protocols,
                                                     WebSocketOptions options) {
    auto parsed = proto::parse_ws_url(url);
    if (!parsed) {
        return parsed.error();
    }
    if (auto ec = proto::check_protocol_list(protocols)) {
        return ec;
    }
    if (parsed->secure && !options.transport && !options.tls) {
        auto tls = net::TlsClient::create(options.tls_config);
        if (!tls) {
            return tls.error();
        }
        options.tls = std::move(*tls);
    }
    auto impl = std::make_shared<Impl>(loop, std::move(*parsed), std::move(protocols),
                                       std::move(options));
    std::unique_ptr<WebSocket> ws(new WebSocket(impl));
    impl->owner = ws.get();
    impl->start();
    return ws;
}

WebSocket::~WebSocket() {
    impl_->owner = nullptr;
    impl_->finished = true;
    impl_->teardown();
    // Freed after the current batch: loop events already fetched may still name it.
    impl_->loop.defer([keep = std::move(impl_)] {});
}

std::string WebSocket::url() const {
    return impl_->url.to_string();
}

std::string WebSocket::protocol() const {
    return impl_->endpoint ? impl_->endpoint->subprotocol() : std::string();
}

std::string WebSocket::extensions() const {
    return impl_->endpoint ? impl_->endpoint->extensions() : std::string();
}

ReadyState WebSocket::ready_state() const noexcept {
    return impl_->state;
}

std::size_t WebSocket::buffered_amount() const noexcept {
    const std::size_t queued = impl_->endpoint ? impl_->endpoint->output().size() : 0;
    return queued + impl_->discarded;
}

std::error_code WebSocket::send(std::string_view text) {
    return impl_->send(text, MessageType::text);
}

std::error_code WebSocket::send_binary(std::string_view bytes) {
    return impl_->send(bytes, MessageType::binary);
}

std::error_code WebSocket::close(std::optional<std::uint16_t> code, std::string_view reason) {
    // WHATWG close(): InvalidAccessError for other codes, SyntaxError for a long reason, both
    // before anything else happens.
    if (code && *code != 1000 && (*code < 3000 || *code > 4999)) {
        return proto::Errc::invalid_close_code_to_send;
    }
    if (reason.size() > proto::kMaxCloseReason) {
        return proto::Errc::close_reason_too_long;
    }
    Impl& i = *impl_;
    i.app_closed = true;  // no reconnection after this
    if (i.reconnect_timer != 0) {
        i.loop.cancel_timer(i.reconnect_timer);  // closed while waiting to reconnect
        i.reconnect_timer = 0;
    }
    switch (i.state) {
        case ReadyState::closing:
        case ReadyState::closed:
            return {};
        case ReadyState::connecting:
            // "Fail the WebSocket connection": error, then close 1006.
            i.state = ReadyState::closing;
            i.fail({.error = make_error_code(proto::Errc::not_open)});
            return {};
        case ReadyState::open:
            break;
    }
    if (auto ec = i.endpoint->close(code.value_or(1005), reason, i.loop.now())) {
        return ec;  // a reason that is not UTF-8
    }
    i.state = ReadyState::closing;
    i.output_queued();
    return {};
}

std::error_code WebSocket::ping(std::string_view payload) {
    Impl& i = *impl_;
    if (i.state == ReadyState::connecting) {
        return proto::Errc::invalid_state;
    }
    if (i.state != ReadyState::open) {
        return proto::Errc::not_open;
    }
    if (auto ec = i.endpoint->ping(payload)) {
        return ec;
    }
    i.output_queued();
    return {};
}

}  // namespace wsx
