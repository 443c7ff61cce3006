#include "bench/payload.hpp"

#include <string>

#include <gtest/gtest.h>

#include "wsx/proto/utf8.hpp"

namespace wsx::tools {
namespace {

TEST(Payload, EachMessageMatchesItselfOnly) {
    Payload p(100, false);
    const std::string m7(p.message(7));
    const std::string m8(p.message(8));
    EXPECT_EQ(m7.size(), 100U);
    EXPECT_NE(m7, m8);
    EXPECT_TRUE(p.matches(7, m7));
    EXPECT_FALSE(p.matches(8, m7));
    EXPECT_FALSE(p.matches(7, m8));
}

TEST(Payload, AnyFlippedBitOrLengthChangeIsAMismatch) {
    Payload p(40, false);
    const std::string m(p.message(123456));
    for (std::size_t i = 0; i < m.size(); ++i) {
        std::string bad = m;
        bad[i] = static_cast<char>(bad[i] ^ 0x10);
        EXPECT_FALSE(p.matches(123456, bad)) << i;
    }
    EXPECT_FALSE(p.matches(123456, m.substr(1)));
    EXPECT_FALSE(p.matches(123456, m + "x"));
}

TEST(Payload, TextIsValidUtf8AndBinaryUsesEveryByte) {
    Payload text(5000, true);
    EXPECT_TRUE(proto::is_valid_utf8(text.message(99)));
    Payload binary(256 * 4, false);
    const std::string_view b = binary.message(0);
    bool seen[256] = {};
    for (const char c : b.substr(16)) {
        seen[static_cast<unsigned char>(c)] = true;
    }
    int distinct = 0;
    for (const bool s : seen) {
        distinct += s ? 1 : 0;
    }
    EXPECT_EQ(distinct, 256);
}

TEST(Payload, ShortPayloadsKeepTheLastDigits) {
    Payload p(3, true);
    EXPECT_EQ(p.message(0x1abc), "abc");
    EXPECT_TRUE(p.matches(0x1abc, "abc"));
    Payload empty(0, false);
    EXPECT_TRUE(empty.matches(5, ""));
    EXPECT_FALSE(empty.matches(5, "x"));
}

}  // namespace
}  // namespace wsx::tools
