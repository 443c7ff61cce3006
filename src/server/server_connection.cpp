// One server connection over the engine: the HTTP side until an upgrade, then the WebSocket
// endpoint and the route's handlers; see server_connection.hpp.
#include "server/server_connection.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <variant>

#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"
#include "wsx/net/tls_error.hpp"
#include "wsx/proto/errc.hpp"

#include "net/slot_pool.hpp"
#include "server/http_side.hpp"
#include "server/overloaded.hpp"
#include "server/server_context.hpp"

namespace wsx::detail {
ServerConnection::ServerConnection(ServerContext& context, std::uint64_t id,
                                   std::unique_ptr<net::Transport> transport,
                                   net::SocketAddress remote)
    : ctx_(context),
      id_(id),
      remote_(remote),
      session_(context.loop(), std::move(transport), *this, context.session_config()),
      http_(std::make_unique<HttpSide>(*this, context.loop().now())) {}

ServerConnection::~ServerConnection() = default;

void* ServerConnection::operator new(std::size_t size) {
    (void)size;  // final: always sizeof(ServerConnection)
    return net::SlotPool::of<ServerConnection>().allocate();
}

void ServerConnection::operator delete(void* p) noexcept {
    net::SlotPool::of<ServerConnection>().deallocate(p);
}

std::string_view ServerConnection::route_path() const noexcept {
    return route_ != nullptr ? std::string_view(route_->path) : std::string_view();
}

const std::string& ServerConnection::chosen_subprotocol() const noexcept {
    static const std::string kNone;
    return endpoint_ ? endpoint_->subprotocol() : kNone;
}

bool ServerConnection::open_now() const noexcept {
    return endpoint_ && endpoint_->state() == proto::State::open && !session_.finished();
}

const proto::HttpRequest* ServerConnection::handshake_request() const noexcept {
    if (!request_ && request_head_) {
        std::uint32_t size = 0;
        std::memcpy(&size, request_head_.get(), sizeof size);
        const std::string_view head(request_head_.get() + sizeof size, size);
        // It was parsed within the server's limits once; only the format is checked again.
        const proto::Limits any_size{.max_head_size = head.size() + 1,
                                     .max_line_size = head.size() + 1,
                                     .max_header_count = head.size()};
        auto parsed = proto::parse_request_head(head, any_size);
        if (parsed) {
            request_ = std::make_unique<proto::HttpRequest>(std::move(*parsed));
        }
    }
    if (request_) {
        return request_.get();
    }
    if (ctx_.opening().connection == this) {
        return ctx_.opening().request;
    }
    const auto* pending = http_ ? http_->pending_upgrade() : nullptr;
    return pending != nullptr ? &pending->http : nullptr;
}

void ServerConnection::abort(std::string_view why) {
    on_input_end();
    session_.finish(why);
}

// --- the engine's questions, answered by whichever side is current ---

void ServerConnection::on_input(std::span<char> bytes) {
    if (http_) {
        http_->feed(bytes);
    } else {
        endpoint_->feed(bytes, ctx_.loop().now());
    }
    dispatch_pending();
}

void ServerConnection::dispatch_pending() {
    if (http_) {
        http_->dispatch_events();
        if (http_ && http_->upgrade_ready() && !session_.finished()) {
            open_websocket();
        }
        return;
    }
    dispatch_events();
}

void ServerConnection::on_input_end() {
    if (http_) {
        http_->exchange().feed_eof();
    } else {
        endpoint_->feed_eof();
    }
}

const proto::OutputQueue& ServerConnection::output() const noexcept {
    return http_ ? http_->exchange().output() : endpoint_->output();
}

void ServerConnection::consume_output(std::size_t n) noexcept {
    if (http_) {
        http_->exchange().consume_output(n);
    } else {
        endpoint_->consume_output(n);
    }
}

bool ServerConnection::protocol_over() const noexcept {
    return http_ ? http_->exchange().should_close_transport()
                 : endpoint_->should_close_transport() && !close_reply_held_;
}

bool ServerConnection::wants_input() const noexcept {
    return http_ == nullptr || http_->wants_input();
}

bool ServerConnection::watches_hangup() const noexcept {
    return http_ != nullptr && (http_->has_responder() || http_->upgrade_deferred());
}

bool ServerConnection::on_hangup() {
    return http_ != nullptr && http_->on_hangup();
}

std::optional<net::TimeMs> ServerConnection::deadline() const noexcept {
    return http_ ? http_->exchange().next_deadline() : endpoint_->next_deadline();
}

void ServerConnection::on_deadline(net::TimeMs now) {
    if (http_) {
        http_->on_deadline(now);
        return;
    }
    const auto ec = endpoint_->handle_timeout(now);
    if (ec) {
        net::log_info(remote_.to_string(), " ", route_path(), ": ", ec.message());
    }
    if (endpoint_->should_close_transport() && endpoint_->output().empty()) {
        session_.finish(ec ? ec.message() : "closing handshake timed out");
    }
}

net::TimeMs ServerConnection::write_stall_limit() const noexcept {
    // A client that stops reading a plain-HTTP response is dropped after the idle timeout; a
    // WebSocket peer's silence is the endpoint's idle timeout.
    return http_ && http_->response_in_progress() ? ctx_.options().limits.idle_timeout_ms : 0;
}

void ServerConnection::on_drain() {
    if (http_) {
        http_->on_drain();
    } else if (route_->handlers.on_drain && endpoint_->state() == proto::State::open) {
        session_.invoke([&] { route_->handlers.on_drain(*this); });
    }
}

void ServerConnection::on_file_sent() {
    if (http_) {
        http_->on_file_sent();
    }
}

void ServerConnection::on_callback_threw(std::string_view what) {
    // A throwing user callback must not take the server down: log it, close with 1011 (or 500).
    net::log_error(remote_.to_string(), " ", route_path(), ": handler threw: ", what);
    if (http_) {
        http_->on_callback_threw();
    } else {
        (void)close_websocket(1011, "internal error");
    }
}

// --- the WebSocket side ---

void ServerConnection::open_websocket() {
    AcceptedUpgrade up = http_->take_upgrade();
    http_.reset();
    endpoint_.emplace(std::move(up.upgraded.endpoint));
    route_ = std::move(up.route);
    if (route_->keep_request) {
        const std::string head = proto::format_request_head(up.upgraded.request.http);
        const auto size = static_cast<std::uint32_t>(head.size());  // within the head limit
        request_head_ = std::make_unique_for_overwrite<char[]>(sizeof size + head.size());
        std::memcpy(request_head_.get(), &size, sizeof size);
        std::memcpy(request_head_.get() + sizeof size, head.data(), head.size());
    }
    user_data_ = std::move(up.user_data);
    opened_at_ = ctx_.loop().now();
    ctx_.count_open(1);
    ++ctx_.stats().opened;
    net::log_debug(remote_.to_string(), " ", route_path(), ": open",
                   chosen_subprotocol().empty() ? "" : " subprotocol=", chosen_subprotocol());
    if (route_->handlers.on_open) {
        if (!route_->keep_request) {
            ctx_.opening() = {.connection = this, .request = &up.upgraded.request.http};
        }
        session_.invoke([&] { route_->handlers.on_open(*this); });
        ctx_.opening() = {};  // `up` ends with this call
    }
    dispatch_events();  // frames the client sent right behind its request
}

void ServerConnection::dispatch_events() {
    while (!session_.finished() && !close_reply_held_) {
        auto event = endpoint_->next_event();
        if (!event) {
            break;
        }
        const Handlers& h = route_->handlers;
        std::visit(Overloaded{
                           [&](const proto::Opened&) {},  // client role only
                           [&](const proto::MessageReceived& e) { on_message(e); },
                           [&](const proto::PingReceived& e) {
                               if (h.on_ping) {
                                   session_.invoke([&] { h.on_ping(*this, e.payload); });
                               }
                           },
                           [&](const proto::PongReceived& e) {
                               if (h.on_pong) {
                                   session_.invoke([&] { h.on_pong(*this, e.payload); });
                               }
                           },
                           [&](const proto::CloseReceived& e) { on_peer_close(e); },
                           [&](const proto::Failed& e) { on_failed(e.error); },
                   },
                   *event);
    }
}

void ServerConnection::on_message(const proto::MessageReceived& e) {
    ++messages_in_;
    bytes_in_ += e.data.size();
    if (route_->handlers.on_message) {
        session_.invoke([&] { route_->handlers.on_message(*this, e.data, e.type); });
    }
}

void ServerConnection::on_peer_close(const proto::CloseReceived& e) {
    const Handlers& h = route_->handlers;
    if (h.on_peer_close && endpoint_->close_info().initiator == proto::CloseInfo::Initiator::peer) {
        session_.invoke([&] { h.on_peer_close(*this, e.code, e.reason); });
    }
    net::log_debug(remote_.to_string(), " ", route_path(), ": close frame ", e.code, " received");
}

void ServerConnection::on_failed(std::error_code ec) {
    ++ctx_.stats().failed;
    net::log_warn(remote_.to_string(), " ", route_path(), ": ", ec.message(), " (close ",
                  proto::close_code_for(ec), ")");
}

SendStatus ServerConnection::send_message(std::string_view data, MessageType type,
                                          std::optional<bool> fin) {
    if (!open_now()) {
        return SendStatus::closed;
    }
    const BufferLimits& limits = ctx_.options().buffer;
    if (queued() + data.size() > limits.max_buffered) {
        if (limits.overflow == OverflowAction::drop) {
            ++ctx_.stats().dropped_messages;
            return SendStatus::dropped;
        }
        net::log_warn(remote_.to_string(), " ", route_path(), ": output queue over ",
                      limits.max_buffered, " bytes (close 1008)");
        (void)close_websocket(1008, "output buffer overflow");
        return SendStatus::closed;
    }
    if (fin ? endpoint_->send_fragment(type, data, *fin) : endpoint_->send(type, data)) {
        return SendStatus::closed;
    }
    ++messages_out_;
    bytes_out_ += data.size();
    session_.output_queued();
    return queued() > limits.high_watermark ? SendStatus::backpressure : SendStatus::queued;
}

std::error_code ServerConnection::close_websocket(std::uint16_t code, std::string_view reason) {
    if (session_.finished() || !endpoint_) {
        return proto::Errc::not_open;
    }
    auto ec = endpoint_->close(code, reason, ctx_.loop().now());
    if (close_reply_held_) {
        release_close_reply();  // with our code chosen, or the peer's echoed if ours was bad
    } else if (!ec) {
        session_.output_queued();
    }
    return ec;
}

bool ServerConnection::resolve_upgrade(UpgradeDecision decision) {
    if (!http_ || !http_->resolve_upgrade(std::move(decision))) {
        return false;
    }
    if (!session_.finished()) {
        session_.dispatch([&] { dispatch_pending(); });
    }
    return true;
}

void ServerConnection::defer_close_reply() noexcept {
    close_reply_held_ = endpoint_.has_value() && !session_.finished();
}

void ServerConnection::release_close_reply() {
    if (!close_reply_held_) {
        return;
    }
    close_reply_held_ = false;
    if (session_.in_dispatch()) {
        session_.output_queued();  // the batch in progress dispatches on
    } else if (!session_.finished()) {
        session_.dispatch([&] { dispatch_events(); });
    }
}

std::error_code ServerConnection::send_ping(std::string_view payload) {
    if (session_.finished() || !endpoint_) {
        return proto::Errc::not_open;
    }
    auto ec = endpoint_->ping(payload);
    if (!ec) {
        session_.output_queued();
    }
    return ec;
}

void ServerConnection::log_session(std::string_view why) const {
    // The access log line of a WebSocket session.
    using Initiator = proto::CloseInfo::Initiator;
    const proto::CloseInfo& info = endpoint_->close_info();
    const char* by = info.initiator == Initiator::local  ? "server"
                     : info.initiator == Initiator::peer ? "client"
                                                         : "nobody";
    const std::string& sub = chosen_subprotocol();
    net::log_info(remote_.to_string(), " \"GET ", route_path(),
                  "\" 101 subprotocol=", sub.empty() ? "-" : sub,
                  " duration=", net::format_seconds(ctx_.loop().now() - opened_at_),
                  " in=", messages_in_, "msg/", bytes_in_, "B out=", messages_out_, "msg/",
                  bytes_out_, "B close=", info.code, " by=", by,
                  info.was_clean ? " clean" : " unclean", " (", why, ")");
}

void ServerConnection::on_finished(std::string_view why, std::error_code error) {
    if (error.category() == net::tls_category() || error.category() == net::tls_verify_category()
        || error == net::Errc::tls_plain_http) {
        // A failed TLS handshake (or plain HTTP on the TLS port) never reaches the HTTP side.
        net::log_warn(remote_.to_string(), ": TLS: ", error.message());
    }
    if (http_) {
        http_->on_finished(why);
    } else {
        ctx_.count_open(-1);
        log_session(why);
        const proto::CloseInfo& info = endpoint_->close_info();
        if (route_->handlers.on_close) {
            session_.invoke([&] {
                route_->handlers.on_close(*this, info.code, info.reason, info.was_clean);
            });
        }
    }
    ctx_.release(*this);
}

}  // namespace wsx::detail
