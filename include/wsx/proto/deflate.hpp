// RFC 7692 permessage-deflate negotiation, both sides, as plain functions over parsed
// Sec-WebSocket-Extensions values: the client's offer, the server's choice among the offers
// (declining each malformed, duplicated, out-of-range or unsupported one as §7 says, and trying
// the next), the response it sends, and the client's checks of that response. Rule: no zlib here
// (that is deflate_codec.hpp) and no I/O.
//
//     // server
//     auto agreed = negotiate_deflate(request.extensions, policy);   // nullopt: declined
//     if (agreed) { header = format_deflate_response(*agreed); }
//     // client
//     request += format_deflate_offer(offer);
//     auto accepted = accept_deflate_response(response_extensions, offer);  // error: fail
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "wsx/proto/extension_header.hpp"
#include "wsx/result.hpp"

namespace wsx::proto {

inline constexpr const char* kPermessageDeflate = "permessage-deflate";

/// LZ77 window sizes of RFC 7692 §7.1.2: 2^8 to 2^15 bytes.
inline constexpr int kMinWindowBits = 8;
inline constexpr int kMaxWindowBits = 15;

/// zlib refuses a raw deflate window of 8 bits (deflateInit2 with -8 fails since zlib 1.2.9), so a
/// window of 8 is used as 9, both ways. Inflating with 9 is always safe: a 9-bit window decodes
/// anything an 8-bit one made. Compressing with 9 for a peer that allows only 8 is safe too: zlib's
/// compressor never refers further back than its window less MIN_LOOKAHEAD (262) bytes, 250 bytes
/// with 9 bits, within the peer's 256 (tests/proto/deflate_codec_test.cpp checks it with an
/// 8-bit inflater). So server_max_window_bits=8 is accepted, and a client told 8 compresses.
inline constexpr int kMinZlibWindowBits = 9;

/// What both sides agreed, as the server's response says it (RFC 7692 §7.1).
struct DeflateAgreement {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    int server_max_window_bits = kMaxWindowBits;
    int client_max_window_bits = kMaxWindowBits;
    /// Which parameters the response names (a window of 15 may be said or left out).
    bool server_bits_named = false;
    bool client_bits_named = false;
};

/// One permessage-deflate offer a client sends (RFC 7692 §7.1). The default is the browsers'
/// offer: `permessage-deflate; client_max_window_bits`.
struct DeflateOffer {
    bool enabled = true;
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::optional<int> server_max_window_bits;  // 8-15 asks the server for a smaller window
    /// Offered without a value (0: "I support it"), with a value (8-15), or not at all (nullopt).
    std::optional<int> client_max_window_bits = 0;
    // Local settings of the client's compressor, not sent: zlib memLevel and level, and the size
    // under which messages go out uncompressed.
    int mem_level = 8;
    int level = -1;
    std::size_t threshold = 0;
};

/// How compressed messages are made on the sending side.
enum class CompressorMode {
    dedicated,  // one compressor per connection (context takeover possible)
    shared,     // one per thread, reset after every message (server_no_context_takeover)
};

/// A server's permessage-deflate policy. Every field has a sane default; see README
/// "permessage-deflate" for the memory each choice costs.
struct DeflatePolicy {
    bool enabled = true;
    /// The server's compression window (9-15), announced as server_max_window_bits when < 15.
    int window_bits = kMaxWindowBits;
    /// zlib memLevel of the server's compressor (1-9): its hash table is 2^(mem_level+9) bytes.
    int mem_level = 8;
    /// zlib compression level (0-9, or -1 for zlib's default, 6).
    int level = -1;
    /// Keep the server's compression context between messages (dedicated mode only).
    bool context_takeover = true;
    /// Let the client keep its context between messages. Off (the default) asks for
    /// client_no_context_takeover: the server's inflater then holds no window between messages,
    /// so an idle connection holds no zlib memory, at the price of each client message being
    /// compressed on its own.
    bool client_context_takeover = false;
    /// The client's window (9-15) asked for when the client offers client_max_window_bits.
    int client_window_bits = kMaxWindowBits;
    /// Messages shorter than this go out uncompressed.
    std::size_t threshold = 0;
    /// shared (the default): no compressor memory per connection, each message compressed on its
    /// own; dedicated: better ratios across similar messages, deflater_memory() per connection.
    CompressorMode compressor = CompressorMode::shared;
};

/// The server's choice: the first permessage-deflate offer in `offers` (the client's order of
/// preference) that is well formed and that `policy` can honour; nullopt if none (or disabled).
/// RFC 7692 §7.1: offers with unknown, duplicated or invalid parameters are declined.
[[nodiscard]] std::optional<DeflateAgreement> negotiate_deflate(
        const std::vector<Extension>& offers, const DeflatePolicy& policy);

/// The response's Sec-WebSocket-Extensions element for `agreement`.
[[nodiscard]] Extension format_deflate_response(const DeflateAgreement& agreement);

/// The request's Sec-WebSocket-Extensions element for `offer` (enabled).
[[nodiscard]] Extension format_deflate_offer(const DeflateOffer& offer);

/// The client's checks of the server's response (RFC 7692 §7.1: the client "MUST _Fail the
/// WebSocket Connection_" for an unknown, duplicated or invalid parameter, a parameter it did
/// not offer where the RFC requires one, or more than one permessage-deflate element).
/// Errors: unoffered_extension (another extension, or none was offered), bad_deflate_response.
[[nodiscard]] Result<DeflateAgreement> accept_deflate_response(
        const std::vector<Extension>& response, const DeflateOffer& offer);

}  // namespace wsx::proto
