// UTF-8 validation, hand written: no Debian package offers an incremental validator that can
// resume inside a code point. The ASCII fast path skips 64 bytes a step with AVX2 where the CPU
// has it (proto/simd.hpp), 8 at a time otherwise.
#include "wsx/proto/utf8.hpp"

#include <cstddef>
#include <cstring>

#include "proto/simd.hpp"

namespace wsx::proto {
namespace {

// RFC 3629 §4: for each lead byte, how many continuation bytes follow and the allowed range of
// the first one (the ranges exclude overlongs, surrogates and code points above U+10FFFF).
struct Lead {
    std::uint8_t count;
    std::uint8_t lo;
    std::uint8_t hi;
};

constexpr Lead lead_for(std::uint8_t b) noexcept {
    if (b >= 0xC2 && b <= 0xDF) {
        return {1, 0x80, 0xBF};
    }
    if (b == 0xE0) {
        return {2, 0xA0, 0xBF};
    }
    if (b == 0xED) {
        return {2, 0x80, 0x9F};
    }
    if (b >= 0xE1 && b <= 0xEF) {
        return {2, 0x80, 0xBF};
    }
    if (b == 0xF0) {
        return {3, 0x90, 0xBF};
    }
    if (b >= 0xF1 && b <= 0xF3) {
        return {3, 0x80, 0xBF};
    }
    if (b == 0xF4) {
        return {3, 0x80, 0x8F};
    }
    return {0, 0, 0};  // 0x80..0xC1 and 0xF5..0xFF never start a sequence
}

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

}  // namespace

// One loop, made twice: with AVX2, after each ASCII word a block scan (it stops at the first
// 32-byte block with a non-ASCII byte, and the words go on from there); without, the words
// alone. Two copies rather than a test in the loop, which slowed both (measured).
template <bool Avx2>
bool Utf8Validator::feed_with(std::string_view chunk) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(chunk.data());
    const std::size_t n = chunk.size();
    std::size_t i = 0;
    while (i < n) {
        if (remaining_ == 0) {
            while (i + 8 <= n) {
                std::uint64_t word = 0;
                std::memcpy(&word, p + i, 8);
                if ((word & kHighBits) != 0) {
                    break;
                }
                i += 8;
                if constexpr (Avx2) {
                    if (i + 32 <= n) {
                        i += simd::ascii_prefix_avx2(p + i, n - i);
                    }
                }
            }
            if (i == n) {
                break;
            }
            const std::uint8_t b = p[i++];
            if (b < 0x80) {
                continue;
            }
            const Lead lead = lead_for(b);
            if (lead.count == 0) {
                failed_ = true;
                return false;
            }
            remaining_ = lead.count;
            lo_ = lead.lo;
            hi_ = lead.hi;
            continue;
        }
        const std::uint8_t b = p[i++];
        if (b < lo_ || b > hi_) {
            failed_ = true;
            return false;
        }
        --remaining_;
        lo_ = 0x80;
        hi_ = 0xBF;
    }
    return true;
}

bool Utf8Validator::feed(std::string_view chunk) noexcept {
    if (failed_) {
        return false;
    }
    if (chunk.size() >= simd::kMinBytes && simd::active() == simd::Level::avx2) {
        return feed_with<true>(chunk);
    }
    return feed_with<false>(chunk);
}

bool is_valid_utf8(std::string_view s) noexcept {
    Utf8Validator v;
    return v.feed(s) && v.complete();
}

}  // namespace wsx::proto
