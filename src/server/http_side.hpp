// The plain-HTTP side of a server connection, separate from its WebSocket side: the HTTP/1.1
// exchange (proto::HttpExchange), the decision on an upgrade request (credentials, origin, route,
// capacity, the route's hook), answers through ServerOptions::on_http with keep-alive, file
// bodies (sent by the engine with sendfile), and deferred responses whose producer (a CGI script)
// answers later and streams its body with backpressure. Rule: builds responses, never parses
// bytes, never touches the socket.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wsx/http_response.hpp"
#include "wsx/proto/http_exchange.hpp"

#include "server/server_connection.hpp"

namespace wsx::detail {

class HttpSide {
public:
    HttpSide(ServerConnection& connection, net::TimeMs now);

    /// Where the engine keeps a file body while it goes out (Session::file_slot()).
    [[nodiscard]] std::unique_ptr<Session::FileBody>& file_body() noexcept { return file_body_; }

    void feed(std::span<char> bytes);

    /// Dispatches the exchange's events until it has no more or has accepted an upgrade (then
    /// take_upgrade()).
    void dispatch_events();

    [[nodiscard]] proto::HttpExchange& exchange() noexcept { return exchange_; }

    [[nodiscard]] const proto::HttpExchange& exchange() const noexcept { return exchange_; }

    [[nodiscard]] bool upgrade_ready() const noexcept { return upgrade_.has_value(); }

    [[nodiscard]] AcceptedUpgrade take_upgrade();

    /// An upgrade request waiting for its answer (a hook may ask for its header fields).
    [[nodiscard]] const proto::UpgradeRequest* pending_upgrade() const noexcept {
        return exchange_.upgrade_request();
    }

    /// The next request waits in the socket while a response is being made or sent.
    [[nodiscard]] bool wants_input() const noexcept;

    [[nodiscard]] bool has_responder() const noexcept { return responder_ != nullptr; }

    /// The route's upgrade hook deferred its answer (Connection::resolve_upgrade).
    [[nodiscard]] bool upgrade_deferred() const noexcept { return deferred_route_ != nullptr; }

    /// Applies the deferred answer; false if none is waiting. The caller dispatches after it.
    bool resolve_upgrade(UpgradeDecision decision);

    [[nodiscard]] bool response_in_progress() const noexcept;

    /// The client left while its deferred response was being made: the producer stops.
    bool on_hangup();

    void on_deadline(net::TimeMs now);

    void on_drain();

    void on_file_sent();

    /// A handler threw while answering: 500 if nothing was sent yet, else the body is cut.
    void on_callback_threw();

    void on_finished(std::string_view why);

    // Connection's plain-HTTP members.
    bool respond(HttpResponse response);
    bool begin_response(int status, proto::HeaderList headers, std::optional<std::uint64_t> length);
    SendStatus write_body(std::string_view data);
    void end_response(bool complete);

private:
    /// RFC 7617 §2: the challenge a 401 carries.
    static constexpr const char* kAuthChallenge = "Basic realm=\"wsx\", charset=\"UTF-8\"";

    void on_upgrade_requested(const proto::UpgradeRequest& request);
    [[nodiscard]] std::optional<UpgradeDecision> decide(const proto::UpgradeRequest& request,
                                                        const std::shared_ptr<const Route>& route);
    void accept_upgrade(const proto::UpgradeRequest& request, std::shared_ptr<const Route> route,
                        UpgradeDecision& decision);
    void reject(const proto::UpgradeRequest& request, int status, std::string_view body,
                const proto::HeaderList& headers = {});
    // `upgrade`: a WebSocket request for a path with no route, answered as HTTP (counted as a
    // refused handshake with the status it got).
    void on_http_request(const proto::HttpRequest& request, bool upgrade = false);
    [[nodiscard]] HttpResponse call_handler(const proto::HttpRequest& request);
    void answer(HttpResponse response);
    void after_response();
    void log_response(std::string_view note = {});
    [[nodiscard]] std::string default_subprotocol(const std::vector<std::string>& offered) const;

    ServerConnection& conn_;
    proto::HttpExchange exchange_;
    const proto::UpgradeRequest* in_hook_ = nullptr;  // the request whose hook is running
    std::optional<AcceptedUpgrade> upgrade_;
    std::unique_ptr<HttpResponder> responder_;      // a deferred response in progress
    std::unique_ptr<Session::FileBody> file_body_;  // a file response going out (the engine's)
    std::shared_ptr<const Route> deferred_route_;   // an upgrade whose hook answers later

    // The request being answered, for the response and the access log.
    struct Exchange {
        std::string request_line;  // "GET /x HTTP/1.1"
        bool keep_alive = false;
        bool head_only = false;
        bool is_11 = false;
        std::optional<std::uint64_t> length_left;  // announced Content-Length still owed
        int status = 0;
        std::uint64_t bytes = 0;
        net::TimeMs started = 0;
        bool file = false;  // the body is a file the engine is sending
    } current_;
};

}  // namespace wsx::detail
