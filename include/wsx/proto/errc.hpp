// Errors of the protocol core ("wsx.proto") and the one table that maps each of them to the close
// code (RFC 6455 §7.4.1) or HTTP status the peer is told. Messages name the rule broken.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace wsx::proto {

/// Every way the protocol core can refuse input or a call.
enum class Errc {
    // HTTP request head (answered with an HTTP status).
    head_too_large = 1,
    line_too_long,
    too_many_headers,
    bad_request_line,
    bad_line_ending,
    forbidden_byte,
    obs_fold,
    bad_header_field,
    method_not_get,
    bad_http_version,
    missing_host,
    duplicate_header,
    body_not_allowed,
    not_websocket_upgrade,
    missing_connection_upgrade,
    bad_websocket_key,
    unsupported_websocket_version,
    bad_subprotocol_header,
    bad_extension_header,
    bad_request_target,
    bad_content_length,
    length_required,
    body_too_large,
    // A CGI script's response header section (answered with 502).
    cgi_head_too_large,
    bad_cgi_response,
    // The server's answer to a client's opening handshake (or a proxy's to CONNECT).
    bad_status_line,
    unexpected_status,
    response_not_http11,
    response_not_upgrade,
    response_connection_not_upgrade,
    bad_accept_key,
    unoffered_subprotocol,
    unoffered_extension,
    bad_deflate_response,
    proxy_refused,
    // Frames and messages (answered with a close code).
    reserved_opcode,
    reserved_bits_set,
    unmasked_client_frame,
    masked_server_frame,
    control_frame_too_long,
    fragmented_control_frame,
    unexpected_continuation,
    expected_continuation,
    length_msb_set,
    non_minimal_length,
    message_too_big,
    invalid_utf8,
    bad_close_payload,
    bad_close_code,
    invalid_close_reason,
    rsv1_on_continuation,
    bad_compressed_data,
    deflate_memory_exhausted,
    // Misuse of the API by the application.
    not_open,
    invalid_close_code_to_send,
    close_reason_too_long,
    control_payload_too_long,
    handshake_not_pending,
    subprotocol_not_offered,
    bad_url_scheme,
    url_has_fragment,
    url_has_credentials,
    bad_url_host,
    bad_url_port,
    bad_protocol_list,
    invalid_state,
    message_in_progress,
    // Timers.
    handshake_timeout,
    idle_timeout,
};

/// Conditions for coarse checks: `ec == proto::Condition::protocol_violation`.
enum class Condition {
    handshake_failed = 1,
    protocol_violation,
    usage_error,
    timeout,
    bad_gateway
};

[[nodiscard]] const std::error_category& proto_category() noexcept;

[[nodiscard]] std::error_code make_error_code(Errc e) noexcept;

[[nodiscard]] std::error_condition make_error_condition(Condition c) noexcept;

/// The close code an endpoint sends when it fails the connection for `e` (1002, 1007, 1009,
/// 1001 for timeouts); 1011 for errors that are not about received frames.
[[nodiscard]] std::uint16_t close_code_for(std::error_code e) noexcept;

/// The HTTP status a server answers a bad upgrade request with (400, 405, 426, 431); 400 for
/// errors that are not about the request head.
[[nodiscard]] int http_status_for(std::error_code e) noexcept;

}  // namespace wsx::proto

template <>
struct std::is_error_code_enum<wsx::proto::Errc> : std::true_type {};

template <>
struct std::is_error_condition_enum<wsx::proto::Condition> : std::true_type {};
