// Close payloads; see close.hpp.
#include "wsx/proto/close.hpp"

#include "wsx/proto/errc.hpp"
#include "wsx/proto/utf8.hpp"

namespace wsx::proto {

Result<ClosePayload> parse_close_payload(std::string_view payload) {
    ClosePayload out;
    if (payload.empty()) {
        return out;
    }
    // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
    // integer (in network byte order) representing a status code".
    if (payload.size() == 1) {
        return Errc::bad_close_payload;
    }
    out.code = static_cast<std::uint16_t>(
            (static_cast<unsigned>(static_cast<std::uint8_t>(payload[0])) << 8)
            | static_cast<std::uint8_t>(payload[1]));
    if (!is_valid_wire_close_code(out.code)) {
        return Errc::bad_close_code;
    }
    out.reason = payload.substr(2);
    // §5.5.1: "the data MUST be encoded with UTF-8"; §8.1 makes invalid data fatal.
    if (!is_valid_utf8(out.reason)) {
        return Errc::invalid_close_reason;
    }
    return out;
}

std::string encode_close_payload(std::uint16_t code, std::string_view reason) {
    std::string out;
    if (code == static_cast<std::uint16_t>(CloseCode::no_status)) {
        return out;
    }
    out.reserve(2 + reason.size());
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xFF));
    out.append(reason);
    return out;
}

std::error_code validate_close_to_send(std::uint16_t code, std::string_view reason) {
    if (code == static_cast<std::uint16_t>(CloseCode::no_status)) {
        return reason.empty() ? std::error_code()
                              : make_error_code(Errc::invalid_close_code_to_send);
    }
    if (!is_valid_wire_close_code(code)) {
        return Errc::invalid_close_code_to_send;
    }
    if (reason.size() > kMaxCloseReason) {
        return Errc::close_reason_too_long;
    }
    if (!is_valid_utf8(reason)) {
        return Errc::invalid_close_reason;
    }
    return {};
}

}  // namespace wsx::proto
