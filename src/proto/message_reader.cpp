// Message decoder; see message_reader.hpp.
#include "wsx/proto/message_reader.hpp"

#include <algorithm>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {

ReadItem MessageReader::fail(std::error_code ec) {
    error_ = ec;
    ReadItem item;
    item.kind = ReadItem::Kind::error;
    item.error = ec;
    return item;
}

std::error_code MessageReader::start_frame(const FrameHeader& h) {
    if (is_control(h.opcode)) {
        control_len_ = 0;
        return {};
    }
    // §5.4: a continuation frame only inside a fragmented message; a new text or binary frame
    // only outside one.
    if (h.opcode == Opcode::continuation) {
        if (!in_message_) {
            return Errc::unexpected_continuation;
        }
        // RFC 7692 §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control
        // frames and non-first fragments of a data message."
        if (h.rsv1) {
            return Errc::rsv1_on_continuation;
        }
    } else {
        if (in_message_) {
            return Errc::expected_continuation;
        }
        in_message_ = true;
        type_ = h.opcode == Opcode::text ? MessageType::text : MessageType::binary;
        announced_ = 0;
        buffering_ = false;
        compressed_ = h.rsv1;  // only possible with an inflater (the parser allows it then)
        message_.clear();
        utf8_.reset();
    }
    // Checked against the announced length, before a byte of the frame is stored.
    announced_ += h.payload_length;
    if (announced_ > max_message_size_) {
        return Errc::message_too_big;
    }
    return {};
}

ReadItem MessageReader::on_data_chunk(const FrameHeader& h, const FrameChunk& c) {
    const std::string_view chunk(c.data.data(), c.data.size());
    const bool message_ends = c.last && h.fin;
    ReadItem item;
    item.type = type_;
    if (type_ == MessageType::text && !utf8_.feed(chunk)) {
        return fail(Errc::invalid_utf8);
    }
    if (message_ends && type_ == MessageType::text && !utf8_.complete()) {
        return fail(Errc::invalid_utf8);
    }
    if (message_ends && !buffering_ && c.first) {
        // Fast path: the whole message is this one chunk of the caller's buffer.
        in_message_ = false;
        item.kind = ReadItem::Kind::message;
        item.data = chunk;
        return item;
    }
    if (!buffering_) {
        buffering_ = true;
        // One unfragmented frame split across reads: its size is known and within the limit.
        if (h.fin && h.opcode != Opcode::continuation) {
            message_.reserve(static_cast<std::size_t>(h.payload_length));
        }
    }
    if (chunk.data() == message_.spare().data()) {
        message_.commit(chunk.size());  // read straight into place (direct_target)
    } else {
        message_.append(chunk);
    }
    if (!message_ends) {
        return item;  // need_more
    }
    in_message_ = false;
    item.kind = ReadItem::Kind::message;
    item.data = message_.view();
    return item;
}

std::span<char> MessageReader::direct_target(std::size_t min_bytes) {
    const std::uint64_t left = parser_.payload_left();
    if (error_ || !in_message_ || !buffering_ || compressed_ || left < min_bytes
        || is_control(parser_.header().opcode)) {
        return {};
    }
    // Room for the rest of the frame: its length passed the limit check (announced_), and the
    // storage at least doubles, so a message of many large frames is not copied over and over.
    const auto rest = static_cast<std::size_t>(left);
    if (message_.spare().size() < rest) {
        message_.reserve(std::max(message_.size() + rest,
                                  std::min(message_.capacity() * 2, max_message_size_)));
    }
    return message_.spare().first(rest);
}

void MessageReader::reuse(Role role, std::size_t max_message_size,
                          std::size_t keep_capacity) noexcept {
    parser_ = FrameParser(role, {});
    parser_role_ = role;
    max_message_size_ = max_message_size;
    in_message_ = false;
    buffering_ = false;
    compressed_ = false;
    inflater_ = nullptr;
    type_ = MessageType::text;
    announced_ = 0;
    if (message_.capacity() > keep_capacity) {
        message_.release();
    } else {
        message_.clear();
    }
    utf8_.reset();
    control_len_ = 0;
    error_ = {};
}

void MessageReader::use_inflater(MessageInflater* inflater) noexcept {
    inflater_ = inflater;
    parser_ = FrameParser(parser_role_, FrameRules{.allow_rsv1 = inflater != nullptr});
}

ReadItem MessageReader::on_compressed_chunk(const FrameHeader& h, const FrameChunk& c) {
    // RFC 7692 §6.2: the payloads of the message's frames, concatenated, then the `00 00 ff ff`
    // tail, are one DEFLATE stream; the limit applies to what it inflates to, as it grows.
    const std::size_t before = message_.size();
    const std::string_view chunk(c.data.data(), c.data.size());
    const bool message_ends = c.last && h.fin;
    std::error_code ec = inflater_->inflate(chunk, message_, max_message_size_);
    if (!ec && message_ends) {
        ec = inflater_->finish(message_, max_message_size_);
    }
    // What was inflated is validated first, even when inflating failed: the failure is the
    // first fault in the inflated bytes, however the frames were split (a text message that is
    // both invalid and too big fails with the fault that comes first, 1007 or 1009).
    const std::string_view added = message_.view().substr(before);
    if (type_ == MessageType::text && !utf8_.feed(added)) {
        return fail(Errc::invalid_utf8);
    }
    if (ec) {
        return fail(ec);
    }
    ReadItem item;
    item.type = type_;
    if (!message_ends) {
        return item;  // need_more
    }
    if (type_ == MessageType::text && !utf8_.complete()) {
        return fail(Errc::invalid_utf8);
    }
    in_message_ = false;
    item.kind = ReadItem::Kind::message;
    item.data = message_.view();
    return item;
}

ReadItem MessageReader::on_control_chunk(const FrameHeader& h, const FrameChunk& c) {
    std::string_view payload(c.data.data(), c.data.size());
    if (!(c.first && c.last)) {
        // A control frame split across reads: gather it (at most 125 bytes).
        if (!control_) {
            control_ = std::make_unique<std::array<char, kMaxControlPayload>>();
        }
        std::copy(c.data.begin(), c.data.end(),
                  control_->begin() + static_cast<std::ptrdiff_t>(control_len_));
        control_len_ += c.data.size();
        if (!c.last) {
            return {};
        }
        payload = std::string_view(control_->data(), control_len_);
    }
    ReadItem item;
    item.data = payload;
    switch (h.opcode) {
        case Opcode::ping:
            item.kind = ReadItem::Kind::ping;
            break;
        case Opcode::pong:
            item.kind = ReadItem::Kind::pong;
            break;
        default:
            item.kind = ReadItem::Kind::close;
            break;
    }
    return item;
}

ReadItem MessageReader::next(std::span<char>& input) {
    if (error_) {
        return fail(error_);
    }
    for (;;) {
        const FrameChunk c = parser_.next(input);
        if (c.status == FrameChunk::Status::need_more) {
            return {};
        }
        if (c.status == FrameChunk::Status::error) {
            return fail(c.error);
        }
        const FrameHeader& h = parser_.header();
        if (c.first) {
            if (auto ec = start_frame(h)) {
                return fail(ec);
            }
        }
        ReadItem item = is_control(h.opcode) ? on_control_chunk(h, c)
                        : compressed_        ? on_compressed_chunk(h, c)
                                             : on_data_chunk(h, c);
        if (item.kind != ReadItem::Kind::need_more) {
            return item;
        }
    }
}

}  // namespace wsx::proto
