#include "wsx/proto/frame_writer.hpp"

#include <gtest/gtest.h>

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

TEST(FrameWriter, Rfc6455Section57UnmaskedHello) {
    OutputQueue out;
    write_frame(out, {.opcode = Opcode::text}, std::string_view("Hello"));
    std::string_view v[4];
    ASSERT_EQ(out.peek(v), 1U);
    EXPECT_EQ(v[0], std::string_view("\x81\x05Hello", 7));
}

TEST(FrameWriter, Rfc6455Section57MaskedHello) {
    EXPECT_EQ(test::text("Hello"), std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
}

TEST(FrameWriter, HeaderLengthEncodingsAreMinimal) {
    std::array<char, kMaxFrameHeaderSize> buf{};
    FrameHeader h;
    h.payload_length = 125;
    EXPECT_EQ(encode_frame_header(buf, h), 2U);
    h.payload_length = 126;
    EXPECT_EQ(encode_frame_header(buf, h), 4U);
    h.payload_length = 65535;
    EXPECT_EQ(encode_frame_header(buf, h), 4U);
    h.payload_length = 65536;
    EXPECT_EQ(encode_frame_header(buf, h), 10U);
    EXPECT_EQ(std::string(buf.data(), 10), std::string("\x81\x7F\0\0\0\0\0\x01\0\0", 10));
    h.masked = true;
    EXPECT_EQ(encode_frame_header(buf, h), 14U);
}

TEST(FrameWriter, LargeOwnedPayloadIsNotCopiedIntoABlock) {
    OutputQueue out;
    std::string payload(100'000, 'z');
    const char* data = payload.data();
    write_frame(out, {.opcode = Opcode::binary}, std::move(payload));
    std::string_view v[4];
    ASSERT_EQ(out.peek(v), 2U);
    EXPECT_EQ(v[0].size(), 10U);
    EXPECT_EQ(v[1].data(), data);
    EXPECT_EQ(out.size(), 100'010U);
}

}  // namespace
}  // namespace wsx::proto
