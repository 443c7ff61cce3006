// SIMD kernels; see simd.hpp.
#include "proto/simd.hpp"

#include <atomic>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define WSX_X86 1
#else
#define WSX_X86 0
#endif

namespace wsx::proto::simd {
namespace {

Level detect() noexcept {
#if WSX_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") != 0) {
        return Level::avx2;
    }
#endif
    return Level::portable;
}

std::atomic<Level>& active_level() noexcept {
    static std::atomic<Level> level{detected()};
    return level;
}

}  // namespace

Level detected() noexcept {
    static const Level kDetected = detect();
    return kDetected;
}

Level active() noexcept {
    return active_level().load(std::memory_order_relaxed);
}

Level use(Level level) noexcept {
    if (static_cast<int>(level) > static_cast<int>(detected())) {
        level = detected();
    }
    return active_level().exchange(level, std::memory_order_relaxed);
}

#if WSX_X86

__attribute__((target("avx2"))) void xor_words_avx2(char* p, std::size_t n,
                                                    std::uint64_t word_key) noexcept {
    const __m256i key = _mm256_set1_epi64x(static_cast<long long>(word_key));
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {  // two registers a step: loads and stores overlap
        auto* a = reinterpret_cast<__m256i*>(p + i);
        auto* b = reinterpret_cast<__m256i*>(p + i + 32);
        const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(a), key);
        const __m256i y = _mm256_xor_si256(_mm256_loadu_si256(b), key);
        _mm256_storeu_si256(a, x);
        _mm256_storeu_si256(b, y);
    }
    for (; i + 32 <= n; i += 32) {
        auto* a = reinterpret_cast<__m256i*>(p + i);
        _mm256_storeu_si256(a, _mm256_xor_si256(_mm256_loadu_si256(a), key));
    }
    // Fewer than 32 left, at a multiple of 8 from the start: the key's phase is unchanged.
    for (; i < n; ++i) {
        p[i] = static_cast<char>(static_cast<std::uint8_t>(p[i])
                                 ^ static_cast<std::uint8_t>(word_key >> (8 * (i % 8))));
    }
}

__attribute__((target("avx2"))) std::size_t ascii_prefix_avx2(const std::uint8_t* p,
                                                              std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
        if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) != 0) {
            break;
        }
    }
    for (; i + 32 <= n; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
        if (_mm256_movemask_epi8(a) != 0) {
            break;
        }
    }
    return i;
}

#else

void xor_words_avx2(char*, std::size_t, std::uint64_t) noexcept {}

std::size_t ascii_prefix_avx2(const std::uint8_t*, std::size_t) noexcept {
    return 0;
}

#endif

}  // namespace wsx::proto::simd
