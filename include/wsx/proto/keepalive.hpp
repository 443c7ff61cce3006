// What an endpoint's keepalive pings carry: "wsx:" and the time they went out (the caller's
// clock, milliseconds, in decimal). The peer's pong echoes it (RFC 6455 §5.5.3), so the round
// trip is known when the pong comes, with nothing kept per connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wsx/proto/limits.hpp"

namespace wsx::proto {

/// The payload of a keepalive ping sent at `now`.
[[nodiscard]] std::string keepalive_ping_payload(TimeMs now);

/// The send time a pong's payload carries, if it answers one of our keepalive pings.
[[nodiscard]] std::optional<TimeMs> keepalive_ping_time(std::string_view pong_payload) noexcept;

}  // namespace wsx::proto
