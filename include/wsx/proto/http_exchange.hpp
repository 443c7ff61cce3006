// The server side of HTTP/1.1 on one connection, without I/O: request heads and bodies in,
// responses out (whole, streamed, chunked), 100-continue, pipelining and keep-alive, until a
// request is upgraded to WebSocket and an open Endpoint takes over. Rule: HTTP only; it never
// reads or writes a frame, and it builds only the responses the protocol itself owes (errors,
// 100 Continue, the 101, chunk framing): the application's responses come in whole.
//
// Theory of operation (which calls each state allows; any other call returns
// handshake_not_pending and changes nothing):
//
//   state            input      deadline   accept reject respond begin  send_body end/abort
//   reading_head     read       handshake  -      -      -       -      -         -
//   reading_body     read       handshake  -      -      -       -      -         -
//   awaiting_answer  held       none       up     up     yes     yes    -         -
//   responding       held       none       -      -      -       -      yes       yes
//   upgraded         discarded  none       -      -      -       -      -         -
//   closed           discarded  none       -      -      -       -      -         -
//   ("up": only when the request is an upgrade request; abort_response() is a no-op elsewhere)
//
//   reading_head --plain head--> reading_body --body read--> [HttpRequestReceived] awaiting_answer
//   reading_head --valid upgrade head--> [UpgradeRequested] awaiting_answer
//   reading_head|reading_body --bad head or body framing--> [Failed] closed (error response)
//   reading_head|reading_body --handshake timeout--> closed (nothing sent)
//   awaiting_answer --accept()--> upgraded (the Endpoint owns the connection from now on)
//   awaiting_answer --reject() | respond(close)--> closed
//   awaiting_answer --respond(keep_alive)--> reading_head (a new handshake timeout starts)
//   awaiting_answer --begin_response()--> responding --end_response(keep_alive)--> reading_head
//   responding --end_response(close) | abort_response()--> closed
//   any --feed_eof() | held input past Limits::max_head_size--> closed
// Held input (pipelined requests, early frames) is read after the answer. Failure is sticky.
//
//     HttpExchange ex(limits, now);
//     ex.feed(bytes, now);
//     while (auto ev = ex.next_event()) { std::visit(handler, *ev); }  // answer each request
//     write(ex.output()); ex.consume_output(n);
//     if (auto up = ex.accept({}, now)) { Endpoint ws = std::move(up->endpoint); ... }
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "wsx/proto/deflate_codec.hpp"
#include "wsx/proto/endpoint.hpp"
#include "wsx/proto/events.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/http_head.hpp"
#include "wsx/proto/limits.hpp"
#include "wsx/proto/output_queue.hpp"
#include "wsx/result.hpp"

namespace wsx::proto {

enum class HttpState { reading_head, reading_body, awaiting_answer, responding, upgraded, closed };

/// A valid upgrade request arrived; answer with accept(), reject(), or respond() (plain HTTP).
struct UpgradeRequested {
    const UpgradeRequest& request;  // valid until accept()/reject()/respond()
};

/// A plain HTTP request (no Upgrade header field), its body read whole (up to
/// Limits::max_request_body; `Expect: 100-continue` is answered first). Answer with respond() or
/// begin_response(); no deadline runs until then.
struct HttpRequestReceived {
    const HttpRequest& request;  // valid until respond()/begin_response()
};

using HttpEvent = std::variant<UpgradeRequested, HttpRequestReceived, Failed>;

/// How a server answers an upgrade request.
struct AcceptOptions {
    std::string subprotocol;  // empty: none; else one of the offered ones
    HeaderList headers;       // extra response header fields
    /// permessage-deflate, agreed with negotiate_deflate() on the request's offers: named in the
    /// 101 and run by the endpoint. Its resources must outlive the endpoint.
    std::optional<DeflateSetup> deflate;
};

/// What accept() hands over: the open WebSocket endpoint, and the request, kept by the caller.
struct Upgraded {
    Endpoint endpoint;
    UpgradeRequest request;
};

/// The server's HTTP/1.1 state on one connection. Plain movable value; distinct objects safe,
/// shared objects unsafe.
class HttpExchange {
public:
    /// Waits for a request head; the handshake timeout runs from `now`.
    HttpExchange(const Limits& limits, TimeMs now);

    /// Hands received bytes to the exchange. Views of them may be handed out, so `data` must stay
    /// valid and untouched until next_event() returns nullopt. While the application answers,
    /// they are copied aside (up to Limits::max_head_size, else closed) to be read afterwards.
    void feed(std::span<char> data, TimeMs now);

    /// The peer closed its side of the TCP connection: closed.
    void feed_eof();

    /// The next event, or nullopt when all fed bytes are used up or a request awaits its answer.
    [[nodiscard]] std::optional<HttpEvent> next_event();

    /// Refuses an upgrade request with `status`, a text body and `Connection: close`; closed.
    [[nodiscard]] std::error_code reject(int status, std::string_view body,
                                         const HeaderList& headers = {});

    /// Answers the request (plain, or an upgrade request served as plain HTTP) with `response`:
    /// head and any body the caller has in memory; a file body follows from the caller once
    /// output() is written. With `keep_alive` the next request head is read (a new handshake
    /// timeout starts at `now`); otherwise closed.
    [[nodiscard]] std::error_code respond(std::string_view response, bool keep_alive, TimeMs now);

    /// Answers with a `head` whose body follows in parts: through send_body() (each part one
    /// chunk when `chunked`), or written by the caller itself (sendfile) once output() is empty.
    /// Nothing is read, and no deadline runs, until end_response().
    [[nodiscard]] std::error_code begin_response(std::string_view head, bool chunked);

    /// Queues part of the body begun with begin_response(); an empty part queues nothing.
    [[nodiscard]] std::error_code send_body(std::string_view data);

    /// Ends the body (the last chunk when chunked). With `keep_alive` the next request is read,
    /// as after respond(); otherwise closed.
    [[nodiscard]] std::error_code end_response(bool keep_alive, TimeMs now);

    /// Ends a response begun with begin_response() that cannot be completed (its producer
    /// failed): no last chunk, and closed, so the client sees the body cut short.
    void abort_response() noexcept;

    /// A response begun with begin_response() has not ended yet (responding).
    [[nodiscard]] bool response_in_progress() const noexcept {
        return state_ == HttpState::responding;
    }

    /// Queues the 101 and returns a WebSocket endpoint that starts open, owning this exchange's
    /// output (anything still unwritten, then the 101, then its frames) and the bytes that
    /// followed the request (handed out at its first next_event()). The exchange is `upgraded`
    /// after it, its output empty. The endpoint's idle timeout counts from the last byte received,
    /// so `now` changes nothing today. Errors: handshake_not_pending, subprotocol_not_offered
    /// (nothing changes).
    [[nodiscard]] Result<Upgraded> accept(const AcceptOptions& options, TimeMs now);

    /// The upgrade request awaiting an answer (awaiting_answer), else nullptr. Valid as the
    /// UpgradeRequested event's view.
    [[nodiscard]] const UpgradeRequest* upgrade_request() const noexcept;

    [[nodiscard]] HttpState state() const noexcept { return state_; }

    /// Bytes waiting to be written.
    [[nodiscard]] const OutputQueue& output() const noexcept { return out_; }

    void consume_output(std::size_t n) noexcept { out_.consume(n); }

    /// True once the exchange is over (closed): close the transport after writing output().
    [[nodiscard]] bool should_close_transport() const noexcept {
        return state_ == HttpState::closed;
    }

    /// The handshake timeout while a request is being read; none while the application answers.
    [[nodiscard]] std::optional<TimeMs> next_deadline() const noexcept;

    /// Past the deadline: closed, and handshake_timeout returned. Otherwise nothing.
    [[nodiscard]] std::error_code handle_timeout(TimeMs now);

private:
    std::optional<HttpEvent> read_head();
    std::optional<HttpEvent> start_plain_request();
    std::optional<HttpEvent> read_body();
    HttpEvent fail(std::error_code ec);
    void await_answer();
    void answered();
    void after_response(bool keep_alive, TimeMs now);

    Limits limits_;
    HttpState state_ = HttpState::reading_head;
    HttpHeadReader head_reader_;
    OutputQueue out_;
    std::span<char> input_;
    std::string pending_;  // bytes that followed the request, held until it is answered
    bool replay_ = false;  // pending_ is to be read at the next next_event()
    std::optional<UpgradeRequest> upgrade_;  // the upgrade request awaiting its answer
    std::optional<HttpRequest> request_;     // the plain request being read or answered
    std::uint64_t body_left_ = 0;            // reading_body: bytes of body still to come
    bool chunked_ = false;                   // responding: send_body() frames chunks
    TimeMs head_started_;                    // the handshake timeout runs from here
    TimeMs last_received_;                   // handed to the endpoint (its idle timeout)
};

}  // namespace wsx::proto
