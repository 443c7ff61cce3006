// Backoff arithmetic; see reconnect_policy.hpp. Rule: the same options, seed and times give the
// same delays.
#include "reconnect_policy.hpp"

#include <algorithm>

namespace wsx {

double ReconnectPolicy::next_unit(net::TimeMs now) noexcept {
    // Knuth's MMIX LCG, stirred with the time so that clients seeded alike drift apart.
    random_ = random_ * 6364136223846793005ULL + 1442695040888963407ULL
              + static_cast<std::uint64_t>(now);
    return static_cast<double>(random_ >> 11) / 9007199254740992.0;  // 53 bits: [0, 1)
}

std::optional<net::TimeMs> ReconnectPolicy::next_delay(net::TimeMs now) noexcept {
    if (opened_at_ >= 0 && now - opened_at_ >= options_.min_uptime_ms) {
        attempts_ = 0;  // that one stayed up: start again from the first delay
    }
    opened_at_ = -1;
    if (!options_.enabled || (options_.max_attempts > 0 && attempts_ >= options_.max_attempts)) {
        return std::nullopt;
    }
    const auto cap = static_cast<double>(options_.max_delay_ms);
    double delay = static_cast<double>(options_.initial_delay_ms);
    for (int i = 0; i < attempts_ && delay != cap; ++i) {  // once at the cap, it stays there
        delay = std::min(delay * options_.factor, cap);
    }
    delay *= 1.0 + options_.jitter * (2.0 * next_unit(now) - 1.0);
    ++attempts_;
    return std::max<net::TimeMs>(static_cast<net::TimeMs>(delay), 1);
}

}  // namespace wsx
