// Sec-WebSocket-Extensions (RFC 6455 §9.1) and other comma-separated token lists, parsed in one
// linear pass whatever the input.
//
//     extension-list = 1#extension
//     extension = extension-token *( ";" extension-param )
//     extension-param = token [ "=" (token | quoted-string) ]
//         ; a quoted-string value MUST conform to the token ABNF after unescaping
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/result.hpp"

namespace wsx::proto {

struct ExtensionParam {
    std::string name;
    std::optional<std::string> value;  // unquoted
};

/// One extension offered (by a client) or accepted (by a server).
struct Extension {
    std::string name;
    std::vector<ExtensionParam> params;
};

/// Parses a Sec-WebSocket-Extensions value (several header fields joined with ", ").
/// Error: bad_extension_header.
[[nodiscard]] Result<std::vector<Extension>> parse_extension_header(std::string_view value);

/// Formats extensions as a Sec-WebSocket-Extensions value.
[[nodiscard]] std::string format_extension_header(const std::vector<Extension>& extensions);

/// Parses `1#token` with OWS around commas, ignoring empty elements (RFC 9110 §5.6.1).
/// Returns nullopt if an element is not a token.
[[nodiscard]] std::optional<std::vector<std::string_view>> parse_token_list(std::string_view value);

}  // namespace wsx::proto
