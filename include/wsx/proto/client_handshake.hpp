// RFC 6455 §4.1 opening handshake, client side: the request a client sends, and the checks its
// response must pass (status 101, Upgrade and Connection tokens, Sec-WebSocket-Accept, and no
// subprotocol or extension the client did not offer).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/proto/deflate.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/http_head.hpp"
#include "wsx/result.hpp"

namespace wsx::proto {

/// What a client asks for.
struct ClientHandshake {
    std::string host;                    // the Host header field ("example.com:8080")
    std::string resource = "/";          // path and query
    std::vector<std::string> protocols;  // offered subprotocols, in order of preference
    std::optional<std::string> origin;   // Origin, if any (browsers always send one)
    HeaderList headers;                  // extra fields (Authorization, Cookie, ...)
    std::string key;                     // Sec-WebSocket-Key; empty: a fresh random one
    DeflateOffer deflate;                // permessage-deflate, offered unless disabled
};

/// What the server agreed to.
struct HandshakeAccepted {
    std::string subprotocol;  // empty: none
    std::string extensions;   // empty: none; else the response's Sec-WebSocket-Extensions
    std::optional<DeflateAgreement> deflate;  // permessage-deflate, when the server accepted it
};

/// Checks a `protocols` list the way the browser's constructor does: each a token, no two alike.
/// Error: bad_protocol_list.
[[nodiscard]] std::error_code check_protocol_list(const std::vector<std::string>& protocols);

/// A fresh Sec-WebSocket-Key: base64 of 16 bytes from OpenSSL's CSPRNG (§4.1: "randomly
/// selected").
[[nodiscard]] std::string make_websocket_key();

/// The GET request. `hs.key` must be set. Extra header fields that the handshake itself sets
/// (Host, Upgrade, Connection, Sec-WebSocket-*) are left out.
[[nodiscard]] std::string build_client_request(const ClientHandshake& hs);

/// Checks the server's response head against what `hs` offered. Errors: unexpected_status (the
/// status is in `response`; 3xx redirects carry Location), response_not_http11 (a 101 in
/// another HTTP version), response_not_upgrade,
/// response_connection_not_upgrade, bad_accept_key, unoffered_subprotocol,
/// unoffered_extension, bad_extension_header, bad_deflate_response.
[[nodiscard]] Result<HandshakeAccepted> validate_upgrade_response(const HttpResponseHead& response,
                                                                  const ClientHandshake& hs);

}  // namespace wsx::proto
