// RFC 6455 §5.5.1 and §7.4: close frame payloads, which codes may travel on the wire, and which
// an application may send.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wsx/result.hpp"

namespace wsx::proto {

/// Close codes with a name in RFC 6455 §7.4.1 (and IANA's registry for 1012-1014).
enum class CloseCode : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status = 1005,  // never on the wire: "no code was present"
    abnormal = 1006,   // never on the wire: "closed without a close frame"
    invalid_payload = 1007,
    policy_violation = 1008,
    message_too_big = 1009,
    mandatory_extension = 1010,
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,
    bad_gateway = 1014,
};

/// §7.4: 1000-1003, 1007-1014 (1012-1014 registered with IANA) and 3000-4999 may appear in a
/// close frame; 0-999, 1004-1006, 1015-2999 and 5000+ may not.
[[nodiscard]] constexpr bool is_valid_wire_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}

/// The longest reason that fits a control frame beside its 2-byte code.
inline constexpr std::size_t kMaxCloseReason = 123;

/// A decoded close frame payload. `reason` views the payload it was parsed from.
struct ClosePayload {
    std::uint16_t code = static_cast<std::uint16_t>(CloseCode::no_status);
    std::string_view reason;
};

/// Parses a received close frame payload: empty (code 1005), or a valid wire code followed by a
/// UTF-8 reason. Errors: bad_close_payload, bad_close_code, invalid_close_reason.
[[nodiscard]] Result<ClosePayload> parse_close_payload(std::string_view payload);

/// Encodes a close payload for sending; code 1005 encodes as an empty payload. The caller has
/// validated code and reason (see validate_close_to_send).
[[nodiscard]] std::string encode_close_payload(std::uint16_t code, std::string_view reason);

/// Checks a code and reason the application wants to send: a valid wire code (or 1005 for
/// "none") and a UTF-8 reason of at most 123 bytes.
[[nodiscard]] std::error_code validate_close_to_send(std::uint16_t code, std::string_view reason);

}  // namespace wsx::proto
