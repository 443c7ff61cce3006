// When a client reconnects (ReconnectOptions, websocket.hpp): exponential backoff from
// initial_delay by `factor` up to max_delay, ±jitter, at most max_attempts in a row, the count
// starting again once a connection stayed open for min_uptime. Rule: arithmetic on the times it
// is given; no clock, no timer, no socket (the WebSocket arms the timer), and no cryptographic
// randomness: spreading clients needs none, so an LCG seeded by the caller and stirred with the
// times given is enough, and a seed makes it repeatable in tests.
#pragma once

#include <cstdint>
#include <optional>

#include "wsx/websocket.hpp"

namespace wsx {

class ReconnectPolicy {
public:
    static constexpr std::uint64_t kDefaultSeed = 0x9E3779B97F4A7C15ULL;

    explicit ReconnectPolicy(const ReconnectOptions& options,
                             std::uint64_t seed = kDefaultSeed) noexcept
        : options_(options), random_(seed) {}

    /// A connection opened at `now`.
    void on_open(net::TimeMs now) noexcept { opened_at_ = now; }

    /// A connection (or an attempt at one) ended at `now`: the delay before the next attempt,
    /// at least 1 ms, counted as one more in a row; nullopt to stop (reconnection disabled, or
    /// max_attempts in a row reached).
    [[nodiscard]] std::optional<net::TimeMs> next_delay(net::TimeMs now) noexcept;

    /// Reconnections scheduled in a row, since one stayed up for min_uptime.
    [[nodiscard]] int attempts() const noexcept { return attempts_; }

private:
    [[nodiscard]] double next_unit(net::TimeMs now) noexcept;

    ReconnectOptions options_;
    std::uint64_t random_;
    int attempts_ = 0;
    net::TimeMs opened_at_ = -1;  // -1: the last connection never opened
};

}  // namespace wsx
