// permessage-deflate negotiation: RFC 7692 §7.1's rules for offers and responses, each case of
// "decline" (server) and "fail" (client) as a table.
#include <gtest/gtest.h>

#include "wsx/proto/deflate.hpp"
#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

std::vector<Extension> parse(std::string_view header) {
    auto parsed = parse_extension_header(header);
    EXPECT_TRUE(parsed) << header;
    return parsed ? *parsed : std::vector<Extension>{};
}

// The server's answer to `offers` under `policy`, as the response header reads, or "declined".
std::string answer(std::string_view offers, const DeflatePolicy& policy) {
    auto agreed = negotiate_deflate(parse(offers), policy);
    return agreed ? format_extension_header({format_deflate_response(*agreed)}) : "declined";
}

// A policy that keeps both contexts and full windows: the response then says only what the
// offer forces.
constexpr DeflatePolicy kPlain{.client_context_takeover = true,
                               .compressor = CompressorMode::dedicated};

// RFC 7692 §7.1: "A server MUST decline an extension negotiation offer for this extension if any
// of the following conditions are met: The negotiation offer contains an extension parameter not
// defined for use in an offer. The negotiation offer has an extension parameter with an invalid
// value. The negotiation offer has multiple extension parameters with the same name. The server
// doesn't support the offered configuration."
TEST(DeflateNegotiation, ServerDeclinesMalformedOffers) {
    for (std::string_view offer : {
                 "permessage-deflate; foo",
                 "permessage-deflate; server_no_context_takeover=1",
                 "permessage-deflate; client_no_context_takeover=yes",
                 "permessage-deflate; server_max_window_bits",
                 "permessage-deflate; server_max_window_bits=7",
                 "permessage-deflate; server_max_window_bits=16",
                 "permessage-deflate; server_max_window_bits=010",
                 "permessage-deflate; server_max_window_bits=1a",
                 "permessage-deflate; client_max_window_bits=0",
                 "permessage-deflate; client_max_window_bits=100",
                 "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                 "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
                 "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
         }) {
        EXPECT_EQ(answer(offer, kPlain), "declined") << offer;
    }
}

TEST(DeflateNegotiation, ServerAcceptsEachParameter) {
    const std::pair<std::string_view, std::string_view> cases[] = {
            {"permessage-deflate", "permessage-deflate"},
            {"permessage-deflate; client_max_window_bits", "permessage-deflate"},
            {"permessage-deflate; server_no_context_takeover",
             "permessage-deflate; server_no_context_takeover"},
            {"permessage-deflate; client_no_context_takeover",
             "permessage-deflate; client_no_context_takeover"},
            // §7.1.2.1: "the same or smaller value as the offer".
            {"permessage-deflate; server_max_window_bits=10",
             "permessage-deflate; server_max_window_bits=10"},
            {"permessage-deflate; server_max_window_bits=\"12\"",
             "permessage-deflate; server_max_window_bits=12"},
            {"permessage-deflate; client_max_window_bits=9",
             "permessage-deflate; client_max_window_bits=9"},
            {"permessage-deflate; client_max_window_bits=8",
             "permessage-deflate; client_max_window_bits=8"},
    };
    for (const auto& [offer, response] : cases) {
        EXPECT_EQ(answer(offer, kPlain), response) << offer;
    }
}

// §7.1.2.1: the response's server_max_window_bits is at most the offered one. A window of 8 is
// accepted (zlib compresses it with 9, which stays within 8 bits' reach: DeflateCodec tests), and
// the first acceptable offer wins (§5: offers come "in order of preference").
TEST(DeflateNegotiation, AnOfferOfAnEightBitServerWindowIsAccepted) {
    EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=8", kPlain),
              "permessage-deflate; server_max_window_bits=8");
    EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=8, permessage-deflate; "
                     "server_max_window_bits=9",
                     kPlain),
              "permessage-deflate; server_max_window_bits=8");
    EXPECT_EQ(
            answer("x-webkit-deflate-frame, permessage-deflate; bogus, permessage-deflate", kPlain),
            "permessage-deflate");
    EXPECT_EQ(answer("x-webkit-deflate-frame", kPlain), "declined");
}

TEST(DeflateNegotiation, ServerPolicyShapesTheResponse) {
    DeflatePolicy p = kPlain;
    p.window_bits = 11;
    p.client_window_bits = 10;
    EXPECT_EQ(answer("permessage-deflate; client_max_window_bits", p),
              "permessage-deflate; server_max_window_bits=11; client_max_window_bits=10");
    // §7.1.2.2: client_max_window_bits only when offered.
    EXPECT_EQ(answer("permessage-deflate", p), "permessage-deflate; server_max_window_bits=11");
    EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=13", p),
              "permessage-deflate; server_max_window_bits=11");
    // The defaults: a shared compressor and no client context (nothing held while idle).
    EXPECT_EQ(answer("permessage-deflate; client_max_window_bits", DeflatePolicy{}),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    EXPECT_EQ(answer("permessage-deflate", DeflatePolicy{.enabled = false}), "declined");
}

// §7.1: the client "MUST _Fail the WebSocket Connection_" when the response breaks the rules.
TEST(DeflateNegotiation, ClientFailsBadResponses) {
    const DeflateOffer plain{};  // permessage-deflate; client_max_window_bits
    const DeflateOffer asks{.server_no_context_takeover = true,
                            .server_max_window_bits = 10,
                            .client_max_window_bits = std::nullopt};
    const std::tuple<std::string_view, DeflateOffer, Errc> cases[] = {
            {"permessage-deflate; foo", plain, Errc::bad_deflate_response},
            {"permessage-deflate; server_max_window_bits=7", plain, Errc::bad_deflate_response},
            {"permessage-deflate; server_max_window_bits", plain, Errc::bad_deflate_response},
            {"permessage-deflate; client_max_window_bits", plain, Errc::bad_deflate_response},
            {"permessage-deflate; client_max_window_bits=16", plain, Errc::bad_deflate_response},
            {"permessage-deflate, permessage-deflate", plain, Errc::bad_deflate_response},
            {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", plain,
             Errc::bad_deflate_response},
            {"x-webkit-deflate-frame", plain, Errc::unoffered_extension},
            {"permessage-deflate", DeflateOffer{.enabled = false}, Errc::unoffered_extension},
            // Not echoed what the offer asked for, or more than it allowed.
            {"permessage-deflate; server_max_window_bits=10", asks, Errc::bad_deflate_response},
            {"permessage-deflate; server_no_context_takeover", asks, Errc::bad_deflate_response},
            {"permessage-deflate; server_no_context_takeover; server_max_window_bits=11", asks,
             Errc::bad_deflate_response},
            {"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
             "client_max_window_bits=10",
             asks, Errc::bad_deflate_response},
    };
    for (const auto& [response, offer, errc] : cases) {
        auto r = accept_deflate_response(parse(response), offer);
        EXPECT_FALSE(r) << response;
        EXPECT_EQ(r.error(), make_error_code(errc)) << response;
    }
}

TEST(DeflateNegotiation, ClientTakesAWellFormedResponse) {
    auto r = accept_deflate_response(parse("permessage-deflate; server_no_context_takeover; "
                                           "client_no_context_takeover; server_max_window_bits=9; "
                                           "client_max_window_bits=8"),
                                     DeflateOffer{});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->server_no_context_takeover);
    EXPECT_TRUE(r->client_no_context_takeover);
    EXPECT_EQ(r->server_max_window_bits, 9);
    EXPECT_EQ(r->client_max_window_bits, 8);
    auto plain = accept_deflate_response(parse("permessage-deflate"), DeflateOffer{});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->server_max_window_bits, 15);
    EXPECT_FALSE(plain->server_no_context_takeover);
}

TEST(DeflateNegotiation, OffersFormatAsBrowsersSendThem) {
    EXPECT_EQ(format_extension_header({format_deflate_offer({})}),
              "permessage-deflate; client_max_window_bits");
    EXPECT_EQ(format_extension_header({format_deflate_offer({.server_no_context_takeover = true,
                                                             .client_no_context_takeover = true,
                                                             .server_max_window_bits = 10,
                                                             .client_max_window_bits = 12})}),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
              "server_max_window_bits=10; client_max_window_bits=12");
    // What a client offers, a server with the plain policy accepts.
    const DeflateOffer offer{.server_max_window_bits = 12};
    auto agreed = negotiate_deflate({format_deflate_offer(offer)}, kPlain);
    ASSERT_TRUE(agreed);
    EXPECT_TRUE(accept_deflate_response({format_deflate_response(*agreed)}, offer));
}

}  // namespace
}  // namespace wsx::proto
