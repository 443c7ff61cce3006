// Frame decoder: bytes in, frame headers and unmasked payload chunks out. It stores nothing but a
// partial header (at most 14 bytes): payload chunks are views into the caller's buffer, unmasked
// in place, so a frame costs no memory here whatever its size. It enforces every rule that one
// frame can break on its own (§5.2, §5.5, §5.1); rules across frames (continuation, message size,
// UTF-8) belong to MessageReader.
//
//     FrameParser parser(Role::server, {});
//     std::span<char> in = read_buffer;
//     for (;;) {
//         FrameChunk c = parser.next(in);
//         if (c.status != FrameChunk::Status::chunk) break;  // need_more or error
//         use(parser.header(), c.data, c.first, c.last);
//     }
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <system_error>

#include "wsx/proto/frame.hpp"

namespace wsx::proto {

/// What the frame parser may accept beyond RFC 6455 §5.2's defaults.
struct FrameRules {
    /// RSV1 may be set on the first frame of a data message (RFC 7692 permessage-deflate).
    bool allow_rsv1 = false;
};

/// One step of the parser.
struct FrameChunk {
    enum class Status { chunk, need_more, error };
    Status status = Status::need_more;
    /// Unmasked payload bytes, a view into the buffer given to next(); valid until that buffer
    /// is reused. The first chunk comes as soon as the header is complete and may be empty.
    std::span<char> data;
    bool first = false;  // first chunk of this frame: header() is new
    bool last = false;   // last chunk of this frame
    std::error_code error;
};

/// Streaming frame decoder for one direction of one connection. Plain movable value.
/// Failure is sticky: after an error every call returns the same error.
class FrameParser {
public:
    /// `role` is the side that receives: a server expects masked frames, a client unmasked ones.
    FrameParser(Role role, FrameRules rules) noexcept : role_(role), rules_(rules) {}

    /// Consumes bytes from the front of `input` and returns the next chunk, need_more once
    /// `input` is used up, or an error. Unmasks the payload in place.
    [[nodiscard]] FrameChunk next(std::span<char>& input) noexcept;

    /// Between frames (no header or payload half read) and not failed.
    [[nodiscard]] bool at_frame_boundary() const noexcept {
        return !in_payload_ && head_len_ == 0 && !error_;
    }

    /// Payload bytes of the current frame still to come, once its header was reported; else 0.
    [[nodiscard]] std::uint64_t payload_left() const noexcept {
        return in_payload_ && sent_first_ ? header_.payload_length - payload_done_ : 0;
    }

    /// Header of the frame whose chunks are being returned; valid after a chunk with `first`.
    [[nodiscard]] const FrameHeader& header() const noexcept { return header_; }

private:
    // Decodes the complete header in head_ into header_, or returns the first rule it breaks.
    [[nodiscard]] std::error_code decode_header() noexcept;
    // §5.2 reserved bits, §5.1 masking.
    [[nodiscard]] std::error_code check_flags(const FrameHeader& h) const noexcept;
    [[nodiscard]] std::uint64_t decode_payload_length(std::uint8_t len7) const noexcept;
    // §5.2: a 64-bit length has its top bit clear, and every length is minimally encoded.
    [[nodiscard]] std::error_code check_payload_length(std::uint8_t len7,
                                                       std::uint64_t length) const noexcept;
    // §5.5: control frames are short and unfragmented.
    [[nodiscard]] static std::error_code check_control(const FrameHeader& h) noexcept;
    [[nodiscard]] std::size_t header_size_needed() const noexcept;

    Role role_;
    FrameRules rules_;
    std::array<std::uint8_t, kMaxFrameHeaderSize> head_{};
    std::size_t head_len_ = 0;
    bool in_payload_ = false;
    bool sent_first_ = false;
    std::uint64_t payload_done_ = 0;
    FrameHeader header_;
    std::error_code error_;
};

}  // namespace wsx::proto
