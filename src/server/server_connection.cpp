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
#include "wsx/proto/keepalive.hpp"

#include "server/http_side.hpp"
#include "server/overloaded.hpp"
#include "server/server_context.hpp"

namespace wsx::detail {
ServerConnection::ServerConnection(ServerContext& context, std::uint64_t id,
                                   std::unique_ptr<net::Transport> transport,
                                   net::SocketAddress remote)
    : Session(context.loop(), std::move(transport)), id_(id), remote_(remote) {
    new (&side_.http)
            std::unique_ptr<HttpSide>(std::make_unique<HttpSide>(*this, context.loop().now()));
}

ServerConnection::~ServerConnection() {
    if (subscribed_ && context().topics().remove(this) > 0) {
        context().topics_changed();  // unsubscribed on close
    }
    // The handler's data first, the route last: what the data holds may run code of the
    // route's handler (a native handler's library stays loaded while its route is held).
    cold_.reset();
    if (websocket_) {
        side_.endpoint.~Endpoint();
    } else {
        side_.http.~unique_ptr();
    }
    if (route_ != nullptr) {
        context().routes_held().release(route_);
    }
}

const SessionConfig& ServerConnection::session_config() const noexcept {
    return context().session_config();
}

std::shared_ptr<const Route> ServerConnection::route_ptr() const noexcept {
    return route_ != nullptr ? context().routes_held().shared(route_) : nullptr;
}

std::string_view ServerConnection::route_path() const noexcept {
    return route_ != nullptr ? std::string_view(route_->path) : std::string_view();
}

const std::string& ServerConnection::chosen_subprotocol() const noexcept {
    static const std::string kNone;
    return websocket_ ? side_.endpoint.subprotocol() : kNone;
}

const std::any& ServerConnection::data_const() const noexcept {
    static const std::any kNone;
    return cold_ ? cold_->user_data : kNone;
}

bool ServerConnection::open_now() const noexcept {
    return websocket_ && side_.endpoint.state() == proto::State::open && !Session::finished();
}

const proto::HttpRequest* ServerConnection::handshake_request() const noexcept {
    if (cold_ && !cold_->request && cold_->request_head) {
        std::uint32_t size = 0;
        std::memcpy(&size, cold_->request_head.get(), sizeof size);
        const std::string_view head(cold_->request_head.get() + sizeof size, size);
        // It was parsed within the server's limits once; only the format is checked again.
        const proto::Limits any_size{.max_head_size = head.size() + 1,
                                     .max_line_size = head.size() + 1,
                                     .max_header_count = head.size()};
        auto parsed = proto::parse_request_head(head, any_size);
        if (parsed) {
            cold_->request = std::make_unique<proto::HttpRequest>(std::move(*parsed));
        }
    }
    if (cold_ && cold_->request) {
        return cold_->request.get();
    }
    if (context().opening().connection == this) {
        return context().opening().request;
    }
    const auto* pending = http() != nullptr ? http()->pending_upgrade() : nullptr;
    return pending != nullptr ? &pending->http : nullptr;
}

void ServerConnection::abort(std::string_view why) {
    on_input_end();
    Session::finish(why);
}

// --- the engine's questions, answered by whichever side is current ---

void ServerConnection::on_input(std::span<char> bytes) {
    if (http() != nullptr) {
        http()->feed(bytes);
    } else {
        side_.endpoint.feed(bytes, context().loop().now());
    }
    dispatch_pending();
}

void ServerConnection::dispatch_pending() {
    if (http() != nullptr) {
        http()->dispatch_events();
        if (http() != nullptr && http()->upgrade_ready() && !Session::finished()) {
            open_websocket();
        }
        return;
    }
    dispatch_events();
}

void ServerConnection::on_input_end() {
    if (http() != nullptr) {
        http()->exchange().feed_eof();
    } else {
        side_.endpoint.feed_eof();
    }
}

std::span<char> ServerConnection::direct_input() {
    return http() == nullptr ? side_.endpoint.direct_input() : std::span<char>{};
}

const proto::OutputQueue& ServerConnection::output() const noexcept {
    return http() != nullptr ? http()->exchange().output() : side_.endpoint.output();
}

void ServerConnection::consume_output(std::size_t n) noexcept {
    if (http() != nullptr) {
        http()->exchange().consume_output(n);
    } else {
        side_.endpoint.consume_output(n);
    }
}

bool ServerConnection::protocol_over() const noexcept {
    return http() != nullptr ? http()->exchange().should_close_transport()
                             : side_.endpoint.should_close_transport() && !close_reply_held_;
}

bool ServerConnection::wants_input() const noexcept {
    return http() == nullptr || http()->wants_input();
}

bool ServerConnection::watches_hangup() const noexcept {
    return http() != nullptr && (http()->has_responder() || http()->upgrade_deferred());
}

bool ServerConnection::on_hangup() {
    return http() != nullptr && http()->on_hangup();
}

std::optional<net::TimeMs> ServerConnection::deadline() const noexcept {
    return http() != nullptr ? http()->exchange().next_deadline() : side_.endpoint.next_deadline();
}

void ServerConnection::on_deadline(net::TimeMs now) {
    if (http() != nullptr) {
        http()->on_deadline(now);
        return;
    }
    const auto ec = side_.endpoint.handle_timeout(now);
    if (ec) {
        net::log_info(remote().to_string(), " ", route_path(), ": ", ec.message());
    }
    if (side_.endpoint.should_close_transport() && side_.endpoint.output().empty()) {
        Session::finish(ec ? ec.message() : "closing handshake timed out");
    }
}

net::TimeMs ServerConnection::write_stall_limit() const noexcept {
    // A client that stops reading a plain-HTTP response is dropped after the idle timeout; a
    // WebSocket peer's silence is the endpoint's idle timeout.
    return http() != nullptr && http()->response_in_progress()
                   ? context().options().limits.idle_timeout_ms
                   : 0;
}

void ServerConnection::on_drain() {
    if (http() != nullptr) {
        http()->on_drain();
    } else if (route_->handlers.on_drain && side_.endpoint.state() == proto::State::open) {
        Session::invoke([&] { route_->handlers.on_drain(*this); });
    }
}

std::unique_ptr<Session::FileBody>* ServerConnection::file_slot() noexcept {
    HttpSide* h = http();
    return h != nullptr ? &h->file_body() : nullptr;
}

void ServerConnection::on_file_sent() {
    if (http() != nullptr) {
        http()->on_file_sent();
    }
}

void ServerConnection::on_callback_threw(std::string_view what) {
    // A throwing user callback must not take the server down: log it, close with 1011 (or 500).
    net::log_error(remote().to_string(), " ", route_path(), ": handler threw: ", what);
    if (http() != nullptr) {
        http()->on_callback_threw();
    } else {
        (void)close_websocket(1011, "internal error");
    }
}

// --- the WebSocket side ---

void ServerConnection::open_websocket() {
    AcceptedUpgrade up = side_.http->take_upgrade();
    side_.http.~unique_ptr();  // the HTTP side goes; the endpoint takes its place
    new (&side_.endpoint) proto::Endpoint(std::move(up.upgraded.endpoint));
    websocket_ = true;
    route_ = context().routes_held().hold(std::move(up.route));
    if (route_->keep_request) {
        const std::string head = proto::format_request_head(up.upgraded.request.http);
        const auto size = static_cast<std::uint32_t>(head.size());  // within the head limit
        auto& kept = cold().request_head;
        kept = std::make_unique_for_overwrite<char[]>(sizeof size + head.size());
        std::memcpy(kept.get(), &size, sizeof size);
        std::memcpy(kept.get() + sizeof size, head.data(), head.size());
    }
    if (up.user_data.has_value()) {
        cold().user_data = std::move(up.user_data);
    }
    opened_at_ = context().loop().now();
    context().count_open(1);
    ++context().stats().opened;
    net::log_debug(remote().to_string(), " ", route_path(), ": open",
                   chosen_subprotocol().empty() ? "" : " subprotocol=", chosen_subprotocol());
    if (route_->handlers.on_open) {
        if (!route_->keep_request) {
            context().opening() = {.connection = this, .request = &up.upgraded.request.http};
        }
        Session::invoke([&] { route_->handlers.on_open(*this); });
        context().opening() = {};  // `up` ends with this call
    }
    dispatch_events();  // frames the client sent right behind its request
}

void ServerConnection::dispatch_events() {
    while (!Session::finished() && !close_reply_held_) {
        auto event = side_.endpoint.next_event();
        if (!event) {
            break;
        }
        const Handlers& h = route_->handlers;
        std::visit(Overloaded{
                           [&](const proto::Opened&) {},  // client role only
                           [&](const proto::MessageReceived& e) { on_message(e); },
                           [&](const proto::PingReceived& e) {
                               if (h.on_ping) {
                                   Session::invoke([&] { h.on_ping(*this, e.payload); });
                               }
                           },
                           [&](const proto::PongReceived& e) { on_pong(e); },
                           [&](const proto::CloseReceived& e) { on_peer_close(e); },
                           [&](const proto::Failed& e) { on_failed(e.error); },
                   },
                   *event);
    }
}

void ServerConnection::on_message(const proto::MessageReceived& e) {
    count(Traffic::messages_in, 1);
    count(Traffic::bytes_in, e.data.size());
    ServerStats& stats = context().stats();
    ++stats.messages_in;
    stats.bytes_in += e.data.size();
    if (route_->handlers.on_message) {
        Session::invoke([&] { route_->handlers.on_message(*this, e.data, e.type); });
    }
}

void ServerConnection::on_pong(const proto::PongReceived& e) {
    // The answer to a keepalive ping carries its send time: the round trip, for the counters
    // (one from the future is a peer's own, not an answer).
    const net::TimeMs now = context().loop().now();
    if (const auto sent = proto::keepalive_ping_time(e.payload); sent && *sent <= now) {
        context().stats().ping_rtt.add(now - *sent);
    }
    if (route_->handlers.on_pong) {
        Session::invoke([&] { route_->handlers.on_pong(*this, e.payload); });
    }
}

void ServerConnection::on_pause() {
    ++context().stats().backpressure_pauses;
}

void ServerConnection::count_close() {
    using Initiator = proto::CloseInfo::Initiator;
    const proto::CloseInfo& info = side_.endpoint.close_info();
    context().stats().count_close(info.code, info.initiator == Initiator::local  ? Closer::server
                                             : info.initiator == Initiator::peer ? Closer::client
                                                                                 : Closer::nobody);
}

void ServerConnection::on_peer_close(const proto::CloseReceived& e) {
    const Handlers& h = route_->handlers;
    if (h.on_peer_close
        && side_.endpoint.close_info().initiator == proto::CloseInfo::Initiator::peer) {
        Session::invoke([&] { h.on_peer_close(*this, e.code, e.reason); });
    }
    net::log_debug(remote().to_string(), " ", route_path(), ": close frame ", e.code, " received");
}

void ServerConnection::on_failed(std::error_code ec) {
    ++context().stats().failed;
    net::log_warn(remote().to_string(), " ", route_path(), ": ", ec.message(), " (close ",
                  proto::close_code_for(ec), ")");
}

SendStatus ServerConnection::refuse_past_limit(const BufferLimits& limits) {
    if (limits.overflow == OverflowAction::drop) {
        ++context().stats().dropped_messages;
        return SendStatus::dropped;
    }
    net::log_warn(remote().to_string(), " ", route_path(), ": output queue over ",
                  limits.max_buffered, " bytes (close 1008)");
    ++context().stats().overflow_closes;
    (void)close_websocket(1008, "output buffer overflow");
    return SendStatus::closed;
}

// What every send does around its own queuing, inlined into each (the small-message path):
// the open check, the limit, the counts, telling the engine. `enqueue` queues `bytes` on the
// endpoint and returns its error; message_in_progress is a drop, any other a closed connection.
template <class Enqueue>
SendStatus ServerConnection::send_with(std::size_t bytes, std::size_t payload_size,
                                       Enqueue&& enqueue) {
    if (!open_now()) {
        return SendStatus::closed;
    }
    const BufferLimits& limits = context().options().buffer;
    if (queued() + bytes > limits.max_buffered) {
        return refuse_past_limit(limits);
    }
    if (const std::error_code ec = enqueue()) {
        if (ec != proto::Errc::message_in_progress) {
            return SendStatus::closed;
        }
        ++context().stats().dropped_messages;
        return SendStatus::dropped;
    }
    count(Traffic::messages_out, 1);
    count(Traffic::bytes_out, payload_size);
    ServerStats& stats = context().stats();
    ++stats.messages_out;
    stats.bytes_out += payload_size;
    Session::output_queued();
    return queued() > limits.high_watermark ? SendStatus::backpressure : SendStatus::queued;
}

SendStatus ServerConnection::send_message(std::string_view data, MessageType type,
                                          std::optional<bool> fin) {
    return send_with(data.size(), data.size(), [&] {
        return fin ? side_.endpoint.send_fragment(type, data, *fin)
                   : side_.endpoint.send(type, data);
    });
}

SendStatus ServerConnection::send_framed(std::string_view frame, std::size_t payload_size) {
    // message_in_progress: a fragmented message of its own is under way, so this one is dropped
    return send_with(frame.size(), payload_size, [&] { return side_.endpoint.send_framed(frame); });
}

bool ServerConnection::subscribe(std::string_view topic) {
    if (!open_now() || !context().topics().subscribe(topic, this)) {
        return false;
    }
    subscribed_ = true;
    context().topics_changed();
    return true;
}

bool ServerConnection::unsubscribe(std::string_view topic) {
    if (!subscribed_ || !context().topics().unsubscribe(topic, this)) {
        return false;
    }
    context().topics_changed();
    return true;
}

std::vector<std::string> ServerConnection::topics() const {
    return subscribed_ ? context().topics().topics_of(this) : std::vector<std::string>{};
}

std::error_code ServerConnection::close_websocket(std::uint16_t code, std::string_view reason) {
    if (Session::finished() || !websocket_) {
        return proto::Errc::not_open;
    }
    auto ec = side_.endpoint.close(code, reason, context().loop().now());
    if (close_reply_held_) {
        release_close_reply();  // with our code chosen, or the peer's echoed if ours was bad
    } else if (!ec) {
        Session::output_queued();
    }
    return ec;
}

bool ServerConnection::resolve_upgrade(UpgradeDecision decision) {
    if (http() == nullptr || !http()->resolve_upgrade(std::move(decision))) {
        return false;
    }
    if (!Session::finished()) {
        Session::dispatch([&] { dispatch_pending(); });
    }
    return true;
}

void ServerConnection::defer_close_reply() noexcept {
    close_reply_held_ = websocket_ && !Session::finished();
}

void ServerConnection::release_close_reply() {
    if (!close_reply_held_) {
        return;
    }
    close_reply_held_ = false;
    if (Session::in_dispatch()) {
        Session::output_queued();  // the batch in progress dispatches on
    } else if (!Session::finished()) {
        Session::dispatch([&] { dispatch_events(); });
    }
}

std::error_code ServerConnection::send_ping(std::string_view payload) {
    if (Session::finished() || !websocket_) {
        return proto::Errc::not_open;
    }
    auto ec = side_.endpoint.ping(payload);
    if (!ec) {
        Session::output_queued();
    }
    return ec;
}

std::uint64_t ServerConnection::counted(Traffic which) const noexcept {
    const std::uint64_t carries =
            cold_ ? cold_->traffic_carries[static_cast<std::size_t>(which)] : 0;
    return (carries << 32) + traffic_.low(which);
}

void ServerConnection::log_session(std::string_view why) const {
    // The access log line of a WebSocket session.
    using Initiator = proto::CloseInfo::Initiator;
    const proto::CloseInfo& info = side_.endpoint.close_info();
    const char* by = info.initiator == Initiator::local  ? "server"
                     : info.initiator == Initiator::peer ? "client"
                                                         : "nobody";
    const std::string& sub = chosen_subprotocol();
    net::log_info(remote().to_string(), " \"GET ", route_path(),
                  "\" 101 subprotocol=", sub.empty() ? "-" : sub,
                  " duration=", net::format_seconds(context().loop().now() - opened_at_),
                  " in=", counted(Traffic::messages_in), "msg/", counted(Traffic::bytes_in),
                  "B out=", counted(Traffic::messages_out), "msg/", counted(Traffic::bytes_out),
                  "B close=", info.code, " by=", by, info.was_clean ? " clean" : " unclean", " (",
                  why, ")");
}

void ServerConnection::on_finished(std::string_view why, std::error_code error) {
    if (error.category() == net::tls_category() || error.category() == net::tls_verify_category()
        || error == net::Errc::tls_plain_http) {
        // A failed TLS handshake (or plain HTTP on the TLS port) never reaches the HTTP side.
        net::log_warn(remote().to_string(), ": TLS: ", error.message());
    }
    if (http() != nullptr) {
        http()->on_finished(why);
    } else {
        context().count_open(-1);
        log_session(why);
        count_close();
        const proto::CloseInfo& info = side_.endpoint.close_info();
        if (route_->handlers.on_close) {
            Session::invoke([&] {
                route_->handlers.on_close(*this, info.code, info.reason, info.was_clean);
            });
        }
    }
    context().release(*this);
}

}  // namespace wsx::detail
