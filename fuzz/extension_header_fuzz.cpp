// Fuzzes the RFC 6455 §9.1 extension grammar and token lists. Documented outcomes: a parse or
// bad_extension_header; what parses formats to text that parses to the same extensions (names,
// parameter names and values).
#include "wsx/proto/extension_header.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wsx::proto;
    const std::string input(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_extension_header(input);
    if (parsed) {
        auto again = parse_extension_header(format_extension_header(*parsed));
        wsx::fuzz::require(again.has_value() && again->size() == parsed->size(),
                           "format does not round-trip");
        for (std::size_t i = 0; i < parsed->size(); ++i) {
            const Extension& a = (*again)[i];
            const Extension& p = (*parsed)[i];
            wsx::fuzz::require(a.name == p.name, "name changed");
            wsx::fuzz::require(a.params.size() == p.params.size(), "params changed");
            for (std::size_t j = 0; j < p.params.size(); ++j) {
                wsx::fuzz::require(a.params[j].name == p.params[j].name, "param name changed");
                wsx::fuzz::require(a.params[j].value == p.params[j].value, "param value changed");
            }
        }
    } else {
        wsx::fuzz::require(parsed.error() == make_error_code(Errc::bad_extension_header),
                           "undocumented error");
    }
    (void)parse_token_list(input);
    return 0;
}
