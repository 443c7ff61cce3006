// wsx::Connection, the handle handlers see: every member forwards to the connection behind it
// (ServerConnection), which is the only kind there is. Rule: no state and no logic here.
#include "wsx/connection.hpp"

#include "server/http_side.hpp"
#include "server/server_connection.hpp"
#include "server/server_context.hpp"

namespace wsx {
namespace {

detail::ServerConnection& impl(Connection& c) noexcept {
    return static_cast<detail::ServerConnection&>(c);
}

const detail::ServerConnection& impl(const Connection& c) noexcept {
    return static_cast<const detail::ServerConnection&>(c);
}

}  // namespace

SendStatus Connection::send(std::string_view data, MessageType type) {
    return impl(*this).send_message(data, type);
}

SendStatus Connection::send_fragment(std::string_view data, MessageType type, bool fin) {
    return impl(*this).send_message(data, type, fin);
}

std::size_t Connection::broadcast(std::string_view data, MessageType type) {
    const auto& route = impl(*this).route_ptr();
    return route != nullptr ? impl(*this).context().broadcast(route, data, type) : 0;
}

bool Connection::subscribe(std::string_view topic) {
    return impl(*this).subscribe(topic);
}

bool Connection::unsubscribe(std::string_view topic) {
    return impl(*this).unsubscribe(topic);
}

std::vector<std::string> Connection::topics() const {
    return impl(*this).topics();
}

std::size_t Connection::publish(std::string_view topic, std::string_view data, MessageType type) {
    return impl(*this).context().publish(topic, data, type);
}

bool Connection::respond_http(HttpResponse response) {
    auto* http = impl(*this).http();
    return http != nullptr && http->respond(std::move(response));
}

bool Connection::begin_http_response(int status, proto::HeaderList headers,
                                     std::optional<std::uint64_t> length) {
    auto* http = impl(*this).http();
    return http != nullptr && http->begin_response(status, std::move(headers), length);
}

SendStatus Connection::write_http_body(std::string_view data) {
    auto* http = impl(*this).http();
    return http != nullptr ? http->write_body(data) : SendStatus::closed;
}

void Connection::end_http_response(bool complete) {
    if (auto* http = impl(*this).http()) {
        http->end_response(complete);
    }
}

void Connection::set_reading_paused(bool paused) {
    impl(*this).session().set_reading_paused(paused);
}

bool Connection::resolve_upgrade(UpgradeDecision decision) {
    return impl(*this).resolve_upgrade(std::move(decision));
}

void Connection::defer_close_reply() {
    impl(*this).defer_close_reply();
}

void Connection::release_close_reply() {
    impl(*this).release_close_reply();
}

void Connection::drop(std::string_view why) {
    impl(*this).abort(why);
}

Server& Connection::server() noexcept {
    return impl(*this).context().server();
}

const proto::HttpRequest* Connection::request() const noexcept {
    return impl(*this).handshake_request();
}

std::error_code Connection::close(std::uint16_t code, std::string_view reason) {
    return impl(*this).close_websocket(code, reason);
}

std::error_code Connection::ping(std::string_view payload) {
    return impl(*this).send_ping(payload);
}

std::size_t Connection::buffered_amount() const noexcept {
    return impl(*this).queued();
}

std::uint64_t Connection::id() const noexcept {
    return impl(*this).connection_id();
}

bool Connection::is_open() const noexcept {
    return impl(*this).open_now();
}

net::SocketAddress Connection::remote_address() const noexcept {
    return impl(*this).remote();
}

std::optional<net::SecurityInfo> Connection::security() const {
    return impl(*this).security_info();
}

std::string_view Connection::path() const noexcept {
    return impl(*this).route_path();
}

const std::string& Connection::subprotocol() const noexcept {
    return impl(*this).chosen_subprotocol();
}

std::any& Connection::user_data() noexcept {
    return impl(*this).data();
}

const std::any& Connection::user_data() const noexcept {
    return impl(*this).data_const();
}

}  // namespace wsx
