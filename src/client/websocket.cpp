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
#include <array>
#include <cstdlib>
#include <variant>

#include "wsx/net/address.hpp"
#include "wsx/net/connector.hpp"
#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"
#include "wsx/net/tcp.hpp"
#include "wsx/proto/client_handshake.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/proto/proxy_tunnel.hpp"
#include "wsx/proto/url.hpp"

#include "websocket_impl.hpp"

namespace wsx {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWake = 4;

// One read buffer per thread, as the server keeps one per server, instead of 64 KiB per
// connection: what is read is handed to the endpoint, which keeps views of it only until its
// events are drained, before the next read. A read made while the buffer is in use (a callback
// running a nested loop on the same thread, such as BlockingWebSocket's) gets one of its own.
class ReadBuffer {
public:
    class Lease {
    public:
        Lease() : shared_(!instance().busy_) {
            if (shared_) {
                instance().busy_ = true;
            } else {
                own_.resize(kReadChunk);
            }
        }

        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        ~Lease() {
            if (shared_) {
                instance().busy_ = false;
            }
        }

        std::vector<char>& bytes() { return shared_ ? instance().bytes_ : own_; }

    private:
        bool shared_;
        std::vector<char> own_;
    };

private:
    static ReadBuffer& instance() {
        thread_local ReadBuffer buffer;
        return buffer;
    }

    std::vector<char> bytes_ = std::vector<char>(kReadChunk);
    bool busy_ = false;
};

}  // namespace

void WebSocket::Impl::on_io(bool readable, bool writable) {
    auto keep = shared_from_this();
    if (finished || redirecting) {
        return;
    }
    if (tunnel) {
        tunnel_io(readable, writable);
        return;
    }
    if (writable) {
        flush();
    }
    if (readable && !finished) {
        on_readable();
    }
}

void WebSocket::Impl::on_readable() {
    ReadBuffer::Lease lease;
    std::vector<char>& buffer = lease.bytes();
    for (int i = 0; i < kReadsPerWake && !finished && !redirecting; ++i) {
        const net::IoResult r = transport->read(std::span<char>(buffer));
        if (r.status == net::IoResult::Status::would_block) {
            break;
        }
        if (r.status != net::IoResult::Status::ok) {
            endpoint->feed_eof();
            if (r.status == net::IoResult::Status::error && !failure
                && state != ReadyState::closing) {
                failure = ErrorEvent{.error = r.error};
            }
            finish();
            return;
        }
        if (endpoint->should_close_transport()) {
            continue;  // closing handshake done: waiting for the server's FIN only
        }
        endpoint->feed(std::span<char>(buffer.data(), r.bytes), loop.now());
        dispatch();
        if (r.bytes < buffer.size()) {
            break;
        }
    }
    if (!finished && !redirecting) {
        flush();
        arm_deadline();
    }
}

void WebSocket::Impl::dispatch() {
    in_dispatch = true;
    auto keep = shared_from_this();
    while (!finished && owner != nullptr) {
        auto event = endpoint->next_event();
        if (!event) {
            break;
        }
        std::visit([&](auto& e) { on_event(e); }, *event);
    }
    in_dispatch = false;
}

void WebSocket::Impl::on_event(const proto::UpgradeRequested&) {}

void WebSocket::Impl::on_event(const proto::HttpRequestReceived&) {}

void WebSocket::Impl::on_event(const proto::Opened& e) {
    (void)e;
    state = ReadyState::open;
    reconnect_policy.on_open(loop.now());
    if (owner != nullptr && owner->on_open) {
        owner->on_open();
    }
}

void WebSocket::Impl::on_event(const proto::MessageReceived& e) {
    if (owner != nullptr && owner->on_message) {
        owner->on_message(MessageEvent{e.type, e.data});
    }
}

void WebSocket::Impl::on_event(const proto::PingReceived& e) {
    if (owner != nullptr && owner->on_ping) {
        owner->on_ping(e.payload);
    }
}

void WebSocket::Impl::on_event(const proto::PongReceived& e) {
    if (owner != nullptr && owner->on_pong) {
        owner->on_pong(e.payload);
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

void WebSocket::Impl::flush() {
    if (!transport || finished || redirecting) {
        return;
    }
    std::array<std::string_view, 64> views{};
    while (!endpoint->output().empty()) {
        const std::size_t n = endpoint->output().peek(views);
        const net::IoResult r =
                transport->write(std::span<const std::string_view>(views.data(), n));
        if (r.status == net::IoResult::Status::would_block) {
            break;
        }
        if (r.status != net::IoResult::Status::ok) {
            endpoint->feed_eof();
            if (!failure && state != ReadyState::closing) {
                failure = ErrorEvent{.error = r.error};
            }
            finish();
            return;
        }
        endpoint->consume_output(r.bytes);
    }
    if (endpoint->should_close_transport() && endpoint->output().empty()) {
        if (failure || !endpoint->close_info().was_clean) {
            finish();  // failed: no reason to wait for the server
            return;
        }
        // Clean: wait for the server's FIN, bounded by the closing timeout (§7.1.1).
        if (linger_timer == 0) {
            linger_timer =
                    loop.add_timer(options.limits.closing_timeout_ms, [self = weak_from_this()] {
                        if (auto s = self.lock()) {
                            s->linger_timer = 0;
                            s->finish();
                        }
                    });
        }
    }
    update_interest();
}

void WebSocket::Impl::update_interest() {
    const net::Interest want{.read = true, .write = !endpoint->output().empty()};
    if (want.read != interest.read || want.write != interest.write) {
        (void)loop.modify(transport->fd(), want, *this);
        interest = want;
    }
}

void WebSocket::Impl::arm_deadline() {
    loop.cancel_timer(deadline_timer);
    deadline_timer = 0;
    if (!endpoint || finished) {
        return;
    }
    const auto deadline = endpoint->next_deadline();
    if (!deadline) {
        return;
    }
    deadline_timer = loop.add_timer(std::max<net::TimeMs>(*deadline - loop.now(), 0),
                                    [self = weak_from_this()] {
                                        if (auto s = self.lock()) {
                                            s->deadline_timer = 0;
                                            s->on_deadline();
                                        }
                                    });
}

void WebSocket::Impl::on_deadline() {
    if (finished || !endpoint) {
        return;
    }
    if (auto ec = endpoint->handle_timeout(loop.now())) {
        if (!failure) {
            failure = ErrorEvent{.error = ec};
        }
    }
    flush();
    if (!finished && endpoint->should_close_transport() && endpoint->output().empty()) {
        finish();
        return;
    }
    arm_deadline();
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
    if (!in_dispatch) {
        flush();
    }
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
    if (parsed->secure) {
        return std::make_error_code(std::errc::protocol_not_supported);  // until TLS lands
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
    return {};
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
    if (!i.in_dispatch) {
        i.flush();
        i.arm_deadline();
    }
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
    if (!i.in_dispatch) {
        i.flush();
    }
    return {};
}

}  // namespace wsx
