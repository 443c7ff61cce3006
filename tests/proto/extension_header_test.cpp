#include "wsx/proto/extension_header.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

#include "support/page_touches.hpp"

namespace wsx::proto {
namespace {

// RFC 6455 §9.1 grammar; RFC 7692 §7 offers as browsers send them.
TEST(ExtensionHeader, ParsesOffersWithParameters) {
    auto r = parse_extension_header(
            "permessage-deflate; client_max_window_bits, permessage-deflate; "
            "server_max_window_bits=10 ;"
            " client_no_context_takeover");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2U);
    EXPECT_EQ((*r)[0].name, "permessage-deflate");
    ASSERT_EQ((*r)[0].params.size(), 1U);
    EXPECT_EQ((*r)[0].params[0].name, "client_max_window_bits");
    EXPECT_FALSE((*r)[0].params[0].value);
    ASSERT_EQ((*r)[1].params.size(), 2U);
    EXPECT_EQ((*r)[1].params[0].value, "10");
}

TEST(ExtensionHeader, QuotedValuesAreUnquotedAndMustBeTokens) {
    auto r = parse_extension_header("foo; bar=\"12\"");
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].params[0].value, "12");
    EXPECT_FALSE(parse_extension_header("foo; bar=\"1 2\""));
    EXPECT_FALSE(parse_extension_header("foo; bar=\"12"));
}

TEST(ExtensionHeader, EmptyListElementsAreIgnored) {
    auto r = parse_extension_header(" , foo ,, bar ,");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 2U);
}

TEST(ExtensionHeader, RejectsMalformedOffers) {
    for (const char* bad :
         {"", " , ", "foo;", "foo; =1", "foo bar", "foo; a=", "foo; a=b c", "fo/o", ";a"}) {
        EXPECT_EQ(parse_extension_header(bad).error(), make_error_code(Errc::bad_extension_header))
                << bad;
    }
}

TEST(ExtensionHeader, HostileInputIsParsedInLinearTime) {
    // 1 MB of parameters: one pass, no backtracking. The work is counted, not timed: each move of
    // the parser to another page of its input is counted (see PageTouches), so going back over
    // what it has read, even once per parameter, breaks the linear bound.
    std::string s = "x";
    while (s.size() < 1'000'000) {
        s += "; a=b";
    }
    auto r = parse_extension_header(s);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].params.size(), 200'000U);

    test::PageTouches input(s);
    ASSERT_TRUE(input.ok());
    std::size_t params = 0;
    const std::size_t touches = input.measure(
            [&](std::string_view v) {
                auto parsed = parse_extension_header(v);
                params = parsed ? (*parsed)[0].params.size() : 0;
            },
            100 * input.pages());
    EXPECT_EQ(params, 200'000U);
    EXPECT_GE(touches, input.pages());  // it reads all of it, and the counter sees that
    // At most twice per page: once scanning, once more when a token that ends just past a page
    // boundary is copied from the page before. Going back even once per parameter costs 200,000.
    EXPECT_LE(touches, 2 * input.pages() + 8) << "pages: " << input.pages();
}

TEST(ExtensionHeader, FormatsWhatItParses) {
    auto r = parse_extension_header(
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=9");
    ASSERT_TRUE(r);
    EXPECT_EQ(format_extension_header(*r),
              "permessage-deflate; server_no_context_takeover; client_max_window_bits=9");
}

TEST(TokenList, ParsesCommaSeparatedTokens) {
    auto r = parse_token_list(" chat ,superchat,, v2.json ");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<std::string_view>{"chat", "superchat", "v2.json"}));
    EXPECT_FALSE(parse_token_list("chat; x"));
    EXPECT_FALSE(parse_token_list("a b"));
}

}  // namespace
}  // namespace wsx::proto
