// One server connection: reads into the server's shared buffer, feeds the protocol endpoint,
// dispatches its events to the route's handlers, writes the endpoint's output with writev, and
// closes the TCP connection the RFC's way (FIN after our last frame, then wait for the peer's
// FIN, bounded by the closing timeout). Rule: never parses bytes itself; that is the endpoint's.
#include "wsx/connection.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <variant>

#include "wsx/net/log.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/route.hpp"
#include "wsx/server.hpp"

namespace wsx {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Reads per readiness report before yielding to other connections (fairness).
constexpr int kReadsPerWake = 4;

}  // namespace

Connection::Connection(Server& server, std::uint64_t id, net::UniqueFd fd,
                       net::SocketAddress remote)
    : server_(server),
      id_(id),
      transport_(std::move(fd)),
      remote_(remote),
      exchange_(std::in_place, server.options_.limits, server.loop_.now()) {}

Connection::~Connection() = default;

std::string_view Connection::path() const noexcept {
    return route_ != nullptr ? std::string_view(route_->path) : std::string_view();
}

const Handlers* Connection::handlers() const noexcept {
    return opened_ ? &route_->handlers : nullptr;
}

template <class Fn>
void Connection::invoke(Fn&& fn) {
    // A throwing user callback must not take the server down: log it, close with 1011.
    try {
        fn();
    } catch (const std::exception& e) {
        net::log_error(remote_.to_string(), " ", path(), ": handler threw: ", e.what());
        (void)close(1011, "internal error");
    } catch (...) {
        net::log_error(remote_.to_string(), " ", path(), ": handler threw a non-exception");
        (void)close(1011, "internal error");
    }
}

void Connection::on_io(bool readable, bool writable) {
    if (finished_) {
        return;
    }
    if (writable) {
        flush();
    }
    if (readable && !finished_) {
        if (reading_allowed() || lingering()) {
            on_readable();
        } else {
            on_hangup();
        }
    }
}

void Connection::on_hangup() {
    // Reading is off, so this is a hang-up, an error, or readiness reported before reading
    // stopped. Look without taking: data stays for later, and a FIN or an error is acted on
    // (never ignored: level-triggered epoll would report it again at once).
    char byte = 0;
    const net::IoResult r = transport_.peek(std::span<char>(&byte, 1));
    if (r.status == net::IoResult::Status::eof) {
        if (responder_) {
            feed_eof();
            finish("client closed the connection before the response");  // ends a CGI script
            return;
        }
        peer_fin_seen_ = true;  // read to the end once reading resumes
        update_interest();
    } else if (r.status == net::IoResult::Status::error) {
        feed_eof();
        finish("read: " + r.error.message());
    } else if (r.status == net::IoResult::Status::ok) {
        // Data waits (a pipelined request); a FIN behind it cannot be seen without reading it,
        // and would be reported again and again: stop watching until this response is over.
        hangup_muted_ = true;
        update_interest();
    }
}

void Connection::on_readable() {
    auto& buf = server_.read_buffer_;
    for (int i = 0; i < kReadsPerWake && !finished_ && (reading_allowed() || lingering()); ++i) {
        const net::IoResult r = transport_.read(std::span<char>(buf));
        if (r.status == net::IoResult::Status::would_block) {
            return;
        }
        if (r.status == net::IoResult::Status::eof) {
            feed_eof();
            finish(lingering() ? "closed" : "peer closed the TCP connection");
            return;
        }
        if (r.status == net::IoResult::Status::error) {
            feed_eof();
            finish("read: " + r.error.message());
            return;
        }
        if (lingering()) {
            continue;  // discard: after our close, only the peer's FIN matters
        }
        const std::span<char> data(buf.data(), r.bytes);
        if (endpoint_) {
            endpoint_->feed(data, server_.loop_.now());
        } else {
            exchange_->feed(data, server_.loop_.now());
        }
        dispatch_events();
        if (finished_) {
            return;
        }
        flush();
        if (r.bytes < buf.size()) {
            return;
        }
    }
}

void Connection::dispatch_events() {
    in_dispatch_ = true;
    dispatch_http_events();
    while (!finished_ && endpoint_) {
        auto event = endpoint_->next_event();
        if (!event) {
            break;
        }
        std::visit(Overloaded{
                           [&](const proto::Opened&) {},  // client role only
                           [&](const proto::MessageReceived& e) {
                               const Handlers* h = handlers();
                               ++messages_in_;
                               bytes_in_ += e.data.size();
                               if (h != nullptr && h->on_message) {
                                   invoke([&] { h->on_message(*this, e.data, e.type); });
                               }
                           },
                           [&](const proto::PingReceived& e) {
                               const Handlers* h = handlers();
                               if (h != nullptr && h->on_ping) {
                                   invoke([&] { h->on_ping(*this, e.payload); });
                               }
                           },
                           [&](const proto::PongReceived& e) {
                               const Handlers* h = handlers();
                               if (h != nullptr && h->on_pong) {
                                   invoke([&] { h->on_pong(*this, e.payload); });
                               }
                           },
                           [&](const proto::CloseReceived& e) {
                               const Handlers* h = handlers();
                               if (h != nullptr && h->on_peer_close
                                   && endpoint_->close_info().initiator
                                              == proto::CloseInfo::Initiator::peer) {
                                   invoke([&] { h->on_peer_close(*this, e.code, e.reason); });
                               }
                               net::log_debug(remote_.to_string(), " ", path(), ": close frame ",
                                              e.code, " received");
                           },
                           [&](const proto::Failed& e) { on_failed(e.error); },
                   },
                   *event);
    }
    in_dispatch_ = false;
}

void Connection::on_upgrade_requested(const proto::UpgradeRequest& request) {
    auto reject = [&](int status, std::string_view body) {
        (void)exchange_->reject(status, body);
        ++server_.stats_.rejected;
        net::log_info(remote_.to_string(), " GET ", request.http.target, " -> ", status, " ", body);
    };
    if (!server_.authorized(request.http)) {
        (void)exchange_->reject(401, "authentication required",
                                {{"WWW-Authenticate", kAuthChallenge}});
        ++server_.stats_.rejected;
        net::log_info(remote_.to_string(), " \"GET ", request.http.target, "\" 401");
        return;
    }
    const auto& origins = server_.options_.allowed_origins;
    if (!origins.empty()
        && (!request.origin
            || std::find(origins.begin(), origins.end(), *request.origin) == origins.end())) {
        reject(403, "origin not allowed");
        return;
    }
    route_ = server_.find_route(request.path());
    if (route_ == nullptr && server_.options_.on_http) {
        on_http_request(request.http);  // pywebsocket: no handler → the document root answers
        return;
    }
    if (route_ == nullptr) {
        reject(404, "no WebSocket handler for this path");
        return;
    }
    if (server_.open_count_ >= server_.options_.max_connections) {
        reject(503, "too many connections");
        return;
    }
    UpgradeDecision decision = UpgradeDecision::accept(default_subprotocol(request.subprotocols));
    if (route_->handlers.on_upgrade) {
        const UpgradeContext ctx{request.path(), request.query(),      request.http,
                                 request.origin, request.subprotocols, remote_,
                                 *this};
        try {
            decision = route_->handlers.on_upgrade(ctx);
        } catch (const std::exception& e) {
            net::log_error(remote_.to_string(), " ", request.path(),
                           ": upgrade hook threw: ", e.what());
            reject(500, "internal error");
            return;
        }
    }
    if (!decision.accepted) {
        const bool status_ok = decision.status >= 400 && decision.status <= 599;
        reject(status_ok ? decision.status : 403, decision.body);
        return;
    }
    proto::AcceptOptions accept{.subprotocol = decision.subprotocol, .headers = decision.headers};
    auto upgraded = exchange_->accept(accept, server_.loop_.now());
    if (!upgraded) {
        net::log_error(remote_.to_string(), " ", request.path(),
                       ": upgrade hook: ", upgraded.error().message());
        reject(500, "internal error");
        return;
    }
    endpoint_.emplace(std::move(upgraded->endpoint));
    upgrade_request_ = std::move(upgraded->request);
    user_data_ = std::move(decision.user_data);
    opened_ = true;
    opened_at_ = server_.loop_.now();
    ++server_.open_count_;
    ++server_.stats_.opened;
    net::log_debug(remote_.to_string(), " ", path(), ": open",
                   subprotocol().empty() ? "" : " subprotocol=", subprotocol());
    if (route_->handlers.on_open) {
        invoke([&] { route_->handlers.on_open(*this); });
    }
}

std::string Connection::default_subprotocol(const std::vector<std::string>& offered) const {
    const auto& supported = server_.options_.subprotocols;
    for (const auto& name : offered) {
        if (std::find(supported.begin(), supported.end(), name) != supported.end()) {
            return name;
        }
    }
    return {};
}

void Connection::on_failed(std::error_code ec) {
    ++server_.stats_.failed;
    const bool in_handshake = !opened_;
    net::log_warn(remote_.to_string(), " ", path(), ": ", ec.message(),
                  in_handshake ? " (HTTP " : " (close ",
                  in_handshake ? proto::http_status_for(ec) : proto::close_code_for(ec), ")");
}

SendStatus Connection::send(std::string_view data, MessageType type) {
    if (finished_ || !is_open()) {
        return SendStatus::closed;
    }
    const BufferLimits& limits = server_.options_.buffer;
    if (buffered_amount() + data.size() > limits.max_buffered) {
        if (limits.overflow == OverflowAction::drop) {
            ++server_.stats_.dropped_messages;
            return SendStatus::dropped;
        }
        net::log_warn(remote_.to_string(), " ", path(), ": output queue over ", limits.max_buffered,
                      " bytes (close 1008)");
        (void)close(1008, "output buffer overflow");
        return SendStatus::closed;
    }
    if (endpoint_->send(type, data)) {
        return SendStatus::closed;
    }
    ++messages_out_;
    bytes_out_ += data.size();
    if (!in_dispatch_) {
        flush();
    }
    return buffered_amount() > limits.high_watermark ? SendStatus::backpressure
                                                     : SendStatus::queued;
}

std::size_t Connection::broadcast(std::string_view data, MessageType type) {
    return route_ != nullptr ? server_.broadcast(*route_, data, type) : 0;
}

std::error_code Connection::close(std::uint16_t code, std::string_view reason) {
    if (finished_ || !endpoint_) {
        return proto::Errc::not_open;
    }
    auto ec = endpoint_->close(code, reason, server_.loop_.now());
    if (!ec && !in_dispatch_) {
        flush();
    }
    return ec;
}

std::error_code Connection::ping(std::string_view payload) {
    if (finished_ || !endpoint_) {
        return proto::Errc::not_open;
    }
    auto ec = endpoint_->ping(payload);
    if (!ec && !in_dispatch_) {
        flush();
    }
    return ec;
}

void Connection::flush() {
    std::array<std::string_view, 64> views{};
    while (!output().empty()) {
        const std::size_t n = output().peek(views);
        const net::IoResult r =
                transport_.write(std::span<const std::string_view>(views.data(), n));
        if (r.status == net::IoResult::Status::would_block) {
            break;
        }
        if (r.status != net::IoResult::Status::ok) {
            feed_eof();
            finish("writev: " + r.error.message());
            return;
        }
        consume_output(r.bytes);
        last_write_progress_ = server_.loop_.now();
    }
    if (file_left_ > 0 && output().empty()) {
        send_file_body();
        if (finished_) {
            return;
        }
        if (file_left_ == 0 && !in_dispatch_) {
            after_http_response();  // requests pipelined behind the file
            return;
        }
    }
    const BufferLimits& limits = server_.options_.buffer;
    const std::size_t buffered = buffered_amount();
    bool drained = false;
    if (!paused_ && buffered > limits.high_watermark) {
        paused_ = true;
    } else if (paused_ && buffered < limits.low_watermark) {
        paused_ = false;
        drained = true;
    }
    if (should_close_transport() && file_left_ == 0) {
        close_transport_when_drained();
    }
    update_interest();
    if (drained && opened_ && route_->handlers.on_drain && is_open()) {
        invoke([&] { route_->handlers.on_drain(*this); });
    } else if (drained && responder_ && response_in_progress()) {
        responder_->on_drain();
    }
}

bool Connection::reading_allowed() const noexcept {
    // While a plain-HTTP response is being produced or sent, the next request waits in the socket.
    return !paused_ && !app_paused_ && !responder_ && !response_in_progress();
}

void Connection::set_reading_paused(bool paused) {
    if (finished_ || app_paused_ == paused) {
        return;
    }
    app_paused_ = paused;
    update_interest();
}

void Connection::update_interest() {
    const bool read = reading_allowed() || lingering();
    const net::Interest want{
            .read = read,
            .write = !output().empty() || file_left_ > 0,
            .hangup = (read || (responder_ != nullptr && !hangup_muted_)) && !peer_fin_seen_};
    if (want.read != interest_.read || want.write != interest_.write
        || want.hangup != interest_.hangup) {
        if (auto ec = server_.loop_.modify(transport_.fd(), want, *this)) {
            net::log_error("epoll_ctl: ", ec.message());
        }
        interest_ = want;
    }
}

void Connection::close_transport_when_drained() {
    // The protocol is over. From now on the TCP connection has the closing timeout to go away,
    // whether or not the peer reads what is still queued (a peer that stopped reading would
    // otherwise hold it forever).
    if (close_deadline_ == 0) {
        close_deadline_ = server_.loop_.now()
                          + std::max<net::TimeMs>(server_.options_.limits.closing_timeout_ms, 1);
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first. A FIN after our last byte, then
    // wait for the peer's FIN: closing at once could turn unread input into a RST that destroys
    // our close frame before the peer reads it.
    if (output().empty() && !write_shut_) {
        transport_.shutdown_write();
        write_shut_ = true;
    }
}

void Connection::on_timer(net::TimeMs now) {
    if (finished_) {
        return;
    }
    if (lingering()) {
        if (now >= close_deadline_) {
            finish(write_shut_ ? "peer did not close the TCP connection in time"
                               : "peer stopped reading; unsent output dropped");
        }
        return;
    }
    const net::TimeMs stall = server_.options_.limits.idle_timeout_ms;
    if (response_in_progress() && (file_left_ > 0 || !output().empty()) && stall > 0
        && now - last_write_progress_ >= stall) {
        log_http_response("client stopped reading");
        finish("client stopped reading the response");
        return;
    }
    const auto deadline = endpoint_ ? endpoint_->next_deadline() : exchange_->next_deadline();
    if (!deadline || now < *deadline) {
        return;
    }
    const auto ec = endpoint_ ? endpoint_->handle_timeout(now) : exchange_->handle_timeout(now);
    if (ec) {
        net::log_info(remote_.to_string(), " ", path(), ": ", ec.message());
    }
    if (should_close_transport() && output().empty()) {
        finish(ec ? ec.message() : "closing handshake timed out");
        return;
    }
    flush();
}

void Connection::log_session(std::string_view why) const {
    // The access log line of a WebSocket session.
    using Initiator = proto::CloseInfo::Initiator;
    const proto::CloseInfo& info = endpoint_->close_info();
    const char* by = info.initiator == Initiator::local  ? "server"
                     : info.initiator == Initiator::peer ? "client"
                                                         : "nobody";
    const net::TimeMs ms = server_.loop_.now() - opened_at_;
    net::log_info(remote_.to_string(), " \"GET ", path(),
                  "\" 101 subprotocol=", subprotocol().empty() ? "-" : subprotocol(),
                  " duration=", net::format_seconds(ms), " in=", messages_in_, "msg/", bytes_in_,
                  "B out=", messages_out_, "msg/", bytes_out_, "B close=", info.code, " by=", by,
                  info.was_clean ? " clean" : " unclean", " (", why, ")");
}

void Connection::finish(std::string_view why) {
    if (finished_) {
        return;
    }
    finished_ = true;
    server_.loop_.remove(transport_.fd());
    if (responder_) {
        log_http_response(why);
        responder_.reset();  // tells the producer to stop
    }
    if (opened_) {
        --server_.open_count_;
        const proto::CloseInfo& info = endpoint_->close_info();
        log_session(why);

        if (route_->handlers.on_close) {
            invoke([&] {
                route_->handlers.on_close(*this, info.code, info.reason, info.was_clean);
            });
        }
    }
    server_.release(*this);
}

}  // namespace wsx
