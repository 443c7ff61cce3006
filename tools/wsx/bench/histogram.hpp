// A latency histogram in the manner of HdrHistogram: log-linear buckets (each power of two split
// into 64 equal steps), so any value from 1 ns to hours is kept within 1/64 (1.6 %) of itself in
// a fixed array, recording costs one bit scan and an increment, and histograms of several
// threads merge by adding counts. Rule: counts only; it never reads a clock.
#pragma once

#include <array>
#include <cstdint>

namespace wsx::tools {

class LatencyHistogram {
public:
    /// Records one value (nanoseconds).
    void record(std::uint64_t value_ns) noexcept;

    /// Adds another histogram's counts.
    void merge(const LatencyHistogram& other) noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

    /// The largest value recorded, exactly; 0 when empty.
    [[nodiscard]] std::uint64_t max() const noexcept { return max_; }

    /// The value at `quantile` (0..1): the highest value of the bucket holding the ⌈q·n⌉-th
    /// smallest recording, capped at max(); 0 when empty.
    [[nodiscard]] std::uint64_t value_at(double quantile) const noexcept;

    /// The bucket of a value, and the highest value of a bucket (exposed for the tests).
    [[nodiscard]] static std::size_t bucket_of(std::uint64_t value) noexcept;
    [[nodiscard]] static std::uint64_t bucket_high(std::size_t bucket) noexcept;

    static constexpr std::size_t kSteps = 64;  // per power of two
    static constexpr std::size_t kBuckets = 2 * kSteps + kSteps * 57;

private:
    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace wsx::tools
