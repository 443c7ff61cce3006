#include "wsx/proto/close.hpp"

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

std::string payload(std::uint16_t code, std::string_view reason = {}) {
    std::string s{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return s + std::string(reason);
}

// RFC 6455 §7.4 and the Autobahn 7.7 / 7.9 case lists.
TEST(Close, WireCodesAllowedAndRefused) {
    for (std::uint16_t code :
         std::initializer_list<std::uint16_t>{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                              1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        auto r = parse_close_payload(payload(code));
        ASSERT_TRUE(r) << code;
        EXPECT_EQ(r->code, code);
    }
    for (std::uint16_t code : std::initializer_list<std::uint16_t>{
                 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        EXPECT_EQ(parse_close_payload(payload(code)).error(), make_error_code(Errc::bad_close_code))
                << code;
    }
}

TEST(Close, EmptyPayloadMeansNoStatus) {
    auto r = parse_close_payload("");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 1005);
}

TEST(Close, OneBytePayloadIsAProtocolError) {
    EXPECT_EQ(parse_close_payload("\x03").error(), make_error_code(Errc::bad_close_payload));
    EXPECT_EQ(close_code_for(make_error_code(Errc::bad_close_payload)), 1002);
}

TEST(Close, ReasonMustBeUtf8) {
    const std::string bytes = payload(1000, "bye \xE2\x82\xAC");  // the reason views it
    auto ok = parse_close_payload(bytes);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->reason, "bye \xE2\x82\xAC");
    auto bad = parse_close_payload(
            payload(1000, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80"));
    EXPECT_EQ(bad.error(), make_error_code(Errc::invalid_close_reason));
    EXPECT_EQ(close_code_for(bad.error()), 1007);
}

TEST(Close, WhatTheApplicationMaySend) {
    EXPECT_FALSE(validate_close_to_send(1000, "ok"));
    EXPECT_FALSE(validate_close_to_send(4000, std::string(123, 'r')));
    EXPECT_EQ(validate_close_to_send(4000, std::string(124, 'r')),
              make_error_code(Errc::close_reason_too_long));
    EXPECT_EQ(validate_close_to_send(1006, ""), make_error_code(Errc::invalid_close_code_to_send));
    EXPECT_EQ(validate_close_to_send(1000, "\xFF"), make_error_code(Errc::invalid_close_reason));
    EXPECT_FALSE(validate_close_to_send(1005, ""));
    EXPECT_EQ(encode_close_payload(1005, ""), "");
    EXPECT_EQ(encode_close_payload(1000, "x"), std::string("\x03\xE8x", 3));
}

}  // namespace
}  // namespace wsx::proto
