#include "wsx/proto/message_reader.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

using test::binary;
using test::cont;
using test::text;

std::vector<std::string> read_all(MessageReader& r, std::string& bytes, std::size_t chunk = 0) {
    std::vector<std::string> out;
    if (chunk == 0) {
        chunk = std::max<std::size_t>(bytes.size(), 1);
    }
    for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
        std::span<char> in =
                std::span<char>(bytes).subspan(pos, std::min(chunk, bytes.size() - pos));
        for (;;) {
            ReadItem item = r.next(in);
            if (item.kind == ReadItem::Kind::need_more) {
                break;
            }
            if (item.kind == ReadItem::Kind::error) {
                out.push_back("error:" + std::to_string(close_code_for(item.error)));
                return out;
            }
            const char* names[] = {"", "msg", "ping", "pong", "close"};
            std::string s = names[static_cast<int>(item.kind)];
            if (item.kind == ReadItem::Kind::message) {
                s = item.type == MessageType::text ? "text" : "binary";
            }
            out.push_back(s + ":" + std::string(item.data));
        }
    }
    return out;
}

std::vector<std::string> read_all(std::string bytes, std::size_t chunk = 0,
                                  std::size_t limit = 1 << 20) {
    MessageReader r(Role::server, limit);
    return read_all(r, bytes, chunk);
}

using V = std::vector<std::string>;

// RFC 6455 §5.4 Fragmentation.
TEST(MessageReader, ReassemblesFragmentsWithControlFramesInBetween) {
    // §5.4: "Control frames MAY be injected in the middle of a fragmented message."
    const std::string bytes = text("Hel", false) + test::frame(Opcode::ping, "p1")
                              + cont("lo, ", false) + test::frame(Opcode::pong, "") + cont("world");
    EXPECT_EQ(read_all(bytes), (V{"ping:p1", "pong:", "text:Hello, world"}));
}

TEST(MessageReader, EverySplitGivesTheSameMessages) {
    const std::string bytes = text("κόσμε", false) + cont("", false) + cont("-end")
                              + binary(std::string(200, 'b')) + test::close_frame(1000, "bye");
    const V whole = read_all(bytes);
    ASSERT_EQ(whole.size(), 3U);
    for (std::size_t chunk = 1; chunk < 24; ++chunk) {
        EXPECT_EQ(read_all(bytes, chunk), whole) << chunk;
    }
}

TEST(MessageReader, RejectsContinuationWithoutAMessage) {
    // §5.4: a continuation frame belongs to a fragmented message in progress.
    EXPECT_EQ(read_all(cont("x")), (V{"error:1002"}));
}

TEST(MessageReader, RejectsNewDataFrameInsideAFragmentedMessage) {
    EXPECT_EQ(read_all(text("a", false) + text("b")), (V{"error:1002"}));
    EXPECT_EQ(read_all(binary("a", false) + binary("b")), (V{"error:1002"}));
}

TEST(MessageReader, EmptyFramesAndMessages) {
    EXPECT_EQ(read_all(text("") + binary("")), (V{"text:", "binary:"}));
    EXPECT_EQ(read_all(text("", false) + cont("", false) + cont("")), (V{"text:"}));
}

// Message size limit: limit - 1, limit, limit + 1; single frame and across fragments.
TEST(MessageReader, MessageSizeLimitIsInclusive) {
    const std::size_t limit = 1000;
    // A rejection is one item too ("error:1009"), so each accepted case names the message it
    // must yield, not only how many items there were.
    const std::string below(limit - 1, 'a');
    const std::string at(limit, 'a');
    EXPECT_EQ(read_all(binary(below), 0, limit).size(), 1U);
    EXPECT_EQ(read_all(binary(below), 0, limit), (V{"binary:" + below}));
    EXPECT_EQ(read_all(binary(at), 0, limit).size(), 1U);
    EXPECT_EQ(read_all(binary(at), 0, limit), (V{"binary:" + at}));
    EXPECT_EQ(read_all(binary(std::string(limit + 1, 'a')), 0, limit), (V{"error:1009"}));
    const std::string frags = binary(std::string(600, 'a'), false) + cont(std::string(400, 'a'));
    EXPECT_EQ(read_all(frags, 0, limit).size(), 1U);
    EXPECT_EQ(read_all(frags, 0, limit), (V{"binary:" + at}));
    const std::string over = binary(std::string(600, 'a'), false) + cont(std::string(401, 'a'));
    EXPECT_EQ(read_all(over, 0, limit), (V{"error:1009"}));
}

TEST(MessageReader, OversizedFrameIsRefusedFromItsHeaderAlone) {
    // The limit is checked against the announced length before any payload arrives.
    std::string header("\x82\xFF\x00\x00\x00\x01\x00\x00\x00\x00\x01\x02\x03\x04", 14);  // 4 GiB
    EXPECT_EQ(read_all(header, 0, 16 << 20), (V{"error:1009"}));
}

TEST(MessageReader, SixtyFiveThousandTinyFragmentsCostOnlyTheirPayload) {
    std::string bytes = binary("x", false);
    for (int i = 0; i < 65534; ++i) {
        bytes += cont("x", false);
    }
    bytes += cont("x");
    MessageReader r(Role::server, 16 << 20);
    std::span<char> in(bytes);
    ReadItem item = r.next(in);
    ASSERT_EQ(item.kind, ReadItem::Kind::message);
    EXPECT_EQ(item.data.size(), 65536U);
    EXPECT_LE(r.buffered(), 2 * 65536U);  // the bytes themselves; no per-fragment overhead
}

TEST(MessageReader, WholeFrameInOneBufferIsAViewOfThatBuffer) {
    std::string bytes = text("zero-copy");
    MessageReader r(Role::server, 1 << 20);
    std::span<char> in(bytes);
    ReadItem item = r.next(in);
    ASSERT_EQ(item.kind, ReadItem::Kind::message);
    EXPECT_GE(item.data.data(), bytes.data());
    EXPECT_LT(item.data.data(), bytes.data() + bytes.size());
    EXPECT_EQ(r.buffered(), 0U);
}

// RFC 6455 §8.1: text must be UTF-8, validated across fragments.
TEST(MessageReader, Utf8SplitInsideACodePointAcrossFragmentsIsValid) {
    const std::string euro = "\xE2\x82\xAC";
    EXPECT_EQ(read_all(text(euro.substr(0, 1), false) + cont(euro.substr(1, 1), false)
                       + cont(euro.substr(2))),
              (V{"text:" + euro}));
}

TEST(MessageReader, InvalidUtf8FailsBeforeTheFrameIsComplete) {
    // Autobahn 6.4.x: the bad byte arrives first; the rest of the frame never needs to.
    std::string bytes = text(
            "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90\x80\x80\x65\x64\x69\x74\x65\x64");
    MessageReader r(Role::server, 1 << 20);
    std::span<char> in = std::span<char>(bytes).subspan(0, 6 + 13);  // header + first 13 bytes
    ReadItem item = r.next(in);
    EXPECT_EQ(item.kind, ReadItem::Kind::error);
    EXPECT_EQ(close_code_for(item.error), 1007);
}

TEST(MessageReader, TruncatedUtf8AtMessageEndFails) {
    EXPECT_EQ(read_all(text("abc\xE2\x82")), (V{"error:1007"}));
    EXPECT_EQ(read_all(text("abc\xE2", false) + cont("\x82")), (V{"error:1007"}));
}

TEST(MessageReader, BinaryIsNotValidated) {
    EXPECT_EQ(read_all(binary("\xFF\xFE")), (V{"binary:\xFF\xFE"}));
}

// RFC 7692 permessage-deflate: RSV1 marks a compressed message; a reader with an inflater
// inflates it (in the client role here: the RFC's vectors are a server's unmasked frames).
std::string hex(std::initializer_list<unsigned> list) {
    std::string out;
    for (unsigned b : list) {
        out.push_back(static_cast<char>(b));
    }
    return out;
}

V read_deflated(std::string bytes, std::size_t chunk = 0, std::size_t limit = 1 << 20,
                bool release = false) {
    MessageInflater inflater(15, release, nullptr);
    MessageReader r(Role::client, limit);
    r.use_inflater(&inflater);
    return read_all(r, bytes, chunk);
}

// §7.2.3.1: "A message compressed ... 0xc1 0x07 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00" and its
// fragmented form "0x41 0x03 0xf2 0x48 0xcd" "0x80 0x04 0xc9 0xc9 0x07 0x00"; §7.2.3.2: the same
// message again with the window shared; §7.2.3.3-5: stored, BFINAL and two-block messages.
TEST(MessageReader, InflatesTheRfc7692Vectors) {
    const std::string bytes =
            hex({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})
            + hex({0x41, 0x03, 0xf2, 0x48, 0xcd}) + hex({0x89, 0x00})  // a ping in between
            + hex({0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00})
            + hex({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00})
            + hex({0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00})
            + hex({0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})
            + hex({0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9,
                   0x07, 0x00})
            + hex({0xc1, 0x01, 0x00}) + hex({0x81, 0x02, 0x68, 0x69});  // empty, then plain "hi"
    const V expected{"text:Hello", "ping:",      "text:Hello", "text:Hello", "text:Hello",
                     "text:Hello", "text:Hello", "text:",      "text:hi"};
    EXPECT_EQ(read_deflated(bytes), expected);
    // Split invariance: every chunk size gives the same events.
    for (std::size_t chunk = 1; chunk <= 16; ++chunk) {
        EXPECT_EQ(read_deflated(bytes, chunk), expected) << chunk;
    }
}

// §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and non-first
// fragments of a data message." Without the extension RSV1 is RFC 6455's reserved bit.
TEST(MessageReader, Rsv1OnlyOnTheFirstFrameOfADataMessage) {
    EXPECT_EQ(
            read_deflated(hex({0x41, 0x03, 0xf2, 0x48, 0xcd, 0xc0, 0x04, 0xc9, 0xc9, 0x07, 0x00})),
            (V{"error:1002"}));
    EXPECT_EQ(read_deflated(hex({0xc9, 0x00})), (V{"error:1002"}));  // a ping with RSV1
    EXPECT_EQ(read_deflated(hex({0x01, 0x01, 0x61, 0xc0, 0x00})), (V{"error:1002"}));
    MessageReader plain(Role::client, 1 << 20);
    std::string rsv1 = hex({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    EXPECT_EQ(read_all(plain, rsv1), (V{"error:1002"}));
}

TEST(MessageReader, CompressedMessagesFollowTheUtf8AndSizeRules) {
    MessageDeflater deflater({}, nullptr);
    std::string z;
    ASSERT_FALSE(deflater.compress("\xff\xfe", z, true));
    EXPECT_EQ(read_deflated(test::frame(Opcode::text, z, true, false, true)), (V{"error:1007"}));
    EXPECT_EQ(read_deflated(test::frame(Opcode::binary, z, true, false, true)),
              (V{"binary:\xff\xfe"}));
    ASSERT_FALSE(deflater.compress(std::string(1000, 'a'), z, true));
    const std::string frame = test::frame(Opcode::text, z, true, false, true);
    EXPECT_EQ(read_deflated(frame, 0, 999), (V{"error:1009"}));
    EXPECT_EQ(read_deflated(frame, 0, 1000), (V{"text:" + std::string(1000, 'a')}));
    EXPECT_EQ(read_deflated(hex({0xc1, 0x03, 0xff, 0xff, 0xff})), (V{"error:1007"}));
}

}  // namespace
}  // namespace wsx::proto
