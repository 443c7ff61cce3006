// WebSocket connection state machine; see endpoint.hpp for the theory of operation. Rule: no
// HTTP server logic here (that is http_exchange.cpp); only the client reads an HTTP head.
#include "wsx/proto/endpoint.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include <openssl/rand.h>

#include "wsx/proto/errc.hpp"
#include "wsx/proto/frame_writer.hpp"
#include "wsx/proto/keepalive.hpp"

namespace wsx::proto {
namespace {

// §5.2: the largest payload whose length fits the header's 7 bits.
constexpr std::size_t kMaxSmallFrame = 125;

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

// Readers of the endpoints between frames, per thread (see Endpoint::reader_): an endpoint that
// reads one message at a time takes the same reader back each time, allocating nothing. Bounded,
// like the message buffers they keep; past that they are freed.
constexpr std::size_t kMaxPooledReaders = 64;
constexpr std::size_t kPooledMessageBuffer = 64 * 1024;

struct ReaderPool {
    ReaderPool() { readers.reserve(kMaxPooledReaders); }

    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;
    ~ReaderPool();

    std::vector<std::unique_ptr<MessageReader>> readers;
};

thread_local bool reader_pool_gone = false;  // an endpoint outliving the pool frees its reader

ReaderPool::~ReaderPool() {
    reader_pool_gone = true;
}

ReaderPool* reader_pool() noexcept {
    thread_local ReaderPool pool;
    return reader_pool_gone ? nullptr : &pool;
}

std::unique_ptr<MessageReader> take_pooled() noexcept {
    ReaderPool* pool = reader_pool();
    if (pool == nullptr || pool->readers.empty()) {
        return nullptr;
    }
    std::unique_ptr<MessageReader> reader = std::move(pool->readers.back());
    pool->readers.pop_back();
    return reader;
}

void give_back(std::unique_ptr<MessageReader> reader) noexcept {
    ReaderPool* pool = reader_pool();
    if (pool != nullptr && pool->readers.size() < kMaxPooledReaders) {
        reader->reuse(Role::server, 0, kPooledMessageBuffer);  // a large message's buffer goes
        pool->readers.push_back(std::move(reader));  // room reserved up front: never allocates
    }
}

std::int32_t clamp_ms(TimeMs ms) noexcept {
    return static_cast<std::int32_t>(std::clamp<TimeMs>(ms, INT32_MIN, INT32_MAX));
}

}  // namespace

Endpoint::Endpoint(Role role, const Limits& limits, TimeMs now)
    : role_(role),
      state_(State::open),
      idle_timeout_ms_(clamp_ms(limits.idle_timeout_ms)),
      closing_timeout_ms_(clamp_ms(limits.closing_timeout_ms)),
      max_message_size_(limits.max_message_size),
      last_received_(now) {}

Endpoint::Endpoint(const Limits& limits, ClientHandshake handshake, TimeMs now)
    : Endpoint(Role::client, limits, now) {
    state_ = State::handshake;
    if (handshake.key.empty()) {
        handshake.key = make_websocket_key();
    }
    out_.append(build_client_request(handshake));
    extras().client = std::make_unique<ClientOpening>(
            ClientOpening{.head_reader = HttpHeadReader(limits, HttpHeadReader::Kind::response),
                          .offer = std::move(handshake),
                          .accepted = {},
                          .deadline = now + limits.handshake_timeout_ms});
}

Endpoint::Endpoint(const Limits& limits, OutputQueue output, std::string early_input,
                   std::string subprotocol, TimeMs last_received)
    : Endpoint(Role::server, limits, last_received) {
    out_ = std::move(output);
    early_input_waiting_ = !early_input.empty();
    if (early_input_waiting_) {
        extras().early_input = std::move(early_input);
    }
    if (!subprotocol.empty()) {
        extras().subprotocol = std::move(subprotocol);
    }
}

std::size_t Endpoint::pooled_readers() noexcept {
    const ReaderPool* pool = reader_pool();
    return pool != nullptr ? pool->readers.size() : 0;
}

MessageReader& Endpoint::reader() {
    if (!reader_) {
        reader_ = take_pooled();
        if (reader_) {
            reader_->reuse(role_, max_message_size_, kPooledMessageBuffer);  // trimmed already
        } else {
            reader_ = std::make_unique<MessageReader>(role_, max_message_size_);
        }
        if (PerMessageDeflate* d = codec()) {
            reader_->use_inflater(&d->inflater());
        }
    }
    return *reader_;
}

Endpoint::ClientOpening* Endpoint::client() const noexcept {
    return extras_ ? extras_->client.get() : nullptr;
}

PerMessageDeflate* Endpoint::codec() const noexcept {
    return extras_ ? extras_->deflate.get() : nullptr;
}

Endpoint::Extras& Endpoint::extras() {
    if (!extras_) {
        extras_ = std::make_unique<Extras>();
    }
    return *extras_;
}

const CloseInfo& Endpoint::close_info() const noexcept {
    static const CloseInfo kNone;
    return extras_ ? extras_->close_info : kNone;
}

const std::string& Endpoint::subprotocol() const noexcept {
    static const std::string kNone;
    return extras_ ? extras_->subprotocol : kNone;
}

const std::string& Endpoint::extensions() const noexcept {
    static const std::string kNone;
    return extras_ ? extras_->extensions : kNone;
}

void Endpoint::feed(std::span<char> data, TimeMs now) {
    if (!data.empty()) {
        last_received_ = now;
        ping_outstanding_ = false;
    }
    if (state_ == State::closed) {
        input_ = {};  // §7.1.7: once failed or closed, input is discarded
        return;
    }
    if (early_input_waiting_) {
        extras_->early_input.append(data.data(), data.size());  // in order until next_event()
        return;
    }
    if (extras_ && !extras_->early_input.empty()) {
        std::string().swap(extras_->early_input);  // handed out and read: free it
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
        queue_close(close_info().code, {});  // the peer's code echoed (1005: an empty close)
    }
    if (early_input_waiting_) {
        early_input_waiting_ = false;
        // Frames the client sent right behind its request.
        input_ = std::span<char>(extras_->early_input);
    }
    if (ClientOpening* c = client(); c != nullptr && c->opened) {
        extras_->client.reset();  // Opened's view is over: the open client keeps no handshake state
    }
    switch (state_) {
        case State::handshake:
            return input_.empty() ? std::nullopt : next_client_handshake_event();
        case State::open:
        case State::closing:
            return next_frame_event();
        case State::closed:
            if (reader_) {
                give_back(std::move(reader_));  // nothing more is read (the last view is over)
            }
            break;
    }
    input_ = {};
    return std::nullopt;
}

std::optional<Event> Endpoint::next_client_handshake_event() {
    ClientOpening& c = *client();
    const auto status = c.head_reader.feed(input_);
    if (status == HttpHeadReader::Status::need_more) {
        return std::nullopt;
    }
    c.response_read = status == HttpHeadReader::Status::complete;
    auto accepted = c.response_read ? validate_upgrade_response(c.head_reader.response(), c.offer)
                                    : Result<HandshakeAccepted>(c.head_reader.error());
    if (!accepted) {
        // §4.1: the client MUST _Fail the WebSocket Connection_; no close frame before open.
        state_ = State::closed;
        input_ = {};
        return Failed{accepted.error()};
    }
    c.accepted = std::move(*accepted);
    c.opened = true;
    if (!c.accepted.subprotocol.empty()) {
        extras().subprotocol = c.accepted.subprotocol;
    }
    if (c.accepted.deflate) {
        const DeflateOffer& o = c.offer.deflate;
        enable_deflate({.agreement = *c.accepted.deflate,
                        .mem_level = o.mem_level,
                        .level = o.level,
                        .threshold = o.threshold},
                       c.accepted.extensions);
    }
    state_ = State::open;
    return Opened{c.accepted};  // frames sent right behind the response stay in input_
}

std::optional<Event> Endpoint::next_frame_event() {
    bool taken = false;
    if (auto event = next_small_frame(taken); taken) {
        return event;
    }
    if (!reader_ && input_.empty()) {
        return std::nullopt;  // between frames with nothing to read: no reader to take
    }
    const ReadItem item = reader().next(input_);
    switch (item.kind) {
        case ReadItem::Kind::need_more:
            if (PerMessageDeflate* d = codec()) {
                d->inflater().release_if_idle();  // input used up: hold no idle window
            }
            if (reader_->idle()) {
                give_back(std::move(reader_));  // and no reader between frames
            }
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
    CloseInfo& close = extras().close_info;
    if (close.initiator == CloseInfo::Initiator::none) {
        close.initiator = CloseInfo::Initiator::peer;
    }
    close.code = parsed->code;
    close.reason.assign(parsed->reason);
    close.was_clean = true;
    // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
    // the endpoint MUST send a Close frame in response. ... (typically echoing the status code
    // it received)." The reply goes out at the next next_event() call, so the application may
    // choose another code with close() in between (pywebsocket's passive closing handshake).
    if (!close_sent_) {
        close_reply_pending_ = true;
    }
    state_ = State::closed;
    input_ = {};
    return CloseReceived{close.code, close.reason};
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
    CloseInfo& close = extras().close_info;
    if (close.initiator == CloseInfo::Initiator::none) {
        close.initiator = CloseInfo::Initiator::local;
    }
    close_sent_ = true;
    close.sent_code = code;
}

void Endpoint::enable_deflate(const DeflateSetup& setup, std::string extensions) {
    extras().deflate = std::make_unique<PerMessageDeflate>(role_, setup);
    if (reader_) {
        reader_->use_inflater(&extras_->deflate->inflater());
    }
    if (!extensions.empty()) {
        extras().extensions = std::move(extensions);
    }
}

std::error_code Endpoint::send(MessageType type, std::string_view data) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    PerMessageDeflate* d = codec();
    if (d == nullptr && role_ == Role::server && data.size() <= kMaxSmallFrame) {
        // A whole unmasked frame of at most 125 bytes: a 2-byte header, one append.
        const std::array<char, 2> header{
                static_cast<char>(0x80U | static_cast<unsigned>(opcode_for(type))),
                static_cast<char>(data.size())};
        out_.append(std::string_view(header.data(), header.size()), data);
        return {};
    }
    if (std::string* z = d != nullptr ? d->compress(data) : nullptr) {
        // RFC 7692 §6: RSV1 on the (only) frame of a compressed message.
        FrameSpec spec = spec_for(opcode_for(type));
        spec.rsv1 = true;
        write_frame(out_, spec, std::move(*z));
        return {};
    }
    write_frame(out_, spec_for(opcode_for(type)), data);
    return {};
}

std::error_code Endpoint::send_owned(MessageType type, std::string&& data) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    if (codec() != nullptr) {
        return send(type, data);
    }
    write_frame(out_, spec_for(opcode_for(type)), std::move(data));
    return {};
}

std::error_code Endpoint::send_fragment(MessageType type, std::string_view data, bool fin) {
    if (state_ != State::open) {
        return Errc::not_open;
    }
    FrameSpec spec = spec_for(fragmenting_ ? Opcode::continuation : opcode_for(type));
    spec.fin = fin;
    write_frame(out_, spec, data);
    fragmenting_ = !fin;
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
    extras().closing_deadline = now + closing_timeout_ms_;
    return {};
}

std::optional<TimeMs> Endpoint::next_deadline() const noexcept {
    switch (state_) {
        case State::handshake:
            return client()->deadline;
        case State::open:
            if (idle_timeout_ms_ <= 0) {
                return std::nullopt;
            }
            if (!ping_outstanding_) {
                return last_received_ + idle_timeout_ms_ / 2;
            }
            return last_received_ + idle_timeout_ms_;
        case State::closing:
            return extras_ ? extras_->closing_deadline : 0;
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
            return Errc::handshake_timeout;
        case State::open:
            if (now >= last_received_ + idle_timeout_ms_) {
                return std::get<Failed>(fail(Errc::idle_timeout)).error;
            }
            // Keepalive: a live peer answers with a pong, which counts as received data; it
            // carries the send time, so its round trip is known when it comes (keepalive.hpp).
            queue_control(Opcode::ping, keepalive_ping_payload(now));
            ping_outstanding_ = true;
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
