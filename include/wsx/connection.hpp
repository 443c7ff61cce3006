// wsx::Connection: one accepted WebSocket connection, as its handlers see it. Valid for the
// duration of a callback; keep id() to refer to it later, never a pointer. close() is safe
// anywhere, even inside the connection's own callbacks; memory is freed after the current loop
// iteration.
//
// Backpressure: buffered_amount() is the bytes queued and not yet written (the browser API's
// bufferedAmount). Above BufferLimits::high_watermark the server stops reading from the
// connection (so a peer that sends but never reads cannot grow memory, pings included) and
// resumes below low_watermark, calling on_drain. A send that would take the queue past
// max_buffered is refused: the connection is closed with 1008, or the message is dropped and
// counted, as chosen.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "wsx/http_response.hpp"
#include "wsx/net/address.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/proto/http_head.hpp"
#include "wsx/proto/message_reader.hpp"
#include "wsx/route.hpp"

namespace wsx {

using proto::MessageType;

class Server;

/// What to do with data the application pushes past BufferLimits::max_buffered.
enum class OverflowAction { close, drop };

struct BufferLimits {
    std::size_t low_watermark = 1024 * 1024;
    std::size_t high_watermark = 4 * 1024 * 1024;
    std::size_t max_buffered = 64 * 1024 * 1024;
    OverflowAction overflow = OverflowAction::close;
};

/// Outcome of a send.
enum class SendStatus {
    queued,        // queued, below the high watermark
    backpressure,  // queued, above the high watermark: wait for on_drain
    dropped,       // not queued: past max_buffered with OverflowAction::drop
    closed,        // not queued: the connection is closing or closed
};

/// The handle handlers see. It has no state of its own: the connection behind it lives in the
/// server library (src/server/server_connection.hpp).
class Connection {
public:
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    [[nodiscard]] SendStatus send_text(std::string_view text) {
        return send(text, MessageType::text);
    }

    [[nodiscard]] SendStatus send_binary(std::string_view data) {
        return send(data, MessageType::binary);
    }

    [[nodiscard]] SendStatus send(std::string_view data, MessageType type);

    /// One frame of a fragmented message: `fin` false leaves the message open; until a frame
    /// with `fin` ends it, nothing else but control frames may be sent.
    [[nodiscard]] SendStatus send_fragment(std::string_view data, MessageType type, bool fin);

    /// Sends to every open connection of the same resource, this one included; returns how many
    /// of this loop's connections were sent to. In a ServerGroup, the other loops' connections
    /// are sent to as well, each on its own loop thread, just after.
    std::size_t broadcast(std::string_view data, MessageType type);

    /// Topics: this connection gets what is published to `topic` (Server::publish, publish()
    /// here, ServerGroup::publish from any thread) until it unsubscribes or closes. False if it
    /// is subscribed already, or not open.
    bool subscribe(std::string_view topic);

    /// False if it was not subscribed to `topic`.
    bool unsubscribe(std::string_view topic);

    /// The topics this connection is subscribed to, in no particular order.
    [[nodiscard]] std::vector<std::string> topics() const;

    /// Publishes to `topic`'s subscribers on every loop (Server::publish), this connection too
    /// if it is one; returns how many of this loop's got it.
    std::size_t publish(std::string_view topic, std::string_view data, MessageType type);

    /// Answers a deferred plain-HTTP request (HttpResponse::deferred) at once, whole. Returns
    /// false if no deferred request is waiting.
    bool respond_http(HttpResponse response);

    /// Starts answering a deferred plain-HTTP request with a body that follows in parts:
    /// `length` if known, else chunked (HTTP/1.1) or ended by closing the connection (HTTP/1.0).
    /// Returns false if no deferred request is waiting.
    bool begin_http_response(int status, proto::HeaderList headers,
                             std::optional<std::uint64_t> length);

    /// Sends part of the body begun with begin_http_response() (nothing for HEAD). Past the high
    /// watermark it returns backpressure: wait for HttpResponder::on_drain.
    SendStatus write_http_body(std::string_view data);

    /// Ends the response. A body shorter than its announced length, or `complete` false (the
    /// producer failed midway), closes the connection: the client must not take it as whole.
    void end_http_response(bool complete = true);

    /// Application-level flow control: while paused, nothing more is read from this peer (for
    /// a handler whose own consumer is full, such as a child process's stdin).
    void set_reading_paused(bool paused);

    /// Answers an upgrade its hook deferred (UpgradeDecision::defer()): accept, reject with a
    /// status, or drop_connection(). Returns false if no deferred upgrade is waiting (the client
    /// left, or it was answered already).
    bool resolve_upgrade(UpgradeDecision decision);

    /// In on_peer_close: the reply to the peer's close waits until close(code, reason) (which
    /// then chooses it) or release_close_reply() (which echoes the peer's code).
    void defer_close_reply();

    void release_close_reply();

    /// Ends the TCP connection now, with no close frame (pywebsocket's AbortedByUserException).
    void drop(std::string_view why);

    [[nodiscard]] Server& server() noexcept;

    /// The opening handshake's request (header fields and all), once it has been read. After
    /// the upgrade an open connection keeps only the head's bytes: the first call parses them
    /// again (an allocation or two), and the request is kept from then on, valid while the
    /// connection is. Null after on_open on a route that does not keep it (Route::keep_request).
    [[nodiscard]] const proto::HttpRequest* request() const noexcept;

    /// Starts the closing handshake. Errors: not_open, invalid_close_code_to_send,
    /// close_reason_too_long, invalid_close_reason.
    [[nodiscard]] std::error_code close(std::uint16_t code = 1000, std::string_view reason = {});

    /// Sends a ping. Errors: not_open, control_payload_too_long.
    [[nodiscard]] std::error_code ping(std::string_view payload = {});

    [[nodiscard]] std::size_t buffered_amount() const noexcept;

    /// Unique in the process, across every Server and loop thread; never reused.
    [[nodiscard]] std::uint64_t id() const noexcept;

    [[nodiscard]] bool is_open() const noexcept;

    [[nodiscard]] net::SocketAddress remote_address() const noexcept;

    /// The TLS parameters (protocol, cipher, SNI name, the client certificate's subject);
    /// empty for a connection over plain TCP.
    [[nodiscard]] std::optional<net::SecurityInfo> security() const;

    [[nodiscard]] std::string_view path() const noexcept;

    /// The subprotocol chosen; empty for none.
    [[nodiscard]] const std::string& subprotocol() const noexcept;

    /// The data the upgrade hook attached, or the handler's own. A connection with none holds
    /// no room for it: the first call without data attached allocates it (out of memory ends
    /// the process, as any allocation failure in the server does).
    [[nodiscard]] std::any& user_data() noexcept;

    [[nodiscard]] const std::any& user_data() const noexcept;

protected:
    Connection() = default;
    ~Connection() = default;
};

}  // namespace wsx
