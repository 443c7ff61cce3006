// RFC 6455 §5.2 base framing: opcodes, the decoded frame header, and named predicates over them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wsx/proto/mask.hpp"

namespace wsx::proto {

/// Which side of the connection an endpoint is; it decides the masking rules (§5.1).
enum class Role : std::uint8_t { server, client };

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// §5.5: "Control frames are identified by opcodes where the most significant bit of the opcode
/// is 1."
[[nodiscard]] constexpr bool is_control(Opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// Opcodes 0x3-0x7 and 0xB-0xF are reserved for further frames (§5.2).
[[nodiscard]] constexpr bool is_reserved(std::uint8_t op) noexcept {
    return (op >= 0x3 && op <= 0x7) || op >= 0xB;
}

/// §5.5: "All control frames MUST have a payload length of 125 bytes or less".
inline constexpr std::size_t kMaxControlPayload = 125;

/// The longest frame header: 2 bytes, 8 bytes of extended length, 4 bytes of masking key.
inline constexpr std::size_t kMaxFrameHeaderSize = 14;

/// A decoded frame header.
struct FrameHeader {
    bool fin = true;
    bool rsv1 = false;
    bool rsv2 = false;
    bool rsv3 = false;
    Opcode opcode = Opcode::text;
    bool masked = false;
    MaskingKey masking_key{};
    std::uint64_t payload_length = 0;
};

}  // namespace wsx::proto
