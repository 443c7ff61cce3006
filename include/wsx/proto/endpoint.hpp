// One WebSocket connection's protocol state, without I/O (sans-I/O): bytes in through feed(),
// events out through next_event(), bytes to send through output() and consume_output(). Time
// comes in as an argument; next_deadline() says when the endpoint wants handle_timeout(). Rule:
// WebSocket only (the client's opening handshake, frames, the closing handshake); the server's
// HTTP/1.1 side, upgrade requests included, is HttpExchange's, which hands over an open endpoint.
//
// Theory of operation:
//   handshake (client) --101 response passes the checks--> [Opened] open
//   handshake (client) --bad response / timeout--> closed (nothing sent)
//   open --close() --> closing --peer's close--> closed           (clean)
//   open --peer's close--> closed (our reply queued)              (clean)
//   open|closing --protocol error--> closed (close frame with the RFC's code queued)
//   closing --closing timeout--> closed                            (not clean)
// Once closed, input is discarded; the transport should be closed when output() is empty
// (should_close_transport()). Failure is sticky.
//
//     Endpoint ep(Role::client, limits, now);   // or HttpExchange::accept()'s endpoint
//     ep.feed(bytes, now);
//     while (auto ev = ep.next_event()) { std::visit(handler, *ev); }
//     write(ep.output()); ep.consume_output(n);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "wsx/proto/client_handshake.hpp"
#include "wsx/proto/close.hpp"
#include "wsx/proto/deflate_codec.hpp"
#include "wsx/proto/endpoint_events.hpp"
#include "wsx/proto/frame_writer.hpp"
#include "wsx/proto/limits.hpp"
#include "wsx/proto/message_reader.hpp"
#include "wsx/proto/output_queue.hpp"

namespace wsx::proto {

/// `handshake` is a client's alone (waiting for the 101); every other endpoint starts open.
enum class State : std::uint8_t { handshake, open, closing, closed };

/// The protocol state of one connection. Plain movable value; distinct objects safe, shared
/// objects unsafe.
class Endpoint {
public:
    /// An endpoint whose opening handshake was done elsewhere: it starts open, in either role.
    Endpoint(Role role, const Limits& limits, TimeMs now);

    /// A client endpoint that runs the opening handshake: the request is queued in output() at
    /// once; the response ends in Opened or Failed (handshake_response() then tells the status,
    /// and a redirect's Location). The handshake timeout runs from `now`.
    Endpoint(const Limits& limits, ClientHandshake handshake, TimeMs now);

    /// Hands received bytes to the endpoint. It may unmask them in place and hand out views
    /// of them, so `data` must stay valid and untouched until next_event() returns nullopt.
    void feed(std::span<char> data, TimeMs now);

    /// Where the next bytes may be read instead of a buffer of the caller's: the rest of a large
    /// frame's payload, straight into its message buffer; feed() them then (or read elsewhere
    /// and feed those). Empty: nothing to read straight (the usual case).
    [[nodiscard]] std::span<char> direct_input();

    void feed_eof();  // the peer closed its side of the TCP connection

    /// The next event, or nullopt when all fed bytes are used up.
    [[nodiscard]] std::optional<Event> next_event();

    /// Queues a message (send_owned: taking a large payload, for no copy). Error: not_open
    /// (CLOSING or CLOSED: nothing is sent).
    [[nodiscard]] std::error_code send(MessageType type, std::string_view data);
    [[nodiscard]] std::error_code send_owned(MessageType type, std::string&& data);

    /// Queues a whole message framed elsewhere, once for many connections (frame_bytes: server
    /// role; uncompressed, which permessage-deflate allows, or compressed by the shared
    /// compressor of shared_window_for()). Errors: not_open, message_in_progress
    /// (send_fragment() began a message that has not ended).
    [[nodiscard]] std::error_code send_framed(std::string_view frame);

    /// Queues one frame of a fragmented message (§5.4): the first frame carries `type`, later
    /// ones are continuations, `fin` ends the message. Whole messages must not be sent until it
    /// ends. Error: not_open.
    [[nodiscard]] std::error_code send_fragment(MessageType type, std::string_view data, bool fin);

    /// Queues a ping. Errors: not_open, control_payload_too_long.
    [[nodiscard]] std::error_code ping(std::string_view payload);

    /// Starts the closing handshake, or, right after a CloseReceived event, chooses the code and
    /// reason of the reply. Errors: not_open, invalid_close_code_to_send, close_reason_too_long,
    /// invalid_close_reason.
    [[nodiscard]] std::error_code close(std::uint16_t code, std::string_view reason, TimeMs now);

    /// Bytes waiting to be written (bufferedAmount in the browser's terms), and writing them.
    [[nodiscard]] const OutputQueue& output() const noexcept { return out_; }

    void consume_output(std::size_t n) noexcept { out_.consume(n); }

    [[nodiscard]] State state() const noexcept { return state_; }

    [[nodiscard]] Role role() const noexcept { return role_; }

    /// Readers waiting in the calling thread's pool for an endpoint that gets input (tests).
    [[nodiscard]] static std::size_t pooled_readers() noexcept;

    /// True once the connection is over: close the transport after writing output().
    [[nodiscard]] bool should_close_transport() const noexcept { return state_ == State::closed; }

    [[nodiscard]] const CloseInfo& close_info() const noexcept;
    [[nodiscard]] const std::string& subprotocol() const noexcept;

    /// The negotiated Sec-WebSocket-Extensions value (the browser's `extensions`); empty: none.
    [[nodiscard]] const std::string& extensions() const noexcept;

    /// permessage-deflate's agreement, when it is in use.
    [[nodiscard]] const DeflateAgreement* deflate() const noexcept {
        return codec() != nullptr ? &codec()->agreement() : nullptr;
    }

    /// PerMessageDeflate::shared_window_for, or 0 without permessage-deflate.
    [[nodiscard]] int shared_window_for(std::size_t size) const noexcept {
        return codec() != nullptr ? codec()->shared_window_for(size) : 0;
    }

    /// True while zlib holds an inflate stream for this connection (a message in progress, or the
    /// peer keeps its context): what an idle connection costs.
    [[nodiscard]] bool holds_inflate_state() const noexcept {
        return codec() != nullptr && codec()->inflater().allocated();
    }

    /// Client role: the server's response head, once read (also when it failed the checks),
    /// until the first next_event() after Opened, when the handshake's state is freed.
    [[nodiscard]] const HttpResponseHead* handshake_response() const noexcept {
        const ClientOpening* c = client();
        return c != nullptr && c->response_read ? &c->head_reader.response() : nullptr;
    }

    /// When handle_timeout() should be called next, if ever.
    [[nodiscard]] std::optional<TimeMs> next_deadline() const noexcept;

    /// Acts on whichever deadlines have passed: keepalive ping, idle timeout (close 1001),
    /// handshake timeout, closing timeout. Returns the error if the connection failed.
    [[nodiscard]] std::error_code handle_timeout(TimeMs now);

private:
    friend class HttpExchange;  // hands over an accepted upgrade through the constructor below

    /// A server endpoint that starts open with the exchange's `output` (ending with the 101, so
    /// every frame follows it) and the bytes that followed the upgrade request, handed out at the
    /// first next_event().
    Endpoint(const Limits& limits, OutputQueue output, std::string early_input,
             std::string subprotocol, TimeMs last_received);

    /// What only a handshaking client needs; freed once it is open.
    struct ClientOpening {
        HttpHeadReader head_reader;
        ClientHandshake offer;
        HandshakeAccepted accepted;
        TimeMs deadline = 0;
        bool response_read = false;
        bool opened = false;
    };

    /// Runs permessage-deflate from now on (before any frame): RSV1 messages are inflated, sent
    /// ones compressed. `extensions` is the negotiated header value.
    void enable_deflate(const DeflateSetup& setup, std::string extensions);

    std::optional<Event> next_client_handshake_event();
    std::optional<Event> next_frame_event();
    std::optional<Event> next_small_frame(bool& taken);  // endpoint_shortcuts.cpp
    Event fail(std::error_code ec);
    void queue_close(std::uint16_t code, std::string_view reason);
    void queue_control(Opcode opcode, std::string_view payload);
    [[nodiscard]] FrameSpec spec_for(Opcode opcode) const;
    Event on_close_frame(std::string_view payload);

    // The one-byte members first, together (an endpoint is part of every connection).
    Role role_;
    State state_;
    bool early_input_waiting_ = false;  // Extras::early_input waits for next_event()
    bool close_sent_ = false;
    bool fragmenting_ = false;          // send_fragment() began a message it has not ended
    bool close_reply_pending_ = false;  // the peer's close arrived; our reply is not queued yet
    bool ping_outstanding_ = false;     // a keepalive ping went out; nothing received since
    // The limits' timeouts, 32 bits each (up to 24 days; longer ones are clamped to that).
    std::int32_t idle_timeout_ms_;
    std::int32_t closing_timeout_ms_;
    // The reader, only while a frame or a message is under way: an endpoint takes one from the
    // thread's pool when input comes and gives it back when the input is used up between
    // frames, so an idle connection holds 8 bytes here, not a reader and its message buffer.
    MessageReader& reader();
    std::unique_ptr<MessageReader> reader_;
    std::size_t max_message_size_;
    OutputQueue out_;
    std::span<char> input_;

    // What an open, idle connection does not need, allocated the first time something is kept
    // in it (an idle connection holds a pointer, not 176 bytes): the bytes that followed the
    // upgrade request (server; freed once read), a subprotocol or extensions value when one was
    // negotiated, the close state once a close is under way, a handshaking client's state,
    // permessage-deflate's state.
    struct Extras {
        std::string early_input;
        std::string subprotocol;
        std::string extensions;
        CloseInfo close_info;
        TimeMs closing_deadline = 0;            // State::closing: when the wait for the peer ends
        std::unique_ptr<ClientOpening> client;  // until the client is open
        std::unique_ptr<PerMessageDeflate> deflate;  // stable address: the reader points in
    };

    Extras& extras();
    [[nodiscard]] ClientOpening* client() const noexcept;     // null unless handshaking (client)
    [[nodiscard]] PerMessageDeflate* codec() const noexcept;  // null without permessage-deflate
    std::unique_ptr<Extras> extras_;
    TimeMs last_received_;
};

}  // namespace wsx::proto
