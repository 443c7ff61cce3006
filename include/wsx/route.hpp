// What an application gives the server for one path: an upgrade hook that accepts or rejects,
// and the connection callbacks. Callbacks run on the loop thread; a callback that throws is
// caught, logged, and its connection closed with 1011.
//
//     wsx::Route echo{.path = "/echo", .handlers = {
//         .on_message = [](wsx::Connection& c, std::string_view data, wsx::MessageType type) {
//             (void)c.send(data, type);
//         }}};
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wsx/net/address.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/message_reader.hpp"

namespace wsx {

using proto::MessageType;

class Connection;

/// What the upgrade hook sees. Views are valid for the call.
struct UpgradeContext {
    std::string_view path;
    std::string_view query;
    const proto::HttpRequest& request;  // every header field
    std::optional<std::string_view> origin;
    std::span<const std::string> subprotocols;  // offered, client's order
    const net::SocketAddress& remote;
    Connection& connection;  // not open yet: sends fail; its id and user_data() may be used
};

/// The upgrade hook's answer.
struct UpgradeDecision {
    bool accepted = true;
    int status = 0;           // for a rejection: 4xx or 5xx
    std::string body;         // for a rejection
    std::string subprotocol;  // for an acceptance: one the client offered, or empty
    proto::HeaderList headers;
    /// For an acceptance: negotiate the server's extensions (permessage-deflate) as its policy
    /// says; false declines them for this connection.
    bool extensions = true;
    std::any user_data;  // attached to the connection (Connection::user_data())
    /// The answer comes later, through Connection::resolve_upgrade(): nothing is read from the
    /// client until then (the handshake timeout still runs).
    bool deferred = false;
    /// With resolve_upgrade(): end the TCP connection without any response.
    bool drop = false;

    [[nodiscard]] static UpgradeDecision accept(std::string subprotocol = {}, std::any data = {}) {
        UpgradeDecision d;
        d.subprotocol = std::move(subprotocol);
        d.user_data = std::move(data);
        return d;
    }

    [[nodiscard]] static UpgradeDecision defer() {
        UpgradeDecision d;
        d.deferred = true;
        return d;
    }

    [[nodiscard]] static UpgradeDecision drop_connection() {
        UpgradeDecision d;
        d.accepted = false;
        d.drop = true;
        return d;
    }

    [[nodiscard]] static UpgradeDecision reject(int status, std::string body = {}) {
        UpgradeDecision d;
        d.accepted = false;
        d.status = status;
        d.body = std::move(body);
        return d;
    }
};

/// Connection callbacks. Every one is optional; without on_upgrade every request for the path is
/// accepted with no subprotocol.
struct Handlers {
    std::function<UpgradeDecision(const UpgradeContext&)> on_upgrade;
    std::function<void(Connection&)> on_open;
    /// `data` is valid for the call only.
    std::function<void(Connection&, std::string_view data, MessageType type)> on_message;
    /// Once per opened connection: the code and reason the peer sent (1005: none; 1006: no close
    /// frame), and whether both close frames were exchanged.
    std::function<void(Connection&, std::uint16_t code, std::string_view reason, bool was_clean)>
            on_close;
    /// The peer started the closing handshake with `code` and `reason`; calling close() here
    /// chooses the code of the reply (pywebsocket's passive closing handshake); else the peer's
    /// code is echoed. Calling Connection::defer_close_reply() here instead holds the reply (and
    /// every later event) until close() or release_close_reply().
    std::function<void(Connection&, std::uint16_t code, std::string_view reason)> on_peer_close;
    /// buffered_amount() fell below the low watermark after being above the high one.
    std::function<void(Connection&)> on_drain;
    std::function<void(Connection&, std::string_view payload)> on_ping;
    std::function<void(Connection&, std::string_view payload)> on_pong;
};

/// A path (exact match, query excluded) and its handlers.
struct Route {
    std::string path;
    Handlers handlers;
    /// Whether Connection::request() still answers after on_open has returned. An open
    /// connection otherwise keeps the request's head (about 150 bytes from a load generator,
    /// 400 from a browser); routes whose handlers read it only in on_upgrade and on_open set
    /// false and hold none of it once open.
    bool keep_request = true;
};

}  // namespace wsx
