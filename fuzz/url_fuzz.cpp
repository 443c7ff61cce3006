// Fuzzes WebSocket URL parsing. Documented outcomes: a URL or one of the SyntaxError codes; a
// parsed URL prints to text that parses to the same URL, and that text is safe to put in a
// request line (no blank, control, '#' or non-ASCII byte).
#include "wsx/proto/url.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "wsx/proto/errc.hpp"

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wsx::proto;
    const std::string input(reinterpret_cast<const char*>(data), size);
    auto url = parse_ws_url(input);
    if (!url) {
        wsx::fuzz::require(url.error() == Condition::usage_error, "undocumented error");
        return 0;
    }
    const std::string text = url->to_string();
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        wsx::fuzz::require(u > 0x20 && u < 0x7F && c != '#', "unsafe byte in the URL");
    }
    auto again = parse_ws_url(text);
    wsx::fuzz::require(again.has_value(), "a printed URL does not parse");
    wsx::fuzz::require(again->host == url->host && again->port == url->port
                               && again->secure == url->secure && again->resource == url->resource,
                       "print and parse do not round-trip");
    return 0;
}
