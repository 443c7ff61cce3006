// Frame decoder; see frame_parser.hpp. Rule: never copies payload bytes, only header bytes.
#include "wsx/proto/frame_parser.hpp"

#include <algorithm>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {

namespace {

// §5.2: a 7-bit length of 126 is followed by a 16-bit length, 127 by a 64-bit one.
constexpr std::size_t extended_length_size(std::uint8_t len7) noexcept {
    return len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
}

}  // namespace

std::size_t FrameParser::header_size_needed() const noexcept {
    if (head_len_ < 2) {
        return 2;
    }
    const std::uint8_t len7 = head_[1] & 0x7F;
    const std::size_t mask = (head_[1] & 0x80) != 0 ? 4 : 0;
    return 2 + extended_length_size(len7) + mask;
}

std::error_code FrameParser::decode_header() noexcept {
    const std::uint8_t b0 = head_[0];
    const std::uint8_t b1 = head_[1];
    const std::uint8_t op = b0 & 0x0F;
    // §5.2: "If a reserved opcode is received, the receiving endpoint MUST _Fail the WebSocket
    // Connection_."
    if (is_reserved(op)) {
        return Errc::reserved_opcode;
    }
    FrameHeader h;
    h.fin = (b0 & 0x80) != 0;
    h.rsv1 = (b0 & 0x40) != 0;
    h.rsv2 = (b0 & 0x20) != 0;
    h.rsv3 = (b0 & 0x10) != 0;
    h.opcode = static_cast<Opcode>(op);
    h.masked = (b1 & 0x80) != 0;
    if (auto ec = check_flags(h)) {
        return ec;
    }
    const std::uint8_t len7 = b1 & 0x7F;
    h.payload_length = decode_payload_length(len7);
    if (auto ec = check_payload_length(len7, h.payload_length)) {
        return ec;
    }
    if (auto ec = check_control(h)) {
        return ec;
    }
    if (h.masked) {
        const std::size_t key_at = 2 + extended_length_size(len7);
        std::copy_n(head_.begin() + static_cast<std::ptrdiff_t>(key_at), 4, h.masking_key.begin());
    }
    header_ = h;
    return {};
}

std::error_code FrameParser::check_flags(const FrameHeader& h) const noexcept {
    // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for non-zero
    // values." RFC 7692 §6: RSV1 only on the first frame of a data message; the message reader
    // checks "first frame", here only "data frame".
    const bool rsv1_ok = rules_.allow_rsv1 && !is_control(h.opcode);
    if (h.rsv2 || h.rsv3 || (h.rsv1 && !rsv1_ok)) {
        return Errc::reserved_bits_set;
    }
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
    // "A client MUST close a connection if it detects a masked frame."
    if (role_ == Role::server && !h.masked) {
        return Errc::unmasked_client_frame;
    }
    if (role_ == Role::client && h.masked) {
        return Errc::masked_server_frame;
    }
    return {};
}

std::uint64_t FrameParser::decode_payload_length(std::uint8_t len7) const noexcept {
    if (len7 == 126) {
        return (std::uint64_t{head_[2]} << 8) | head_[3];
    }
    if (len7 == 127) {
        std::uint64_t length = 0;
        for (std::size_t i = 2; i < 10; ++i) {
            length = (length << 8) | head_[i];
        }
        return length;
    }
    return len7;
}

std::error_code FrameParser::check_payload_length(std::uint8_t len7,
                                                  std::uint64_t length) const noexcept {
    // §5.2: "the most significant bit MUST be 0".
    if (len7 == 127 && (head_[2] & 0x80) != 0) {
        return Errc::length_msb_set;
    }
    // §5.2: "the minimal number of bytes MUST be used to encode the length".
    if ((len7 == 126 && length < 126) || (len7 == 127 && length <= 0xFFFF)) {
        return Errc::non_minimal_length;
    }
    return {};
}

std::error_code FrameParser::check_control(const FrameHeader& h) noexcept {
    if (!is_control(h.opcode)) {
        return {};
    }
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
    // fragmented."
    if (h.payload_length > kMaxControlPayload) {
        return Errc::control_frame_too_long;
    }
    if (!h.fin) {
        return Errc::fragmented_control_frame;
    }
    return {};
}

FrameChunk FrameParser::next(std::span<char>& input) noexcept {
    FrameChunk out;
    if (error_) {
        out.status = FrameChunk::Status::error;
        out.error = error_;
        return out;
    }
    if (!in_payload_) {
        // Collect the header; it is at most 14 bytes, so copying it costs nothing.
        for (std::size_t need = header_size_needed(); head_len_ < need;
             need = header_size_needed()) {
            if (input.empty()) {
                return out;  // need_more
            }
            const std::size_t take = std::min(need - head_len_, input.size());
            std::copy_n(input.begin(), take, reinterpret_cast<char*>(head_.data()) + head_len_);
            head_len_ += take;
            input = input.subspan(take);
        }
        if (auto ec = decode_header()) {
            error_ = ec;
            out.status = FrameChunk::Status::error;
            out.error = ec;
            return out;
        }
        in_payload_ = true;
        sent_first_ = false;
        payload_done_ = 0;
    }
    const std::uint64_t left = header_.payload_length - payload_done_;
    // A header is reported as soon as it is complete, even with no payload byte yet, so limits
    // on the announced length act before anything else arrives.
    if (left > 0 && input.empty() && sent_first_) {
        return out;  // need_more
    }
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, input.size()));
    out.data = input.first(take);
    input = input.subspan(take);
    if (header_.masked) {
        apply_mask(out.data, header_.masking_key, static_cast<std::size_t>(payload_done_ % 4));
    }
    payload_done_ += take;
    out.status = FrameChunk::Status::chunk;
    out.first = !sent_first_;
    out.last = payload_done_ == header_.payload_length;
    sent_first_ = true;
    if (out.last) {
        in_payload_ = false;
        head_len_ = 0;
    }
    return out;
}

}  // namespace wsx::proto
