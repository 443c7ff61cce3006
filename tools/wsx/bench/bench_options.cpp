#include "bench/bench_options.hpp"

#include <algorithm>
#include <chrono>

namespace wsx::tools {

void BenchCounts::merge(const BenchCounts& other) {
    messages += other.messages;
    bytes += other.bytes;
    mismatches += other.mismatches;
    sent += other.sent;
    received += other.received;
    opened += other.opened;
    closed_early += other.closed_early;
    for (const auto& [cause, n] : other.errors) {
        errors[cause] += n;
    }
    latency.merge(other.latency);
    last_ns = std::max(last_ns, other.last_ns);
}

std::uint64_t BenchCounts::error_count() const {
    std::uint64_t n = 0;
    for (const auto& [cause, count] : errors) {
        n += count;
    }
    return n;
}

std::int64_t bench_now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
}

}  // namespace wsx::tools
