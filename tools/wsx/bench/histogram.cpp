// Bucket layout: values below 128 have a bucket each; above, a value whose highest set bit is b
// (b >= 7) goes to step v >> (b - 6) (64..127) of octave b - 6, bucket 64 · (b - 6) + step, so
// buckets rise with values and each spans 2^(b-6): at most 1/64 of the values in it.
#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace wsx::tools {

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) noexcept {
    if (value < 2 * kSteps) {
        return static_cast<std::size_t>(value);
    }
    const int top = 63 - std::countl_zero(value);
    const int shift = top - 6;
    return kSteps * static_cast<std::size_t>(shift) + static_cast<std::size_t>(value >> shift);
}

std::uint64_t LatencyHistogram::bucket_high(std::size_t bucket) noexcept {
    if (bucket < 2 * kSteps) {
        return bucket;
    }
    const std::size_t shift = bucket / kSteps - 1;
    const std::uint64_t step = bucket - kSteps * shift;
    return ((step + 1) << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t value_ns) noexcept {
    ++counts_[bucket_of(value_ns)];  // below kBuckets for every 64-bit value
    ++count_;
    max_ = std::max(max_, value_ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) {
        counts_[i] += other.counts_[i];
    }
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::value_at(double quantile) const noexcept {
    if (count_ == 0) {
        return 0;
    }
    const double q = std::clamp(quantile, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(
            1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            return std::min(bucket_high(i), max_);
        }
    }
    return max_;
}

}  // namespace wsx::tools
