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

#include "reconnect_policy.hpp"

namespace wsx {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWake = 4;

// A proxy variable of the environment: the lower-case name first, as curl reads them.
std::string_view proxy_variable(const char* lower, const char* upper) {
    const char* value = std::getenv(lower);
    if (value == nullptr) {
        value = std::getenv(upper);
    }
    return value != nullptr ? value : "";
}

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

    // The proxy for this URL, if any (see WebSocketOptions::proxy).
    Result<std::optional<proto::ProxyConfig>> choose_proxy() const {
        proto::ProxyEnvironment env;
        if (options.use_environment_proxy) {
            env = {.http_proxy = proxy_variable("http_proxy", "HTTP_PROXY"),
                   .https_proxy = proxy_variable("https_proxy", "HTTPS_PROXY"),
                   .no_proxy = proxy_variable("no_proxy", "NO_PROXY")};
        }
        return proto::choose_proxy(url, options.proxy, env);
    }

    void start() {
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
        connect_timer = loop.add_timer(options.connect_timeout_ms, [self = weak_from_this()] {
            if (auto s = self.lock()) {
                s->connect_timer = 0;
                if (!s->transport) {
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

    void on_resolved(Result<std::vector<net::SocketAddress>> r) {
        resolving.reset();
        if (finished) {
            return;
        }
        if (!r) {
            fail({.error = r.error()});
            return;
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

    void on_connected(net::UniqueFd fd) {
        transport.emplace(std::move(fd));
        if (!proxy) {
            loop.cancel_timer(connect_timer);
            connect_timer = 0;
            start_handshake();
            return;
        }
        // A tunnel to the server's host and port; the connect timeout covers it too.
        tunnel.emplace(options.limits, url, *proxy);
        interest = {.read = true, .write = true};
        if (auto ec = loop.add(transport->fd(), interest, *this)) {
            fail({.error = ec});
        }
    }

    // The CONNECT exchange with the proxy; then the WebSocket handshake through the tunnel.
    void tunnel_io(bool readable, bool writable) {
        if (writable && !tunnel->output().empty()) {
            const std::string_view view = tunnel->output();
            const net::IoResult r = transport->write(std::span<const std::string_view>(&view, 1));
            if (r.status == net::IoResult::Status::error) {
                fail({.error = r.error});
                return;
            }
            tunnel->consume_output(r.bytes);
        }
        if (tunnel->output().empty() && interest.write) {
            interest = {.read = true};
            (void)loop.modify(transport->fd(), interest, *this);
        }
        if (readable) {
            std::array<char, 4096> small{};  // the proxy's answer is a short head
            const net::IoResult r = transport->read(std::span<char>(small));
            if (r.status == net::IoResult::Status::error) {
                fail({.error = r.error});
                return;
            }
            if (r.status != net::IoResult::Status::would_block) {
                on_tunnel_status(r.status == net::IoResult::Status::eof
                                         ? tunnel->feed_eof()
                                         : tunnel->feed(std::span<char>(small.data(), r.bytes)));
            }
        }
    }

    void on_tunnel_status(proto::ProxyTunnel::Status status) {
        if (status == proto::ProxyTunnel::Status::need_more) {
            return;
        }
        if (status == proto::ProxyTunnel::Status::failed) {
            fail({.error = tunnel->error(), .status = tunnel->response_status()});
            return;
        }
        tunnel.reset();
        loop.cancel_timer(connect_timer);
        connect_timer = 0;
        loop.remove(transport->fd());
        start_handshake();
    }

    void start_handshake() {
        proto::ClientHandshake hs{.host = url.host_header(),
                                  .resource = url.resource,
                                  .protocols = protocols,
                                  .origin = options.origin,
                                  .headers = options.headers};
        endpoint.emplace(options.limits, std::move(hs), loop.now());
        interest = {.read = true, .write = true};
        if (auto ec = loop.add(transport->fd(), interest, *this)) {
            fail({.error = ec});
            return;
        }
        flush();
        arm_deadline();
    }

    // --- I/O on the connected socket ---

    void on_io(bool readable, bool writable) override {
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

    void on_readable() {
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

    void dispatch() {
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

    void on_event(const proto::UpgradeRequested&) {}

    void on_event(const proto::HttpRequestReceived&) {}

    void on_event(const proto::Opened& e) {
        (void)e;
        state = ReadyState::open;
        reconnect_policy.on_open(loop.now());
        if (owner != nullptr && owner->on_open) {
            owner->on_open();
        }
    }

    void on_event(const proto::MessageReceived& e) {
        if (owner != nullptr && owner->on_message) {
            owner->on_message(MessageEvent{e.type, e.data});
        }
    }

    void on_event(const proto::PingReceived& e) {
        if (owner != nullptr && owner->on_ping) {
            owner->on_ping(e.payload);
        }
    }

    void on_event(const proto::PongReceived& e) {
        if (owner != nullptr && owner->on_pong) {
            owner->on_pong(e.payload);
        }
    }

    void on_event(const proto::CloseReceived&) {
        // The server's close: our reply is queued at the next next_event(); then, RFC 6455
        // §7.1.1, the server closes the TCP connection first and the client waits for it.
        state = ReadyState::closing;
    }

    void on_event(const proto::Failed& e) {
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

    // A redirect: start again at `location` (absolute, or a path on the same host).
    bool follow(const std::string& location) {
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

    void flush() {
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
                linger_timer = loop.add_timer(options.limits.closing_timeout_ms,
                                              [self = weak_from_this()] {
                                                  if (auto s = self.lock()) {
                                                      s->linger_timer = 0;
                                                      s->finish();
                                                  }
                                              });
            }
        }
        update_interest();
    }

    void update_interest() {
        const net::Interest want{.read = true, .write = !endpoint->output().empty()};
        if (want.read != interest.read || want.write != interest.write) {
            (void)loop.modify(transport->fd(), want, *this);
            interest = want;
        }
    }

    void arm_deadline() {
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

    void on_deadline() {
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

    // --- ending ---

    void fail(ErrorEvent ev) {
        if (finished) {
            return;
        }
        if (!failure) {
            failure = std::move(ev);
        }
        finish();
    }

    void close_socket() {
        connector.cancel();  // attempts still in flight: freed after this batch
        if (transport) {
            loop.remove(transport->fd());
            transport.reset();
        }
    }

    void teardown() {
        if (resolving) {
            resolving->cancel();
            resolving.reset();
        }
        for (net::TimerId* t : {&connect_timer, &deadline_timer, &linger_timer, &reconnect_timer}) {
            if (*t != 0) {
                loop.cancel_timer(*t);
                *t = 0;
            }
        }
        close_socket();
    }

    // The connection is over: error event (if it failed), then close event.
    void finish() {
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
                self->owner->on_error(*err);
            }
            if (self->owner != nullptr && self->owner->on_close) {
                self->owner->on_close(close);
            }
        });
        schedule_reconnect();
    }

    void schedule_reconnect() {
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
                self->owner->on_reconnect(n, ms);
            }
        });
    }

    // A fresh connection on the same object: CONNECTING again.
    void restart() {
        endpoint.reset();
        transport.reset();
        tunnel.reset();
        failure.reset();
        redirects = 0;
        discarded = 0;
        finished = false;
        start();
    }

    std::error_code send(std::string_view data, MessageType type) {
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
};

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
