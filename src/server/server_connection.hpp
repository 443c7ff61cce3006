// One accepted connection: the engine (Session) over its transport, first with its plain-HTTP
// side (HttpSide: requests, responses, the upgrade decision), then, once upgraded, with a
// WebSocket endpoint whose events go to the route's handlers. This object is what Connection&
// refers to. Rule: it never parses bytes (the protocol objects do) and never touches a socket
// (the engine does).
#pragma once

#include <any>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/connection.hpp"
#include "wsx/net/address.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/http_exchange.hpp"
#include "wsx/route.hpp"

#include "engine/session.hpp"
#include "server/connection_table.hpp"
#include "server/traffic_counts.hpp"

namespace wsx::detail {

class HttpSide;
class ServerContext;

/// What the HTTP side hands over when it accepts an upgrade.
struct AcceptedUpgrade {
    proto::Upgraded upgraded;
    std::shared_ptr<const Route> route;
    std::any user_data;
};

class ServerConnection final : public Connection, private Session {
public:
    ServerConnection(ServerContext& context, std::uint64_t id,
                     std::unique_ptr<net::Transport> transport, net::SocketAddress remote);
    ServerConnection(const ServerConnection&) = delete;
    ServerConnection& operator=(const ServerConnection&) = delete;
    ~ServerConnection();

    /// Registers with the loop.
    [[nodiscard]] std::error_code start() { return Session::start(); }

    /// Ends the connection now (no closing handshake), as at a shutdown's end.
    void abort(std::string_view why);

    /// Past the handshake (on_close is owed).
    [[nodiscard]] bool opened() const noexcept { return websocket_; }

    [[nodiscard]] const Route* route() const noexcept { return route_; }

    /// The route as shared (for work handed to other loops); null before the upgrade.
    [[nodiscard]] std::shared_ptr<const Route> route_ptr() const noexcept;

    // The public API, for Connection's members.
    SendStatus send_message(std::string_view data, MessageType type, std::optional<bool> fin = {});
    /// A whole message framed elsewhere (a publication), `payload_size` bytes of it payload.
    SendStatus send_framed(std::string_view frame, std::size_t payload_size);

    /// Endpoint::shared_window_for (0 before the upgrade).
    [[nodiscard]] int shared_window_for(std::size_t size) const noexcept {
        return websocket_ ? side_.endpoint.shared_window_for(size) : 0;
    }

    bool subscribe(std::string_view topic);
    bool unsubscribe(std::string_view topic);
    [[nodiscard]] std::vector<std::string> topics() const;
    std::error_code close_websocket(std::uint16_t code, std::string_view reason);
    std::error_code send_ping(std::string_view payload);

    [[nodiscard]] std::size_t queued() const noexcept { return output().size(); }

    /// The server of this connection's loop: the owner of the table chunk the connection lives
    /// in (connection_table_owner), not a pointer of its own.
    [[nodiscard]] ServerContext& context() const noexcept {
        return *static_cast<ServerContext*>(connection_table_owner(this));
    }

    [[nodiscard]] bool open_now() const noexcept;
    [[nodiscard]] const proto::HttpRequest* handshake_request() const noexcept;

    [[nodiscard]] std::uint64_t connection_id() const noexcept { return id_; }

    [[nodiscard]] net::SocketAddress remote() const noexcept { return remote_.unpack(); }

    [[nodiscard]] std::string_view route_path() const noexcept;
    [[nodiscard]] const std::string& chosen_subprotocol() const noexcept;

    [[nodiscard]] std::any& data() { return cold().user_data; }

    [[nodiscard]] const std::any& data_const() const noexcept;

    /// The engine: this connection is its session (its hooks are the private overrides below).
    [[nodiscard]] Session& session() noexcept { return *this; }

    [[nodiscard]] std::optional<net::SecurityInfo> security_info() const {
        return Session::security();
    }

    /// The HTTP side, until the upgrade (then null).
    [[nodiscard]] HttpSide* http() const noexcept {
        return websocket_ ? nullptr : side_.http.get();
    }

    /// Dispatches events already fed: requests pipelined behind a response, and the upgrade.
    void dispatch_pending();

    /// Connection::resolve_upgrade, defer_close_reply and release_close_reply.
    bool resolve_upgrade(UpgradeDecision decision);
    void defer_close_reply() noexcept;
    void release_close_reply();

private:
    // A send past max_buffered: dropped, or the connection closed with 1008.
    SendStatus refuse_past_limit(const BufferLimits& limits);
    template <class Enqueue>
    SendStatus send_with(std::size_t bytes, std::size_t payload_size, Enqueue&& enqueue);

    // Session's hooks
    [[nodiscard]] const SessionConfig& session_config() const noexcept override;

    void on_input(std::span<char> bytes) override;
    void on_input_end() override;
    [[nodiscard]] std::span<char> direct_input() override;
    [[nodiscard]] const proto::OutputQueue& output() const noexcept override;
    void consume_output(std::size_t n) noexcept override;
    [[nodiscard]] bool protocol_over() const noexcept override;
    [[nodiscard]] bool wants_input() const noexcept override;
    [[nodiscard]] bool watches_hangup() const noexcept override;
    bool on_hangup() override;
    [[nodiscard]] std::optional<net::TimeMs> deadline() const noexcept override;
    void on_deadline(net::TimeMs now) override;
    [[nodiscard]] net::TimeMs write_stall_limit() const noexcept override;
    void on_drain() override;
    void on_pause() override;
    void on_file_sent() override;
    [[nodiscard]] std::unique_ptr<FileBody>* file_slot() noexcept override;
    void on_callback_threw(std::string_view what) override;
    void on_finished(std::string_view why, std::error_code error) override;

    void open_websocket();
    void dispatch_events();
    void on_message(const proto::MessageReceived& e);
    void on_peer_close(const proto::CloseReceived& e);
    void on_failed(std::error_code ec);
    void log_session(std::string_view why) const;
    void count_close();  // into the counters, by code and who closed first
    void on_pong(const proto::PongReceived& e);

    void count(Traffic which, std::uint64_t n) {
        if (const std::uint64_t carry = traffic_.add(which, n); carry != 0) [[unlikely]] {
            cold().traffic_carries[static_cast<std::size_t>(which)] += carry;
        }
    }

    [[nodiscard]] std::uint64_t counted(Traffic which) const noexcept;

    // What an open connection may never need, allocated on first use (an idle connection holds
    // a pointer, not 32 bytes): the opening request, kept as its head (proto::format_request_head,
    // about 400 bytes from a browser) behind a 4-byte length in one allocation and parsed again
    // only when a handler asks (request()), unless the route does not keep it
    // (Route::keep_request); the handler's data (Connection::data()); the traffic counts' carries.
    struct Cold {
        std::unique_ptr<char[]> request_head;
        std::unique_ptr<proto::HttpRequest> request;
        std::any user_data;
        std::array<std::uint64_t, 4> traffic_carries{};  // by Traffic, in units of 2^32
    };

    Cold& cold() {
        if (!cold_) {
            cold_ = std::make_unique<Cold>();
        }
        return *cold_;
    }

    // The HTTP side until the upgrade, then the WebSocket endpoint in its place: one of the two
    // lives here (websocket_ says which), so a connection holds the larger, not both.
    union Side {
        Side() noexcept {}  // the owner constructs and destroys the live member

        ~Side() {}

        std::unique_ptr<HttpSide> http;
        proto::Endpoint endpoint;
    };

    std::uint64_t id_;
    net::PackedAddress remote_;      // 19 bytes, aligned to 1: the flags below follow it
    bool close_reply_held_ = false;  // defer_close_reply(): events wait for the reply
    bool websocket_ = false;         // side_ holds the endpoint (else the HTTP side)
    bool subscribed_ = false;        // on a topic once: leaves context().topics() when destroyed
    Side side_;
    std::unique_ptr<Cold> cold_;
    const Route* route_ =
            nullptr;  // held in context().routes_held(): alive across a reload (SIGHUP)
    net::TimeMs opened_at_ = 0;
    TrafficCounts traffic_;  // for the access log line of the session
};

}  // namespace wsx::detail
