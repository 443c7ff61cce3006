// The message and byte counts of one connection, each way, for its access log line, in 16
// bytes: four 32-bit counters. What passes 2^32 comes back from add() as a carry, which the
// connection keeps in its part allocated on first use, so only a connection that moves 4 GiB
// (or 2^32 messages) one way pays for 64-bit counts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wsx::detail {

enum class Traffic : std::uint8_t { messages_in, bytes_in, messages_out, bytes_out };

class TrafficCounts {
public:
    /// Adds `n` to `which`; returns how many times the 32-bit counter wrapped (0 almost always),
    /// in units of 2^32, for the caller to keep.
    [[nodiscard]] std::uint64_t add(Traffic which, std::uint64_t n) noexcept {
        std::uint32_t& low = low_[static_cast<std::size_t>(which)];
        const std::uint64_t sum = std::uint64_t{low} + n;
        low = static_cast<std::uint32_t>(sum);
        return sum >> 32;
    }

    /// The low 32 bits of `which`: the count is (carries << 32) + low.
    [[nodiscard]] std::uint32_t low(Traffic which) const noexcept {
        return low_[static_cast<std::size_t>(which)];
    }

private:
    std::array<std::uint32_t, 4> low_{};
};

}  // namespace wsx::detail
