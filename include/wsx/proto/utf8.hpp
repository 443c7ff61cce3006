// Incremental UTF-8 validation (RFC 3629) for text messages and close reasons. It keeps its state
// across chunks, so a message split anywhere, even inside a code point, validates the same, and
// fails at the first byte that can never start or continue a valid sequence (RFC 6455 §8.1 lets
// an endpoint fail fast; the Autobahn cases 6.x expect it).
#pragma once

#include <cstdint>
#include <string_view>

namespace wsx::proto {

/// Streaming validator. Plain value; distinct objects safe, shared objects unsafe.
class Utf8Validator {
public:
    /// Validates the next chunk. Returns false at the first byte that makes the input invalid
    /// whatever follows; the validator then stays failed.
    [[nodiscard]] bool feed(std::string_view chunk) noexcept;

    /// True when the bytes fed so far end on a code point boundary and were all valid.
    [[nodiscard]] bool complete() const noexcept { return !failed_ && remaining_ == 0; }

    [[nodiscard]] bool failed() const noexcept { return failed_; }

    void reset() noexcept { *this = Utf8Validator(); }

private:
    template <bool Avx2>
    [[nodiscard]] bool feed_with(std::string_view chunk) noexcept;

    std::uint8_t remaining_ = 0;  // continuation bytes still expected
    std::uint8_t lo_ = 0x80;      // allowed range of the next continuation byte
    std::uint8_t hi_ = 0xBF;
    bool failed_ = false;
};

/// Whole-buffer check.
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace wsx::proto
