// Masking, hand written because it is the per-byte hot path and no packaged library offers it.
// AVX2 where the CPU has it (proto/simd.hpp), else 64-bit words (vectorised by the compiler).
#include "wsx/proto/mask.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

#include "proto/simd.hpp"

namespace wsx::proto {

void apply_mask(std::span<char> data, const MaskingKey& key, std::size_t offset) noexcept {
    // Rotate the key so that byte 0 of `data` lines up with key[offset % 4]: a rotation of the
    // key read as one 32-bit word (towards the low byte in memory order), twice over 64 bits.
    std::uint32_t key32 = 0;
    std::memcpy(&key32, key.data(), sizeof key32);
    const int shift = static_cast<int>(8 * (offset % 4));
    if constexpr (std::endian::native == std::endian::little) {
        key32 = std::rotr(key32, shift);
    } else {
        key32 = std::rotl(key32, shift);
    }
    std::uint8_t k[8];
    std::memcpy(k, &key32, sizeof key32);
    std::memcpy(k + 4, &key32, sizeof key32);
    std::uint64_t word_key = 0;
    std::memcpy(&word_key, k, sizeof word_key);

    char* p = data.data();
    std::size_t n = data.size();
    if (n >= simd::kMinBytes && simd::active() == simd::Level::avx2) {
        simd::xor_words_avx2(p, n, word_key);
        return;
    }
    while (n >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, 8);
        word ^= word_key;
        std::memcpy(p, &word, 8);
        p += 8;
        n -= 8;
    }
    for (std::size_t i = 0; i < n; ++i) {
        p[i] = static_cast<char>(static_cast<std::uint8_t>(p[i]) ^ k[i]);
    }
}

}  // namespace wsx::proto
