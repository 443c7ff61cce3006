// Frame encoder: serialises a frame straight into an OutputQueue (RFC 6455 §5.2), masking the
// payload in place when a masking key is given (client role, §5.3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wsx/proto/frame.hpp"
#include "wsx/proto/output_queue.hpp"

namespace wsx::proto {

/// Encodes a frame header into `out` and returns its size (2 to 14 bytes).
[[nodiscard]] std::size_t encode_frame_header(std::array<char, kMaxFrameHeaderSize>& out,
                                              const FrameHeader& header) noexcept;

/// What one write_frame() call produces.
struct FrameSpec {
    Opcode opcode = Opcode::text;
    bool fin = true;
    bool rsv1 = false;
    std::optional<MaskingKey> masking_key;  // set for client frames
};

/// Appends one whole frame (header and payload) to `out`.
void write_frame(OutputQueue& out, const FrameSpec& spec, std::string_view payload);

/// One whole unmasked, final frame (a server's), header and payload, as bytes: a message framed
/// once for many connections (a topic's publication, Endpoint::send_framed).
[[nodiscard]] std::string frame_bytes(Opcode opcode, std::string_view payload, bool rsv1 = false);

/// Appends one whole frame, taking ownership of a large payload so it is not copied again
/// (unmasked frames only; a masked payload is copied and masked as by write_frame).
void write_frame(OutputQueue& out, const FrameSpec& spec, std::string&& payload);

}  // namespace wsx::proto
