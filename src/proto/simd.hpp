// SIMD kernels of the protocol core's two per-byte loops (unmasking, skipping ASCII in UTF-8
// validation), chosen at run time: AVX2 where the CPU has it, else the portable 64-bit-word
// loops (which g++ and clang turn into SSE2 on x86-64). Hand written: no Debian package offers
// either kernel. Private to wsx_proto.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsx::proto::simd {

enum class Level { portable, avx2 };

/// Shorter inputs stay on the portable loops: below this the word loops are as fast (measured
/// with bench/proto_bench), and the kernels' setup is not worth it.
inline constexpr std::size_t kMinBytes = 128;

/// The best level this CPU runs (found once).
[[nodiscard]] Level detected() noexcept;

/// The level the kernels use: detected() unless a test or benchmark chose another.
[[nodiscard]] Level active() noexcept;

/// Makes the kernels use `level` (at most detected()); returns the level used before.
Level use(Level level) noexcept;

/// XORs `n` bytes at `p` with `word_key`, the 4-byte masking key twice over, already rotated to
/// the first byte. AVX2 only.
void xor_words_avx2(char* p, std::size_t n, std::uint64_t word_key) noexcept;

/// How many of the first `n` bytes at `p` are ASCII, counted in whole 32-byte blocks up to the
/// first byte with its high bit set (so at most n rounded down to 32). AVX2 only.
[[nodiscard]] std::size_t ascii_prefix_avx2(const std::uint8_t* p, std::size_t n) noexcept;

}  // namespace wsx::proto::simd
