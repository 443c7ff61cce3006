// The SIMD kernels against the portable loops they replace: every level this CPU runs gives the
// same bytes (masking) and the same verdicts (UTF-8), at every length, key phase and position of
// a non-ASCII byte around the 32- and 64-byte block edges.
#include "proto/simd.hpp"

#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/proto/mask.hpp"
#include "wsx/proto/utf8.hpp"

namespace wsx::proto {
namespace {

// Runs `fn` once per level the CPU has, the level in use; restores the level after.
template <class Fn>
void each_level(Fn&& fn) {
    const simd::Level before = simd::active();
    for (simd::Level level : {simd::Level::portable, simd::Level::avx2}) {
        if (static_cast<int>(level) <= static_cast<int>(simd::detected())) {
            (void)simd::use(level);
            ASSERT_EQ(simd::active(), level);
            fn(level);
        }
    }
    (void)simd::use(before);
}

std::string masked_bytewise(std::string data, const MaskingKey& key, std::size_t offset) {
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ key[(offset + i) % 4]);
    }
    return data;
}

TEST(Simd, UseNeverGoesAboveWhatTheCpuHas) {
    const simd::Level before = simd::use(simd::Level::avx2);
    EXPECT_EQ(simd::active(), simd::detected());
    (void)simd::use(before);
}

TEST(Simd, MaskingIsTheSameAtEveryLevelLengthAndOffset) {
    std::mt19937 rng(6455);
    std::string data(700, '\0');
    for (char& c : data) {
        c = static_cast<char>(rng());
    }
    const MaskingKey key{0x37, 0xfa, 0x21, 0x3d};
    each_level([&](simd::Level level) {
        for (std::size_t len :
             std::initializer_list<std::size_t>{0, 1, 7, 8, 31, 63, 127, 128, 129, 159, 160, 191,
                                                200, 255, 256, 257, 511, 700}) {
            for (std::size_t offset = 0; offset < 8; ++offset) {
                std::string got = data.substr(0, len);
                apply_mask(got, key, offset);
                ASSERT_EQ(got, masked_bytewise(data.substr(0, len), key, offset))
                        << "level " << static_cast<int>(level) << " len " << len << " offset "
                        << offset;
            }
        }
    });
}

TEST(Simd, Utf8VerdictsAreTheSameAtEveryLevelWhereverTheNonAsciiByteSits) {
    const std::string ascii(300, 'a');
    each_level([&](simd::Level level) {
        for (std::size_t at : std::initializer_list<std::size_t>{0, 7, 8, 31, 32, 33, 39, 40, 63,
                                                                 64, 65, 95, 127, 128, 200, 299}) {
            std::string good = ascii;
            good.replace(at, 1, "\xC3\xA9");  // é: valid
            std::string bad = ascii;
            bad[at] = '\xC3';  // a lead byte followed by ASCII: invalid
            std::string overlong = ascii;
            overlong[at] = '\xC0';  // never valid
            EXPECT_TRUE(is_valid_utf8(good)) << static_cast<int>(level) << " at " << at;
            EXPECT_FALSE(is_valid_utf8(bad)) << static_cast<int>(level) << " at " << at;
            EXPECT_FALSE(is_valid_utf8(overlong)) << static_cast<int>(level) << " at " << at;
        }
        EXPECT_TRUE(is_valid_utf8(ascii));
        EXPECT_FALSE(is_valid_utf8(ascii + "\xE2\x82"));  // cut inside a code point
    });
}

TEST(Simd, Utf8RandomTextGetsTheSameVerdictAtEveryLevelWholeOrSplit) {
    std::mt19937 rng(3629);
    const std::vector<std::string> pieces = {"a",
                                             "hello world ",
                                             "\xC3\xA9",
                                             "\xE2\x82\xAC",
                                             "\xF0\x9F\x98\x80",
                                             std::string(70, 'x'),
                                             "\xC3",
                                             "\xED\xA0\x80",
                                             "\xFF"};
    for (int round = 0; round < 300; ++round) {
        std::string text;
        while (text.size() < 400) {
            text += pieces[rng() % (round % 2 == 0 ? 6 : pieces.size())];  // even rounds valid
        }
        const std::size_t split = rng() % text.size();
        std::vector<int> verdicts;
        each_level([&](simd::Level) {
            Utf8Validator v;
            const bool split_ok = v.feed(std::string_view(text).substr(0, split))
                                  && v.feed(std::string_view(text).substr(split)) && v.complete();
            EXPECT_EQ(split_ok, is_valid_utf8(text));
            verdicts.push_back(is_valid_utf8(text) ? 1 : 0);
        });
        for (int v : verdicts) {
            ASSERT_EQ(v, verdicts.front()) << text;
        }
        if (round % 2 == 0) {
            EXPECT_EQ(verdicts.front(), 1);
        }
    }
}

}  // namespace
}  // namespace wsx::proto
