#include "wsx/proto/utf8.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace wsx::proto {
namespace {

struct Case {
    std::string bytes;
    bool valid;
};

// RFC 3629 §4 and the Autobahn 6.x families: overlongs, surrogates, > U+10FFFF, truncation.
const std::vector<Case> kCases = {
        {"", true},
        {"Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!", true},
        {"\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", true},
        {"\xF0\x90\x80\x80", true},  // U+10000
        {"\xF4\x8F\xBF\xBF", true},  // U+10FFFF
        {"\xEF\xBF\xBF", true},      // U+FFFF
        {"\xED\x9F\xBF", true},      // U+D7FF
        {"\xEE\x80\x80", true},      // U+E000
        {"\x80", false},             // lone continuation
        {"\xBF", false},
        {"\xC0\x80", false},          // overlong NUL
        {"\xC1\xBF", false},          // overlong
        {"\xE0\x80\x80", false},      // overlong
        {"\xE0\x9F\xBF", false},      // overlong
        {"\xF0\x8F\xBF\xBF", false},  // overlong
        {"\xED\xA0\x80", false},      // U+D800 surrogate
        {"\xED\xBF\xBF", false},      // U+DFFF surrogate
        {"\xF4\x90\x80\x80", false},  // U+110000
        {"\xF5\x80\x80\x80", false},
        {"\xFE", false},
        {"\xFF", false},
        {"\xCE\xBA\xE1", false},  // truncated at end
        {"\xE1\xBD", false},
        {"abc\xC3", false},
        {"\xC3\x28", false},  // bad continuation
        {"\xE2\x82\x28", false},
        {"\xF0\x28\x8C\xBC", false},
};

TEST(Utf8Validator, WholeBufferMatchesTable) {
    for (const auto& c : kCases) {
        EXPECT_EQ(is_valid_utf8(c.bytes), c.valid) << testing::PrintToString(c.bytes);
    }
}

TEST(Utf8Validator, EverySplitPointGivesTheSameVerdict) {
    for (const auto& c : kCases) {
        for (std::size_t split = 0; split <= c.bytes.size(); ++split) {
            Utf8Validator v;
            const bool ok = v.feed(std::string_view(c.bytes).substr(0, split))
                            && v.feed(std::string_view(c.bytes).substr(split));
            EXPECT_EQ(ok && v.complete(), c.valid)
                    << testing::PrintToString(c.bytes) << " split " << split;
        }
    }
}

TEST(Utf8Validator, FailsAtTheFirstImpossibleByte) {
    // RFC 6455 §8.1 lets an endpoint fail as soon as the text can no longer be valid; the
    // Autobahn 6.4.x cases send the rest of the frame only after checking for that.
    Utf8Validator v;
    EXPECT_TRUE(v.feed("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"));
    EXPECT_FALSE(v.feed("\xF4\x90"));  // U+110000 can be ruled out after two bytes
    EXPECT_TRUE(v.failed());
    EXPECT_FALSE(v.feed("abc"));  // sticky
}

TEST(Utf8Validator, IncompleteSequenceIsNotComplete) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed("\xF0\x90\x80"));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed("\x80"));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8Validator, LongAsciiRunsWithATrailingBadByteFail) {
    std::string s(1000, 'a');
    EXPECT_TRUE(is_valid_utf8(s));
    for (std::size_t pos : {0U, 7U, 8U, 9U, 500U, 999U}) {
        std::string t = s;
        t[pos] = '\xFF';
        EXPECT_FALSE(is_valid_utf8(t)) << pos;
    }
}

}  // namespace
}  // namespace wsx::proto
