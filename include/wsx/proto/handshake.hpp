// RFC 6455 §4 opening handshake, server side: validate an HTTP request head as a WebSocket
// upgrade, compute Sec-WebSocket-Accept (SHA-1 and base64 from OpenSSL), and build the 101 or
// the error response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wsx/proto/extension_header.hpp"
#include "wsx/proto/http_head.hpp"
#include "wsx/result.hpp"

namespace wsx::proto {

/// A request that passed every rule of RFC 6455 §4.2.1.
struct UpgradeRequest {
    HttpRequest http;
    std::string key;                        // Sec-WebSocket-Key
    std::vector<std::string> subprotocols;  // offered, in the client's order of preference
    std::vector<Extension> extensions;      // offered
    std::optional<std::string> origin;      // Origin, if sent

    [[nodiscard]] std::string_view path() const noexcept { return http.path(); }

    [[nodiscard]] std::string_view query() const noexcept { return http.query(); }
};

/// Extra header fields for a response, name and value.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// Validates `request` as an opening handshake. Errors (with their HTTP status, see errc.hpp):
/// method_not_get, bad_http_version, missing_host, duplicate_header, body_not_allowed,
/// not_websocket_upgrade, missing_connection_upgrade, bad_websocket_key,
/// unsupported_websocket_version, bad_subprotocol_header, bad_extension_header.
[[nodiscard]] Result<UpgradeRequest> validate_upgrade_request(HttpRequest request);

/// True if the comma-separated `list` (a Connection field value, say) has `token`, compared
/// case-insensitively.
[[nodiscard]] bool has_token(std::string_view list, std::string_view token);

/// Checks a request without Upgrade that the server may answer as plain HTTP: HTTP/1.1 or
/// HTTP/1.0, one Host for HTTP/1.1, single-valued fields once. Errors: bad_http_version,
/// missing_host, duplicate_header.
[[nodiscard]] std::error_code check_plain_request(const HttpRequest& request);

/// The length of a plain request's body (0 for none), from Content-Length. Errors:
/// length_required (Transfer-Encoding without Content-Length: chunked bodies are not read),
/// body_not_allowed (both), bad_content_length.
[[nodiscard]] Result<std::uint64_t> request_body_length(const HttpRequest& request);

/// Standard base64 with padding (RFC 4648 §4), through OpenSSL.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 §4.2.2.
[[nodiscard]] std::string compute_accept_key(std::string_view key);

/// Fetches, once per process, the SHA-1 implementation compute_accept_key uses. OpenSSL 3 looks
/// an algorithm up in its providers by name, loading its default provider the first time (about
/// 2 MB of its code and tables paged in, and milliseconds): a server does it when it starts, not
/// during its first client's handshake. Thread-safe; any later call is free.
void prepare_accept_keys() noexcept;

/// The 101 Switching Protocols response.
[[nodiscard]] std::string build_accept_response(std::string_view key, std::string_view subprotocol,
                                                std::string_view extensions,
                                                const HeaderList& extra_headers);

/// A response head: status line, `extra_headers`, Content-Length, and `Connection: close` unless
/// `keep_alive`; ends with the blank line.
[[nodiscard]] std::string build_response_head(int status, const HeaderList& extra_headers,
                                              std::uint64_t content_length, bool keep_alive);

/// A response head whose body length is not known up front: `Transfer-Encoding: chunked` when
/// `chunked`, else the body ends when the connection does (then `keep_alive` must be false).
[[nodiscard]] std::string build_streaming_response_head(int status, const HeaderList& extra_headers,
                                                        bool chunked, bool keep_alive);

/// An error response with a short text body and `Connection: close`. For 426 it adds
/// `Upgrade: websocket` and `Sec-WebSocket-Version: 13` (RFC 6455 §4.4); for 405 `Allow: GET`.
[[nodiscard]] std::string build_error_response(int status, std::string_view body,
                                               const HeaderList& extra_headers = {});

/// The standard reason phrase for `status`.
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

}  // namespace wsx::proto
