// One WebSocket connection's protocol state, without I/O (sans-I/O): bytes in through feed(),
// events out through next_event(), bytes to send through output() and consume_output(). Time
// comes in as an argument; next_deadline() says when the endpoint wants handle_timeout().
//
// Theory of operation (server role):
//   handshake --request head read--> [UpgradeRequested] --accept()--> open
//             \--plain HTTP request (and its body)--> [HttpRequestReceived]
//                   --respond(keep_alive)--> handshake
//                   --begin_response() ... send_body() ... end_response(keep_alive)--> handshake
//             \--bad request / reject() / respond(close) / timeout--> closed
//   open --close() --> closing --peer's close--> closed           (clean)
//   open --peer's close--> closed (our reply queued)              (clean)
//   open|closing --protocol error--> closed (close frame with the RFC's code queued)
//   closing --closing timeout--> closed                            (not clean)
// Once closed, input is discarded; the transport should be closed when output() is empty
// (should_close_transport()). Failure is sticky.
//
//     Endpoint ep(Role::server, limits, now);
//     ep.feed(bytes, now);
//     while (auto ev = ep.next_event()) { std::visit(handler, *ev); }
//     write(ep.output()); ep.consume_output(n);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "wsx/proto/client_handshake.hpp"
#include "wsx/proto/close.hpp"
#include "wsx/proto/frame_writer.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/limits.hpp"
#include "wsx/proto/message_reader.hpp"
#include "wsx/proto/output_queue.hpp"

namespace wsx::proto {

enum class State { handshake, open, closing, closed };

/// Server role: a valid upgrade request arrived; answer with accept() or reject().
struct UpgradeRequested {
    const UpgradeRequest& request;  // valid until accept() or reject()
};

/// Server role: a plain HTTP request (no Upgrade header field), its body read whole (up to
/// Limits::max_request_body; `Expect: 100-continue` is answered first). Answer with respond() or
/// begin_response(); no deadline runs until then.
struct HttpRequestReceived {
    const HttpRequest& request;  // valid until respond()
};

/// Client role: the server accepted the opening handshake; the connection is open.
struct Opened {
    const HandshakeAccepted& accepted;  // the subprotocol and extensions in use
};

/// A whole text or binary message. `data` is valid until the next next_event() or feed().
struct MessageReceived {
    MessageType type;
    std::string_view data;
};

/// A ping; the pong with the same payload is already queued (§5.5.2).
struct PingReceived {
    std::string_view payload;
};

/// A pong (solicited or not, §5.5.3).
struct PongReceived {
    std::string_view payload;
};

/// The peer's close frame. If the peer started the closing handshake, the reply (echoing its
/// code) is queued at the next next_event() call, unless close() chose another code first.
struct CloseReceived {
    std::uint16_t code;  // 1005 when the frame had no code
    std::string_view reason;
};

/// The connection failed: bad request head (error response queued), protocol violation (close
/// frame with close_code_for(error) queued), or a timeout. The endpoint is now closed.
struct Failed {
    std::error_code error;
};

using Event = std::variant<UpgradeRequested, HttpRequestReceived, Opened, MessageReceived,
                           PingReceived, PongReceived, CloseReceived, Failed>;

/// How a server answers an upgrade request.
struct AcceptOptions {
    std::string subprotocol;  // empty: none; else one of the offered ones
    HeaderList headers;       // extra response header fields
};

/// How the connection ended, for on_close(code, reason, was_clean).
struct CloseInfo {
    std::uint16_t code = static_cast<std::uint16_t>(CloseCode::abnormal);  // received, 1005, 1006
    std::string reason;
    bool was_clean = false;  // both close frames were exchanged
    /// Who started the closing: we did (close(), a failure, a timeout), the peer did (its close
    /// frame came first), or nobody (the TCP connection just ended).
    enum class Initiator { none, local, peer } initiator = Initiator::none;
    std::uint16_t sent_code = 0;  // the code we sent, 0 if none
};

/// The protocol state of one connection. Plain movable value; distinct objects safe, shared
/// objects unsafe.
class Endpoint {
public:
    /// A server endpoint awaiting a request, or a client endpoint whose opening handshake was
    /// done elsewhere (it starts open).
    Endpoint(Role role, const Limits& limits, TimeMs now);

    /// A client endpoint that runs the opening handshake: the request is queued in output() at
    /// once; the response ends in Opened or Failed (handshake_response() then tells the status,
    /// and a redirect's Location). The handshake timeout runs from `now`.
    Endpoint(const Limits& limits, ClientHandshake handshake, TimeMs now);

    /// Hands received bytes to the endpoint. It may unmask them in place and hand out views
    /// of them, so `data` must stay valid and untouched until next_event() returns nullopt.
    void feed(std::span<char> data, TimeMs now);

    /// The peer closed its side of the TCP connection.
    void feed_eof();

    /// The next event, or nullopt when all fed bytes are used up.
    [[nodiscard]] std::optional<Event> next_event();

    /// Server role: completes the opening handshake. Errors: handshake_not_pending,
    /// subprotocol_not_offered.
    [[nodiscard]] std::error_code accept(const AcceptOptions& options);

    /// Server role: refuses the opening handshake with `status` and a text body.
    [[nodiscard]] std::error_code reject(int status, std::string_view body,
                                         const HeaderList& headers = {});

    /// Server role: answers a plain HTTP request, or an upgrade request it will not upgrade, with
    /// `response` (head and any body the caller
    /// has in memory; a file body follows from the caller once output() is written). With
    /// `keep_alive` the endpoint then reads the next request head (a new handshake timeout
    /// starts); otherwise it is closed. Error: handshake_not_pending.
    [[nodiscard]] std::error_code respond(std::string_view response, bool keep_alive, TimeMs now);

    /// Server role: answers a plain HTTP request with a `head` whose body follows in parts: through
    /// send_body() (each part one chunk when `chunked`), or written by the caller itself
    /// (sendfile) once output() is empty. Nothing is read, and no deadline runs, until
    /// end_response(). Error: handshake_not_pending.
    [[nodiscard]] std::error_code begin_response(std::string_view head, bool chunked);

    /// Queues part of the body begun with begin_response(). Error: handshake_not_pending.
    [[nodiscard]] std::error_code send_body(std::string_view data);

    /// Ends the body (the last chunk when chunked). With `keep_alive` the next request is read,
    /// as after respond(); otherwise the endpoint is closed. Error: handshake_not_pending.
    [[nodiscard]] std::error_code end_response(bool keep_alive, TimeMs now);

    /// Ends a response begun with begin_response() that cannot be completed (its producer
    /// failed): no last chunk, and the endpoint is closed, so the client sees the body cut short.
    void abort_response() noexcept;

    /// A response begun with begin_response() has not ended yet.
    [[nodiscard]] bool response_in_progress() const noexcept { return responding_; }

    /// Queues a message. Error: not_open (CLOSING or CLOSED: nothing is sent).
    [[nodiscard]] std::error_code send(MessageType type, std::string_view data);

    /// Queues a message, taking ownership of a large payload to avoid a copy.
    [[nodiscard]] std::error_code send_owned(MessageType type, std::string&& data);

    /// Queues a ping. Errors: not_open, control_payload_too_long.
    [[nodiscard]] std::error_code ping(std::string_view payload);

    /// Starts the closing handshake, or, right after a CloseReceived event, chooses the code and
    /// reason of the reply. Errors: not_open, invalid_close_code_to_send, close_reason_too_long,
    /// invalid_close_reason.
    [[nodiscard]] std::error_code close(std::uint16_t code, std::string_view reason, TimeMs now);

    /// Bytes waiting to be written: bufferedAmount in the browser's terms.
    [[nodiscard]] const OutputQueue& output() const noexcept { return out_; }

    void consume_output(std::size_t n) noexcept { out_.consume(n); }

    [[nodiscard]] State state() const noexcept { return state_; }

    [[nodiscard]] Role role() const noexcept { return role_; }

    /// True once the connection is over: close the transport after writing output().
    [[nodiscard]] bool should_close_transport() const noexcept { return state_ == State::closed; }

    [[nodiscard]] const CloseInfo& close_info() const noexcept { return close_info_; }

    /// The request the connection was accepted with (server role, after accept()).
    [[nodiscard]] const UpgradeRequest* request() const noexcept {
        return request_ ? &*request_ : nullptr;
    }

    [[nodiscard]] const std::string& subprotocol() const noexcept { return subprotocol_; }

    /// Client role: the server's response head, once read (also when it failed the checks).
    [[nodiscard]] const HttpResponseHead* handshake_response() const noexcept {
        return client_ && response_read_ ? &head_reader_.response() : nullptr;
    }

    /// When handle_timeout() should be called next, if ever.
    [[nodiscard]] std::optional<TimeMs> next_deadline() const noexcept;

    /// Acts on whichever deadlines have passed: keepalive ping, idle timeout (close 1001),
    /// handshake timeout, closing timeout. Returns the error if the connection failed.
    [[nodiscard]] std::error_code handle_timeout(TimeMs now);

private:
    std::optional<Event> next_handshake_event();
    std::optional<Event> next_client_handshake_event();
    std::optional<Event> read_body();
    void answered();
    void after_response(bool keep_alive, TimeMs now);
    void await_answer();
    std::optional<Event> next_frame_event();
    Event fail(std::error_code ec);
    void queue_close(std::uint16_t code, std::string_view reason);
    void queue_control(Opcode opcode, std::string_view payload);
    [[nodiscard]] FrameSpec spec_for(Opcode opcode) const;
    Event on_close_frame(std::string_view payload);

    Role role_;
    Limits limits_;
    State state_;
    HttpHeadReader head_reader_;
    MessageReader reader_;
    OutputQueue out_;
    std::span<char> input_;
    std::string pending_;  // bytes that followed the request head, before accept()
    std::optional<UpgradeRequest> request_;
    std::optional<HttpRequest> http_request_;  // a plain request waiting for respond()
    bool awaiting_answer_ = false;
    bool reading_body_ = false;  // http_request_ is complete but for body_left_ bytes of body
    std::uint64_t body_left_ = 0;
    bool responding_ = false;  // begin_response() without end_response() yet
    bool chunked_ = false;
    std::string subprotocol_;
    std::optional<ClientHandshake> client_;  // what a handshaking client offered
    HandshakeAccepted accepted_;
    bool response_read_ = false;
    CloseInfo close_info_;
    bool close_sent_ = false;
    bool close_reply_pending_ = false;  // the peer's close arrived; our reply is not queued yet
    TimeMs created_;
    TimeMs last_received_;
    TimeMs closing_deadline_ = 0;
    TimeMs ping_sent_for_ = -1;  // the last_received_ for which a keepalive ping went out
};

}  // namespace wsx::proto
