// Fuzzes permessage-deflate negotiation (RFC 7692 §7.1) over any Sec-WebSocket-Extensions value:
// as a client's offers under several server policies, and as a server's response to the
// browsers' offer. Documented outcomes only: a declined offer, or an agreement within the RFC's
// ranges that the client who offered accepts when it comes back formatted; a response accepted,
// or refused with bad_deflate_response or unoffered_extension.
#include <cstddef>
#include <cstdint>
#include <string>

#include "wsx/proto/deflate.hpp"
#include "wsx/proto/errc.hpp"

#include "fuzz_support.hpp"

namespace {

using namespace wsx::proto;

void check_agreement(const DeflateAgreement& a) {
    // 8 included: such a window is compressed with 9 bits (see kMinZlibWindowBits).
    wsx::fuzz::require(a.server_max_window_bits >= kMinWindowBits
                               && a.server_max_window_bits <= kMaxWindowBits,
                       "server window out of range");
    wsx::fuzz::require(a.client_max_window_bits >= kMinWindowBits
                               && a.client_max_window_bits <= kMaxWindowBits,
                       "client window out of range");
    // The agreement, formatted, parses and is accepted by a client that offered everything.
    const std::string header = format_extension_header({format_deflate_response(a)});
    auto parsed = parse_extension_header(header);
    wsx::fuzz::require(parsed.has_value(), "formatted response does not parse");
    auto accepted = accept_deflate_response(*parsed, DeflateOffer{});
    wsx::fuzz::require(accepted.has_value(), "formatted response refused by the client");
    wsx::fuzz::require(
            accepted->server_no_context_takeover == a.server_no_context_takeover
                    && accepted->client_no_context_takeover == a.client_no_context_takeover
                    && accepted->server_max_window_bits == a.server_max_window_bits,
            "response round trip changed the agreement");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_extension_header(input);
    if (!parsed) {
        return 0;
    }
    const DeflatePolicy policies[] = {
            {},
            {.window_bits = 9, .client_window_bits = 8, .compressor = CompressorMode::dedicated},
            {.window_bits = 12, .client_context_takeover = true, .client_window_bits = 10}};
    for (const DeflatePolicy& policy : policies) {
        if (auto agreed = negotiate_deflate(*parsed, policy)) {
            wsx::fuzz::require(agreed->server_max_window_bits <= std::max(policy.window_bits, 9),
                               "server window above the policy's");
            check_agreement(*agreed);
        }
    }
    auto accepted = accept_deflate_response(*parsed, DeflateOffer{});
    if (!accepted) {
        wsx::fuzz::require(
                accepted.error() == make_error_code(Errc::bad_deflate_response)
                        || accepted.error() == make_error_code(Errc::unoffered_extension),
                "undocumented error");
    }
    return 0;
}
