// RFC 6455 §5.3 masking: XOR with a 4-byte key. Hot path: works a 64-bit word at a time, so the
// compiler vectorises the loop; no allocation, in place.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace wsx::proto {

using MaskingKey = std::array<std::uint8_t, 4>;

/// XORs `data` in place with `key`, as if `data` started `offset` bytes into the payload (so a
/// payload can be unmasked chunk by chunk as it arrives). Masking and unmasking are the same.
void apply_mask(std::span<char> data, const MaskingKey& key, std::size_t offset = 0) noexcept;

}  // namespace wsx::proto
