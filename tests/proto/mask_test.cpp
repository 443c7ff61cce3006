#include "wsx/proto/mask.hpp"

#include <string>

#include <gtest/gtest.h>

namespace wsx::proto {
namespace {

std::string naive_mask(std::string s, const MaskingKey& key, std::size_t offset) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        s[i] = static_cast<char>(static_cast<std::uint8_t>(s[i]) ^ key[(offset + i) % 4]);
    }
    return s;
}

TEST(Mask, MatchesTheByteWiseDefinitionForEveryLengthAndOffset) {
    // RFC 6455 §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)
    const MaskingKey key{0x37, 0xfa, 0x21, 0x3d};
    std::string data;
    for (int i = 0; i < 70; ++i) {
        data.push_back(static_cast<char>(i * 7 + 3));
    }
    for (std::size_t len = 0; len <= data.size(); ++len) {
        for (std::size_t offset = 0; offset < 8; ++offset) {
            std::string s = data.substr(0, len);
            apply_mask(s, key, offset);
            EXPECT_EQ(s, naive_mask(data.substr(0, len), key, offset)) << len << " " << offset;
        }
    }
}

TEST(Mask, Rfc6455Section57MaskedHello) {
    std::string payload = "\x7f\x9f\x4d\x51\x58";
    apply_mask(payload, {0x37, 0xfa, 0x21, 0x3d});
    EXPECT_EQ(payload, "Hello");
}

TEST(Mask, ChunkedUnmaskingEqualsWholeUnmasking) {
    const MaskingKey key{1, 2, 3, 4};
    std::string whole(37, 'z');
    std::string chunked = whole;
    apply_mask(whole, key);
    std::span<char> s(chunked);
    apply_mask(s.subspan(0, 5), key, 0);
    apply_mask(s.subspan(5, 11), key, 5);
    apply_mask(s.subspan(16), key, 16);
    EXPECT_EQ(whole, chunked);
}

}  // namespace
}  // namespace wsx::proto
