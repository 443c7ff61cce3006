// The "wsx.proto" error category: one row per error with its message, condition, close code and
// HTTP status. Keeping all four in one table means a new error cannot forget one of them.
#include "wsx/proto/errc.hpp"

#include <array>
#include <string>

namespace wsx::proto {
namespace {

struct Row {
    Errc errc;
    Condition condition;
    std::uint16_t close_code;  // 0: not a frame error
    int http_status;           // 0: not a request-head error
    const char* message;
};

using C = Condition;
constexpr Row kRows[] = {
        {Errc::head_too_large, C::handshake_failed, 0, 431, "request head exceeds the size limit"},
        {Errc::line_too_long, C::handshake_failed, 0, 431,
         "request line or header line exceeds the line limit"},
        {Errc::too_many_headers, C::handshake_failed, 0, 431,
         "request has more header fields than the limit"},
        {Errc::bad_request_line, C::handshake_failed, 0, 400,
         "request line is not 'METHOD SP request-target SP HTTP-version'"},
        {Errc::bad_line_ending, C::handshake_failed, 0, 400,
         "request head has a bare CR or LF (RFC 9112 §2.2)"},
        {Errc::forbidden_byte, C::handshake_failed, 0, 400,
         "request head contains a NUL or control byte"},
        {Errc::obs_fold, C::handshake_failed, 0, 400,
         "obsolete line folding is not allowed (RFC 9112 §5.2)"},
        {Errc::bad_header_field, C::handshake_failed, 0, 400,
         "header field is not 'token \":\" OWS value OWS'"},
        {Errc::method_not_get, C::handshake_failed, 0, 405,
         "the opening handshake must be a GET request (RFC 6455 §4.2.1)"},
        {Errc::bad_http_version, C::handshake_failed, 0, 400,
         "the opening handshake must be HTTP/1.1 (RFC 6455 §4.2.1)"},
        {Errc::missing_host, C::handshake_failed, 0, 400,
         "exactly one Host header field is required (RFC 9112 §3.2)"},
        {Errc::duplicate_header, C::handshake_failed, 0, 400,
         "a single-valued header field appears more than once"},
        {Errc::body_not_allowed, C::handshake_failed, 0, 400,
         "an upgrade request must not carry a body (Content-Length or Transfer-Encoding)"},
        {Errc::not_websocket_upgrade, C::handshake_failed, 0, 426,
         "Upgrade header field lacks the 'websocket' token (RFC 6455 §4.2.1)"},
        {Errc::missing_connection_upgrade, C::handshake_failed, 0, 400,
         "Connection header field lacks the 'Upgrade' token (RFC 6455 §4.2.1)"},
        {Errc::bad_websocket_key, C::handshake_failed, 0, 400,
         "Sec-WebSocket-Key must be the base64 of 16 bytes, once (RFC 6455 §4.2.1)"},
        {Errc::unsupported_websocket_version, C::handshake_failed, 0, 426,
         "Sec-WebSocket-Version must be 13 (RFC 6455 §4.4)"},
        {Errc::bad_subprotocol_header, C::handshake_failed, 0, 400,
         "Sec-WebSocket-Protocol must be a list of distinct tokens (RFC 6455 §4.1)"},
        {Errc::bad_extension_header, C::handshake_failed, 0, 400,
         "Sec-WebSocket-Extensions does not follow the RFC 6455 §9.1 grammar"},
        {Errc::bad_request_target, C::handshake_failed, 0, 400,
         "request target must be an origin-form path without a fragment"},
        {Errc::bad_content_length, C::handshake_failed, 0, 400,
         "Content-Length must be one decimal number (RFC 9110 §8.6)"},
        {Errc::length_required, C::handshake_failed, 0, 411,
         "a request body needs Content-Length; chunked request bodies are not accepted"},
        {Errc::body_too_large, C::handshake_failed, 0, 413, "request body exceeds the size limit"},
        {Errc::cgi_head_too_large, C::bad_gateway, 0, 502,
         "CGI response header section exceeds the size, line or field limit"},
        {Errc::bad_cgi_response, C::bad_gateway, 0, 502,
         "CGI response header section is malformed (RFC 3875 §6)"},
        {Errc::bad_status_line, C::handshake_failed, 0, 0,
         "response status line is not 'HTTP-version SP 3DIGIT SP reason'"},
        {Errc::unexpected_status, C::handshake_failed, 0, 0,
         "server answered the opening handshake with a status other than 101"},
        {Errc::response_not_http11, C::handshake_failed, 0, 0,
         "server accepted the opening handshake in a version other than HTTP/1.1 (RFC 6455 "
         "§4.2.2)"},
        {Errc::response_not_upgrade, C::handshake_failed, 0, 0,
         "server response lacks 'Upgrade: websocket' (RFC 6455 §4.1)"},
        {Errc::response_connection_not_upgrade, C::handshake_failed, 0, 0,
         "server response lacks 'Connection: Upgrade' (RFC 6455 §4.1)"},
        {Errc::bad_accept_key, C::handshake_failed, 0, 0,
         "Sec-WebSocket-Accept does not match the key sent (RFC 6455 §4.1)"},
        {Errc::unoffered_subprotocol, C::handshake_failed, 0, 0,
         "server chose a subprotocol the client did not offer (RFC 6455 §4.1)"},
        {Errc::unoffered_extension, C::handshake_failed, 0, 0,
         "server chose an extension the client did not offer (RFC 6455 §4.1)"},
        {Errc::bad_deflate_response, C::handshake_failed, 0, 0,
         "server's permessage-deflate response has an unknown, repeated, unoffered or "
         "out-of-range parameter (RFC 7692 §7.1)"},
        {Errc::proxy_refused, C::handshake_failed, 0, 0,
         "the HTTP proxy refused the CONNECT request"},
        {Errc::reserved_opcode, C::protocol_violation, 1002, 0, "reserved opcode (RFC 6455 §5.2)"},
        {Errc::reserved_bits_set, C::protocol_violation, 1002, 0,
         "RSV bit set without a negotiated extension (RFC 6455 §5.2)"},
        {Errc::unmasked_client_frame, C::protocol_violation, 1002, 0,
         "client frame is not masked (RFC 6455 §5.1)"},
        {Errc::masked_server_frame, C::protocol_violation, 1002, 0,
         "server frame is masked (RFC 6455 §5.1)"},
        {Errc::control_frame_too_long, C::protocol_violation, 1002, 0,
         "control frame payload exceeds 125 bytes (RFC 6455 §5.5)"},
        {Errc::fragmented_control_frame, C::protocol_violation, 1002, 0,
         "control frame is fragmented (RFC 6455 §5.5)"},
        {Errc::unexpected_continuation, C::protocol_violation, 1002, 0,
         "continuation frame without a message in progress (RFC 6455 §5.4)"},
        {Errc::expected_continuation, C::protocol_violation, 1002, 0,
         "new data frame while a fragmented message is in progress (RFC 6455 §5.4)"},
        {Errc::length_msb_set, C::protocol_violation, 1002, 0,
         "64-bit payload length has its most significant bit set (RFC 6455 §5.2)"},
        {Errc::non_minimal_length, C::protocol_violation, 1002, 0,
         "payload length is not in its minimal encoding (RFC 6455 §5.2)"},
        {Errc::message_too_big, C::protocol_violation, 1009, 0, "message exceeds the size limit"},
        {Errc::invalid_utf8, C::protocol_violation, 1007, 0,
         "text message is not valid UTF-8 (RFC 6455 §8.1)"},
        {Errc::bad_close_payload, C::protocol_violation, 1002, 0,
         "close frame payload of 1 byte (RFC 6455 §5.5.1)"},
        {Errc::bad_close_code, C::protocol_violation, 1002, 0,
         "close code is not allowed on the wire (RFC 6455 §7.4)"},
        {Errc::invalid_close_reason, C::protocol_violation, 1007, 0,
         "close reason is not valid UTF-8 (RFC 6455 §5.5.1)"},
        {Errc::rsv1_on_continuation, C::protocol_violation, 1002, 0,
         "RSV1 set on a continuation frame: only a message's first frame carries it (RFC 7692 "
         "§6.1)"},
        {Errc::bad_compressed_data, C::protocol_violation, 1007, 0,
         "compressed message is not a valid DEFLATE stream (RFC 7692 §6.2)"},
        {Errc::deflate_memory_exhausted, C::usage_error, 1011, 0,
         "zlib memory cap reached while inflating a message"},
        {Errc::not_open, C::usage_error, 1011, 0, "the connection is not open"},
        {Errc::invalid_close_code_to_send, C::usage_error, 1011, 0,
         "this close code may not be sent"},
        {Errc::close_reason_too_long, C::usage_error, 1011, 0, "close reason exceeds 123 bytes"},
        {Errc::control_payload_too_long, C::usage_error, 1011, 0,
         "ping or pong payload exceeds 125 bytes"},
        {Errc::handshake_not_pending, C::usage_error, 1011, 0,
         "no opening handshake is waiting for an answer"},
        {Errc::subprotocol_not_offered, C::usage_error, 1011, 0,
         "the chosen subprotocol was not offered by the client"},
        {Errc::bad_url_scheme, C::usage_error, 0, 0,
         "URL scheme must be ws, wss, http or https (SyntaxError)"},
        {Errc::url_has_fragment, C::usage_error, 0, 0,
         "a WebSocket URL must not have a fragment (SyntaxError)"},
        {Errc::url_has_credentials, C::usage_error, 0, 0,
         "credentials in the URL are not supported; send an Authorization header (SyntaxError)"},
        {Errc::bad_url_host, C::usage_error, 0, 0, "URL host is missing or invalid (SyntaxError)"},
        {Errc::bad_url_port, C::usage_error, 0, 0, "URL port must be 0-65535 (SyntaxError)"},
        {Errc::bad_protocol_list, C::usage_error, 0, 0,
         "protocols must be distinct tokens (SyntaxError)"},
        {Errc::invalid_state, C::usage_error, 0, 0,
         "not allowed while the connection is CONNECTING (InvalidStateError)"},
        {Errc::message_in_progress, C::usage_error, 0, 0,
         "a fragmented message is being sent: no whole message may come inside it"},
        {Errc::handshake_timeout, C::timeout, 1001, 408,
         "opening handshake did not complete in time"},
        {Errc::idle_timeout, C::timeout, 1001, 0, "nothing received within the idle timeout"},
};

constexpr auto kRowCount = sizeof(kRows) / sizeof(kRows[0]);

const Row* find_row(int value) noexcept {
    if (value < 1 || static_cast<std::size_t>(value) > kRowCount) {
        return nullptr;
    }
    return &kRows[value - 1];
}

static_assert(static_cast<int>(Errc::idle_timeout) == kRowCount, "one row per Errc, in order");

class Category final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "wsx.proto"; }

    [[nodiscard]] std::string message(int value) const override {
        const Row* row = find_row(value);
        return row != nullptr ? row->message : "unknown wsx.proto error";
    }

    [[nodiscard]] bool equivalent(int value,
                                  const std::error_condition& cond) const noexcept override {
        const Row* row = find_row(value);
        return row != nullptr && cond.category() == *this
               && static_cast<int>(row->condition) == cond.value();
    }
};

}  // namespace

const std::error_category& proto_category() noexcept {
    static const Category kCategory;
    return kCategory;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), proto_category()};
}

std::error_condition make_error_condition(Condition c) noexcept {
    return {static_cast<int>(c), proto_category()};
}

std::uint16_t close_code_for(std::error_code e) noexcept {
    const Row* row = e.category() == proto_category() ? find_row(e.value()) : nullptr;
    return row != nullptr && row->close_code != 0 ? row->close_code : 1011;
}

int http_status_for(std::error_code e) noexcept {
    const Row* row = e.category() == proto_category() ? find_row(e.value()) : nullptr;
    return row != nullptr && row->http_status != 0 ? row->http_status : 400;
}

}  // namespace wsx::proto
