// WebSocket URLs (RFC 6455 §3, with the WHATWG URL rules a browser's `new WebSocket(url)` applies):
// ws:// and wss:// (http:// and https:// become them, as browsers now do), a host that is a name,
// an IPv4 address or a bracketed IPv6 literal, an optional port (default 80 or 443), and the
// resource (path and query; "/" when empty). A fragment, credentials, a missing host or a bad
// port are errors: the browser's SyntaxError. Spaces, controls and non-ASCII bytes in the path and
// query are percent-encoded, as a browser sends them. Pure parsing: no name is resolved here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wsx/result.hpp"

namespace wsx::proto {

struct WsUrl {
    bool secure = false;  // wss
    std::string host;     // lower-cased name, IPv4 dotted quad, or IPv6 without brackets
    bool host_is_ipv6 = false;
    std::uint16_t port = 80;
    std::string resource = "/";  // path and query, percent-encoded

    /// The Host header field: the host (bracketed if IPv6) and ":port" unless the default.
    [[nodiscard]] std::string host_header() const;

    /// The URL again, normalised ("ws://example.com/chat?x=1").
    [[nodiscard]] std::string to_string() const;
};

/// Decodes %XX escapes; nullopt for a malformed escape or a decoded NUL.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s);

/// Parses a WebSocket URL. Errors: bad_url_scheme, url_has_fragment, url_has_credentials,
/// bad_url_host, bad_url_port.
[[nodiscard]] Result<WsUrl> parse_ws_url(std::string_view url);

}  // namespace wsx::proto
