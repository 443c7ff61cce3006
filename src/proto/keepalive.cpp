// Keepalive ping payloads (see keepalive.hpp).
#include "wsx/proto/keepalive.hpp"

#include <charconv>

namespace wsx::proto {

namespace {
constexpr std::string_view kPrefix = "wsx:";
}  // namespace

std::string keepalive_ping_payload(TimeMs now) {
    return std::string(kPrefix) + std::to_string(now);
}

std::optional<TimeMs> keepalive_ping_time(std::string_view pong_payload) noexcept {
    if (!pong_payload.starts_with(kPrefix)) {
        return std::nullopt;
    }
    const std::string_view digits = pong_payload.substr(kPrefix.size());
    TimeMs t = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), t);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()
        || digits[0] == '-') {
        return std::nullopt;
    }
    return t;
}

}  // namespace wsx::proto
