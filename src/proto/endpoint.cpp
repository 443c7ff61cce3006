// Connection state machine; see endpoint.hpp for the theory of operation.
#include "wsx/proto/endpoint.hpp"

#include <algorithm>
#include <cstdio>

#include <openssl/rand.h>

#include "wsx/proto/errc.hpp"
#include "wsx/proto/frame_writer.hpp"

namespace wsx::proto {
namespace {

// Masking keys for client frames (§5.3: "MUST pick a fresh masking key ... unpredictable"),
// drawn from OpenSSL's CSPRNG in batches so a frame costs no syscall.
MaskingKey fresh_masking_key() {
    thread_local std::array<unsigned char, 1024> pool{};
    thread_local std::size_t used = pool.size();
    if (used == pool.size()) {
        if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
            std::fill(pool.begin(), pool.end(), 0x5A);  // unreachable with a seeded OpenSSL
        }
        used = 0;
    }
    MaskingKey key{};
    std::copy_n(pool.begin() + static_cast<std::ptrdiff_t>(used), 4, key.begin());
    used += 4;
    return key;
}

Opcode opcode_for(MessageType type) noexcept {
    return type == MessageType::text ? Opcode::text : Opcode::binary;
}

}  // namespace

Endpoint::Endpoint(Role role, const Limits& limits, TimeMs now)
    : role_(role),
      limits_(limits),
      // The client's opening handshake is done before the endpoint is created (#4).
      state_(role == Role::server ? State::handshake : State::open),
      head_reader_(limits),
      reader_(role, limits.max_message_size),
      created_(now),
      last_received_(now) {}

Endpoint::Endpoint(const Limits& limits, ClientHandshake handshake, TimeMs now)
    : role_(Role::client),
      limits_(limits),
      state_(State::handshake),
      head_reader_(limits, HttpHeadReader::Kind::response),
      reader_(Role::client, limits.max_message_size),
      created_(now),
      last_received_(now) {
    if (handshake.key.empty()) {
        handshake.key = make_websocket_key();
    }
    out_.append(build_client_request(handshake));
    client_ = std::move(handshake);
}

void Endpoint::feed(std::span<char> data, TimeMs now) {
    if (!data.empty()) {
        last_received_ = now;
    }
    if (state_ == State::closed) {
        input_ = {};  // §7.1.7: once failed or closed, input is discarded
        return;
    }
    if (state_ == State::handshake && (awaiting_answer_ || responding_)) {
        if (pending_.size() + data.size() > limits_.max_head_size) {
            state_ = State::closed;
            return;
        }
        pending_.append(data.data(), data.size());
        return;
    }
    input_ = data;
}

void Endpoint::feed_eof() {
    state_ = State::closed;
    input_ = {};
}

std::optional<Event> Endpoint::next_event() {
    if (close_reply_pending_) {
        close_reply_pending_ = false;
        queue_close(close_info_.code, {});  // the peer's code echoed (1005: an empty close)
    }
    switch (state_) {
        case State::handshake:
            if (awaiting_answer_ || responding_) {
                return std::nullopt;
            }
            return reading_body_ ? read_body() : next_handshake_event();
        case State::open:
        case State::closing:
            return next_frame_event();
        case State::closed:
            break;
    }
    input_ = {};
    return std::nullopt;
}

std::optional<Event> Endpoint::next_client_handshake_event() {
    const auto status = head_reader_.feed(input_);
    if (status == HttpHeadReader::Status::need_more) {
        return std::nullopt;
    }
    response_read_ = status == HttpHeadReader::Status::complete;
    auto accepted = response_read_ ? validate_upgrade_response(head_reader_.response(), *client_)
                                   : Result<HandshakeAccepted>(head_reader_.error());
    if (!accepted) {
        // §4.1: the client MUST _Fail the WebSocket Connection_; no close frame before open.
        state_ = State::closed;
        input_ = {};
        return Failed{accepted.error()};
    }
    accepted_ = std::move(*accepted);
    subprotocol_ = accepted_.subprotocol;
    state_ = State::open;
    return Opened{accepted_};  // frames sent right behind the response stay in input_
}

std::optional<Event> Endpoint::next_handshake_event() {
    if (input_.empty()) {
        return std::nullopt;
    }
    if (client_) {
        return next_client_handshake_event();
    }
    const auto status = head_reader_.feed(input_);
    if (status == HttpHeadReader::Status::need_more) {
        return std::nullopt;
    }
    std::error_code ec = head_reader_.error();
    if (!ec && head_reader_.request().header_count("Upgrade") == 0) {
        ec = check_plain_request(head_reader_.request());
        const auto length =
                ec ? Result<std::uint64_t>(ec) : request_body_length(head_reader_.request());
        if (!length) {
            ec = length.error();
        } else if (*length > limits_.max_request_body) {
            ec = Errc::body_too_large;  // refused before any of it is read
        } else {
            http_request_ = head_reader_.take_request();
            body_left_ = *length;
            reading_body_ = true;
            // RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for this before
            // it sends the body.
            const auto expect = http_request_->header("Expect");
            if (body_left_ > 0 && http_request_->version == "HTTP/1.1" && expect
                && iequals(*expect, "100-continue")) {
                out_.append(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
            }
            http_request_->body.reserve(body_left_);
            return read_body();
        }
    } else if (!ec) {
        auto request = validate_upgrade_request(head_reader_.take_request());
        if (request) {
            request_ = std::move(*request);
            await_answer();
            return UpgradeRequested{*request_};
        }
        ec = request.error();
    }
    // RFC 6455 §4.2.1: "If the server, while reading the handshake, finds that the client did not
    // send a handshake that matches the description below ..., the server MUST stop processing the
    // client's handshake and return an HTTP response with an appropriate error code".
    out_.append(build_error_response(http_status_for(ec), ec.message()));
    state_ = State::closed;
    input_ = {};
    return Failed{ec};
}

std::optional<Event> Endpoint::read_body() {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, input_.size()));
    http_request_->body.append(input_.data(), n);
    input_ = input_.subspan(n);
    body_left_ -= n;
    if (body_left_ > 0) {
        return std::nullopt;
    }
    reading_body_ = false;
    await_answer();
    return HttpRequestReceived{*http_request_};
}

void Endpoint::await_answer() {
    awaiting_answer_ = true;
    // Keep what followed the head (pipelined requests, early frames) for after the answer. The
    // input may already live in pending_ (a pipelined request), so move it down in place.
    const char* begin = pending_.data();
    if (input_.data() >= begin && input_.data() <= begin + pending_.size()) {
        pending_.erase(0, static_cast<std::size_t>(input_.data() - begin));
    } else {
        pending_.assign(input_.data(), input_.size());
    }
    input_ = {};
}

std::error_code Endpoint::respond(std::string_view response, bool keep_alive, TimeMs now) {
    if (role_ != Role::server || !awaiting_answer_) {
        return Errc::handshake_not_pending;
    }
    out_.append(response);
    answered();
    after_response(keep_alive, now);
    return {};
}

void Endpoint::answered() {
    awaiting_answer_ = false;
    http_request_.reset();
    request_.reset();  // an upgrade request may be answered as plain HTTP (no such resource)
}

void Endpoint::after_response(bool keep_alive, TimeMs now) {
    if (!keep_alive) {
        state_ = State::closed;
        pending_.clear();
        return;
    }
    // RFC 9112 §9.3: persistent connection; the next request may already be in pending_.
    head_reader_ = HttpHeadReader(limits_);
    created_ = now;
    input_ = std::span<char>(pending_);
}

std::error_code Endpoint::begin_response(std::string_view head, bool chunked) {
    if (role_ != Role::server || !awaiting_answer_) {
        return Errc::handshake_not_pending;
    }
    out_.append(head);
    answered();
    responding_ = true;
    chunked_ = chunked;
    return {};
}

std::error_code Endpoint::send_body(std::string_view data) {
    if (!responding_ || state_ != State::handshake) {
        return Errc::handshake_not_pending;
    }
    if (data.empty()) {
        return {};  // an empty chunk would end a chunked body
    }
    if (!chunked_) {
        out_.append(data);
        return {};
    }
    // RFC 9112 §7.1: chunk = chunk-size (hex) CRLF chunk-data CRLF.
    char size[24];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out_.append(std::string_view(size, static_cast<std::size_t>(n)));
    out_.append(data);
    out_.append(std::string_view("\r\n"));
    return {};
}

void Endpoint::abort_response() noexcept {
    if (responding_) {
        responding_ = false;
        after_response(false, 0);
    }
}

std::error_code Endpoint::end_response(bool keep_alive, TimeMs now) {
    if (!responding_ || state_ != State::handshake) {
        return Errc::handshake_not_pending;
    }
    responding_ = false;
    if (chunked_) {
        out_.append(std::string_view("0\r\n\r\n"));  // last-chunk, no trailers
    }
    after_response(keep_alive, now);
    return {};
}

std::error_code Endpoint::accept(const AcceptOptions& options) {
    if (role_ != Role::server || !awaiting_answer_ || !request_) {
        return Errc::handshake_not_pending;
    }
    const auto& offered = request_->subprotocols;
    if (!options.subprotocol.empty()
        && std::find(offered.begin(), offered.end(), options.subprotocol) == offered.end()) {
        return Errc::subprotocol_not_offered;
    }
    out_.append(build_accept_response(request_->key, options.subprotocol, {}, options.headers));
    subprotocol_ = options.subprotocol;
    awaiting_answer_ = false;
    state_ = State::open;
    input_ = std::span<char>(pending_);  // frames the client sent right behind its request
    return {};
}

std::error_code Endpoint::reject(int status, std::string_view body, const HeaderList& headers) {
    if (role_ != Role::server || !awaiting_answer_ || http_request_) {
        return Errc::handshake_not_pending;
    }
    out_.append(build_error_response(status, body, headers));
    awaiting_answer_ = false;
    state_ = State::closed;
    return {};
}

std::optional<Event> Endpoint::next_frame_event() {
    const ReadItem item = reader_.next(input_);
    switch (item.kind) {
        case ReadItem::Kind::need_more:
            return std::nullopt;
        case ReadItem::Kind::error:
            return fail(item.error);
        case ReadItem::Kind::message:
            return MessageReceived{item.type, item.data};
        case ReadItem::Kind::ping:
            // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
            // response, unless it already received a Close frame." Nothing goes out after our
            // own close frame either.
            if (state_ == State::open) {
                queue_control(Opcode::pong, item.data);
            }
            return PingReceived{item.data};
        case ReadItem::Kind::pong:
            return PongReceived{item.data};
        case ReadItem::Kind::close:
            return on_close_frame(item.data);
    }
    return std::nullopt;
}

Event Endpoint::on_close_frame(std::string_view payload) {
    auto parsed = parse_close_payload(payload);
    if (!parsed) {
        return fail(parsed.error());
    }
    if (close_info_.initiator == CloseInfo::Initiator::none) {
        close_info_.initiator = CloseInfo::Initiator::peer;
    }
    close_info_.code = parsed->code;
    close_info_.reason.assign(parsed->reason);
    close_info_.was_clean = true;
    // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
    // the endpoint MUST send a Close frame in response. ... (typically echoing the status code
    // it received)." The reply goes out at the next next_event() call, so the application may
    // choose another code with close() in between (pywebsocket's passive closing handshake).
    if (!close_sent_) {
        close_reply_pending_ = true;
    }
    state_ = State::closed;
    input_ = {};
    return CloseReceived{close_info_.code, close_info_.reason};
}

Event Endpoint::fail(std::error_code ec) {
    // §7.1.7 _Fail the WebSocket Connection_: send a close frame with the code, then close.
    if (!close_sent_ && state_ != State::handshake) {
        std::string reason = ec.message();
        reason.resize(std::min(reason.size(), kMaxCloseReason));
        queue_close(close_code_for(ec), reason);
    }
    state_ = State::closed;
    input_ = {};
    return Failed{ec};
}

FrameSpec Endpoint::spec_for(Opcode opcode) const {
    FrameSpec spec{.opcode = opcode};
    if (role_ == Role::client) {
        spec.masking_key = fresh_masking_key();
    }
    return spec;
}

void Endpoint::queue_control(Opcode opcode, std::string_view payload) {
    write_frame(out_, spec_for(opcode), payload);
}

void Endpoint::queue_close(std::uint16_t code, std::string_view reason) {
    queue_control(Opcode::close, encode_close_payload(code, reason));
    if (close_info_.initiator == CloseInfo::Initiator::none) {
        close_info_.initiator = CloseInfo::Initiator::local;
    }
    close_sent_ = true;
    close_info_.sent_code = code;
}

std::error_code Endpoint::send(MessageType type, std::string_view data) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    write_frame(out_, spec_for(opcode_for(type)), data);
    return {};
}

std::error_code Endpoint::send_owned(MessageType type, std::string&& data) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    write_frame(out_, spec_for(opcode_for(type)), std::move(data));
    return {};
}

std::error_code Endpoint::ping(std::string_view payload) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    if (payload.size() > kMaxControlPayload) {
        return Errc::control_payload_too_long;
    }
    queue_control(Opcode::ping, payload);
    return {};
}

std::error_code Endpoint::close(std::uint16_t code, std::string_view reason, TimeMs now) {
    if (state_ != State::open && !close_reply_pending_) {
        return Errc::not_open;
    }
    if (auto ec = validate_close_to_send(code, reason)) {
        return ec;
    }
    if (close_reply_pending_) {
        close_reply_pending_ = false;  // the reply to the peer's close, with our code
        queue_close(code, reason);
        return {};
    }
    queue_close(code, reason);
    state_ = State::closing;
    closing_deadline_ = now + limits_.closing_timeout_ms;
    return {};
}

std::optional<TimeMs> Endpoint::next_deadline() const noexcept {
    switch (state_) {
        case State::handshake:
            if (awaiting_answer_ || responding_) {
                return std::nullopt;  // the application is answering: its time is its own
            }
            return created_ + limits_.handshake_timeout_ms;
        case State::open:
            if (limits_.idle_timeout_ms <= 0) {
                return std::nullopt;
            }
            if (ping_sent_for_ != last_received_) {
                return last_received_ + limits_.idle_timeout_ms / 2;
            }
            return last_received_ + limits_.idle_timeout_ms;
        case State::closing:
            return closing_deadline_;
        case State::closed:
            break;
    }
    return std::nullopt;
}

std::error_code Endpoint::handle_timeout(TimeMs now) {
    const auto deadline = next_deadline();
    if (!deadline || now < *deadline) {
        return {};
    }
    switch (state_) {
        case State::handshake:
            state_ = State::closed;
            awaiting_answer_ = false;
            return Errc::handshake_timeout;
        case State::open:
            if (now >= last_received_ + limits_.idle_timeout_ms) {
                return std::get<Failed>(fail(Errc::idle_timeout)).error;
            }
            // Keepalive: a live peer answers with a pong, which counts as received data.
            queue_control(Opcode::ping, {});
            ping_sent_for_ = last_received_;
            return {};
        case State::closing:
            // §7.1.1: the closing handshake did not finish in time; drop the connection.
            state_ = State::closed;
            return {};
        case State::closed:
            break;
    }
    return {};
}

}  // namespace wsx::proto
