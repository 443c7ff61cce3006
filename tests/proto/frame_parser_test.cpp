#include "wsx/proto/frame_parser.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

#include "support/frames.hpp"

namespace wsx::proto {
namespace {

struct Parsed {
    std::vector<FrameHeader> headers;
    std::vector<std::string> payloads;
    std::error_code error;
};

// Takes every chunk the parser can make of `in` into `out`, until it needs more or fails.
void drain(FrameParser& p, std::span<char> in, Parsed& out) {
    for (;;) {
        FrameChunk c = p.next(in);
        if (c.status == FrameChunk::Status::need_more) {
            return;
        }
        if (c.status == FrameChunk::Status::error) {
            out.error = c.error;
            return;
        }
        if (c.first) {
            out.headers.push_back(p.header());
            out.payloads.emplace_back();
        }
        out.payloads.back().append(c.data.data(), c.data.size());
    }
}

// Parses `bytes` fed in chunks of `chunk` bytes.
Parsed parse(Role role, std::string bytes, std::size_t chunk = 0, FrameRules rules = {}) {
    FrameParser p(role, rules);
    Parsed out;
    if (chunk == 0) {
        chunk = std::max<std::size_t>(bytes.size(), 1);
    }
    for (std::size_t pos = 0; pos < bytes.size() && !out.error; pos += chunk) {
        std::span<char> in =
                std::span<char>(bytes).subspan(pos, std::min(chunk, bytes.size() - pos));
        drain(p, in, out);
    }
    return out;
}

// RFC 6455 §5.7 examples.
TEST(FrameParser, Rfc6455Section57UnmaskedHello) {
    auto r = parse(Role::client, std::string("\x81\x05\x48\x65\x6c\x6c\x6f", 7));
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.headers.size(), 1U);
    EXPECT_TRUE(r.headers[0].fin);
    EXPECT_EQ(r.headers[0].opcode, Opcode::text);
    EXPECT_EQ(r.payloads[0], "Hello");
}

TEST(FrameParser, Rfc6455Section57MaskedHello) {
    auto r = parse(Role::server, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
    ASSERT_FALSE(r.error);
    EXPECT_TRUE(r.headers[0].masked);
    EXPECT_EQ(r.payloads[0], "Hello");
}

TEST(FrameParser, Rfc6455Section57FragmentedHello) {
    auto r = parse(Role::client, std::string("\x01\x03\x48\x65\x6c\x80\x02\x6c\x6f", 9));
    ASSERT_EQ(r.headers.size(), 2U);
    EXPECT_FALSE(r.headers[0].fin);
    EXPECT_EQ(r.headers[1].opcode, Opcode::continuation);
    EXPECT_EQ(r.payloads[0] + r.payloads[1], "Hello");
}

TEST(FrameParser, Rfc6455Section57SixteenAndSixtyFourBitLengths) {
    std::string b256 = std::string("\x82\x7E\x01\x00", 4) + std::string(256, 'a');
    auto r = parse(Role::client, b256);
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.headers[0].payload_length, 256U);
    std::string b64k =
            std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10) + std::string(65536, 'b');
    r = parse(Role::client, b64k);
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.payloads[0].size(), 65536U);
}

TEST(FrameParser, LengthBoundaries125To65536RoundTrip) {
    for (std::size_t len : {0U, 1U, 125U, 126U, 127U, 65535U, 65536U, 70000U}) {
        const std::string payload(len, 'q');
        auto r = parse(Role::server, test::binary(payload));
        ASSERT_FALSE(r.error) << len;
        EXPECT_EQ(r.payloads[0], payload) << len;
    }
}

// Every header field, as text, so two parses compare as plain strings.
std::vector<std::string> describe(const std::vector<FrameHeader>& headers) {
    std::vector<std::string> out;
    for (const auto& h : headers) {
        std::string s = "fin " + std::to_string(h.fin) + " rsv " + std::to_string(h.rsv1)
                        + std::to_string(h.rsv2) + std::to_string(h.rsv3) + " opcode "
                        + std::to_string(static_cast<int>(h.opcode)) + " masked "
                        + std::to_string(h.masked) + " key";
        for (auto k : h.masking_key) {
            s += ' ';  // appended piece by piece: g++ 12 -O3 warns (-Wrestrict) on " " + string
            s += std::to_string(static_cast<int>(k));
        }
        s += " length ";
        s += std::to_string(h.payload_length);
        out.push_back(s);
    }
    return out;
}

// Feeds `bytes` as two pieces split at `at`.
Parsed parse_split_at(Role role, std::string bytes, std::size_t at) {
    FrameParser p(role, {});
    Parsed out;
    for (auto piece : {std::span<char>(bytes).first(at), std::span<char>(bytes).subspan(at)}) {
        if (!out.error) {
            drain(p, piece, out);
        }
    }
    return out;
}

TEST(FrameParser, EverySplitPointYieldsTheSameFrames) {
    const std::string bytes = test::text("Hello, world", false) + test::frame(Opcode::ping, "p")
                              + test::cont(std::string(300, 'x')) + test::binary("");
    const auto whole = parse(Role::server, bytes);
    ASSERT_FALSE(whole.error);
    ASSERT_EQ(whole.headers.size(), 4U);
    const auto expected = describe(whole.headers);
    EXPECT_EQ(expected[0], "fin 0 rsv 000 opcode 1 masked 1 key 55 250 33 61 length 12");
    EXPECT_EQ(expected[1], "fin 1 rsv 000 opcode 9 masked 1 key 55 250 33 61 length 1");
    EXPECT_EQ(expected[2], "fin 1 rsv 000 opcode 0 masked 1 key 55 250 33 61 length 300");
    EXPECT_EQ(expected[3], "fin 1 rsv 000 opcode 2 masked 1 key 55 250 33 61 length 0");
    for (std::size_t chunk = 1; chunk < 20; ++chunk) {
        const auto split = parse(Role::server, bytes, chunk);
        ASSERT_FALSE(split.error) << chunk;
        EXPECT_EQ(split.payloads, whole.payloads) << chunk;
        EXPECT_EQ(describe(split.headers), expected) << chunk;
    }
    // Two pieces, cut at every byte: same headers, same payloads.
    for (std::size_t at = 0; at <= bytes.size(); ++at) {
        const auto split = parse_split_at(Role::server, bytes, at);
        ASSERT_FALSE(split.error) << at;
        EXPECT_EQ(split.payloads, whole.payloads) << at;
        EXPECT_EQ(describe(split.headers), expected) << at;
    }
}

struct BadFrame {
    const char* name;
    Role role;
    std::string bytes;
    Errc expected;
};

TEST(FrameParser, RejectsEachFrameRuleViolation) {
    const std::vector<BadFrame> cases = {
            // §5.1: "The server MUST close the connection upon receiving a frame that is not
            // masked."
            {"unmasked client frame", Role::server, test::frame(Opcode::text, "hi", true, false),
             Errc::unmasked_client_frame},
            // §5.1: "A client MUST close a connection if it detects a masked frame."
            {"masked server frame", Role::client, test::text("hi"), Errc::masked_server_frame},
            // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated".
            {"rsv1", Role::server, std::string("\xC1\x80\0\0\0\0", 6), Errc::reserved_bits_set},
            {"rsv2", Role::server, std::string("\xA1\x80\0\0\0\0", 6), Errc::reserved_bits_set},
            {"rsv3", Role::server, std::string("\x91\x80\0\0\0\0", 6), Errc::reserved_bits_set},
            // §5.5: control frames at most 125 bytes, never fragmented.
            {"ping 126", Role::server, test::frame(Opcode::ping, std::string(126, 'p')),
             Errc::control_frame_too_long},
            {"fragmented ping", Role::server, test::frame(Opcode::ping, "p", false),
             Errc::fragmented_control_frame},
            {"fragmented close", Role::server, std::string("\x08\x80\0\0\0\0", 6),
             Errc::fragmented_control_frame},
            // §5.2: 64-bit length with the most significant bit set.
            {"msb", Role::client, std::string("\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x01", 10),
             Errc::length_msb_set},
            // §5.2: "the minimal number of bytes MUST be used to encode the length".
            {"16-bit for 125", Role::client, std::string("\x82\x7E\x00\x7D", 4),
             Errc::non_minimal_length},
            {"64-bit for 65535", Role::client, std::string("\x82\x7F\0\0\0\0\0\0\xFF\xFF", 10),
             Errc::non_minimal_length},
    };
    for (const auto& c : cases) {
        auto r = parse(c.role, c.bytes);
        EXPECT_EQ(r.error, make_error_code(c.expected)) << c.name;
    }
}

TEST(FrameParser, RejectsEveryReservedOpcode) {
    // §5.2: opcodes %x3-7 and %xB-F are reserved.
    for (std::uint8_t op :
         std::initializer_list<std::uint8_t>{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        std::string bytes{static_cast<char>(0x80U | op), '\x80', 0, 0, 0, 0};
        EXPECT_EQ(parse(Role::server, bytes).error, make_error_code(Errc::reserved_opcode))
                << int(op);
    }
}

TEST(FrameParser, Rsv1OnDataFramesOnlyWhenNegotiated) {
    const std::string rsv1_text = test::frame(Opcode::text, "x", true, true, true);
    EXPECT_FALSE(parse(Role::server, rsv1_text, 0, {.allow_rsv1 = true}).error);
    const std::string rsv1_ping = test::frame(Opcode::ping, "x", true, true, true);
    EXPECT_EQ(parse(Role::server, rsv1_ping, 0, {.allow_rsv1 = true}).error,
              make_error_code(Errc::reserved_bits_set));
}

TEST(FrameParser, ErrorIsSticky) {
    FrameParser p(Role::server, {});
    std::string bad("\x83\x80\0\0\0\0", 6);
    std::span<char> in(bad);
    EXPECT_EQ(p.next(in).status, FrameChunk::Status::error);
    std::string good = test::text("ok");
    std::span<char> in2(good);
    EXPECT_EQ(p.next(in2).status, FrameChunk::Status::error);
}

TEST(FrameParser, PartialPayloadIsHandedOutAsItArrives) {
    // A large frame costs the parser no memory: each read's bytes come back as a chunk.
    std::string bytes = test::binary(std::string(1000, 'k'));
    FrameParser p(Role::server, {});
    std::span<char> first = std::span<char>(bytes).subspan(0, 500);
    FrameChunk c = p.next(first);
    ASSERT_EQ(c.status, FrameChunk::Status::chunk);
    EXPECT_TRUE(c.first);
    EXPECT_FALSE(c.last);
    EXPECT_EQ(c.data.size(), 500U - 8U);  // 8-byte header: 2 + 2 length + 4 key
    EXPECT_EQ(std::string(c.data.data(), c.data.size()), std::string(492, 'k'));
}

}  // namespace
}  // namespace wsx::proto
