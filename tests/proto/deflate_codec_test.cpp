// Message compression: RFC 7692 §7.2.3's byte vectors both ways, context takeover and reset,
// zlib memory counted, capped and freed, and the size limit applied while inflating.
#include "wsx/proto/deflate_codec.hpp"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <zlib.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

std::string bytes(std::initializer_list<unsigned> list) {
    std::string out;
    for (unsigned b : list) {
        out.push_back(static_cast<char>(b));
    }
    return out;
}

// Inflates one whole message; the error text if it fails.
std::string inflate_message(MessageInflater& inflater, const std::string& payload,
                            std::size_t limit = 1 << 20) {
    MessageBuffer out;
    if (auto ec = inflater.inflate(payload, out, limit)) {
        return "error:" + ec.message();
    }
    if (auto ec = inflater.finish(out, limit)) {
        return "error:" + ec.message();
    }
    return std::string(out.view());
}

// RFC 7692 §7.2.3.1: "Hello" compressed is 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00.
TEST(DeflateCodec, CompressesHelloAsTheRfcShows) {
    MessageDeflater deflater({}, nullptr);
    std::string out;
    ASSERT_FALSE(deflater.compress("Hello", out, false));
    EXPECT_EQ(out, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
    // §7.2.3.2: the same message again, using the LZ77 window of the first.
    ASSERT_FALSE(deflater.compress("Hello", out, false));
    EXPECT_EQ(out, bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
    // With no context takeover the second is compressed alone, like the first.
    MessageDeflater resetting({}, nullptr);
    ASSERT_FALSE(resetting.compress("Hello", out, true));
    ASSERT_FALSE(resetting.compress("Hello", out, true));
    EXPECT_EQ(out, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
}

// §7.2.3.6: "0x00" is an empty message's compressed payload.
TEST(DeflateCodec, AnEmptyMessageCompressesToOneByte) {
    MessageDeflater deflater({}, nullptr);
    std::string out = "junk";
    ASSERT_FALSE(deflater.compress("", out, false));
    EXPECT_EQ(out, bytes({0x00}));
    MessageInflater inflater(15, false, nullptr);
    EXPECT_EQ(inflate_message(inflater, out), "");
    // With context takeover an empty message after others is the same byte, and the stream
    // still decodes what follows.
    ASSERT_FALSE(deflater.compress("Hello", out, false));
    EXPECT_EQ(inflate_message(inflater, out), "Hello");
    ASSERT_FALSE(deflater.compress("", out, false));
    EXPECT_EQ(out, bytes({0x00}));
    EXPECT_EQ(inflate_message(inflater, out), "");
    ASSERT_FALSE(deflater.compress("Hello", out, false));
    EXPECT_EQ(inflate_message(inflater, out), "Hello");
}

TEST(DeflateCodec, InflatesEveryRfcVector) {
    const std::pair<const char*, std::string> vectors[] = {
            {"7.2.3.1", bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})},
            // §7.2.3.3: a DEFLATE block with no compression.
            {"7.2.3.3", bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00})},
            // §7.2.3.4: a DEFLATE block with BFINAL set to 1.
            {"7.2.3.4", bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})},
            // §7.2.3.5: two DEFLATE blocks in one message.
            {"7.2.3.5",
             bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00})},
    };
    for (const auto& [section, payload] : vectors) {
        MessageInflater inflater(15, false, nullptr);
        EXPECT_EQ(inflate_message(inflater, payload), "Hello") << section;
        // The next message still decodes after each (after BFINAL too).
        EXPECT_EQ(inflate_message(inflater, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})),
                  "Hello")
                << section;
    }
    // §7.2.3.2: the second "Hello" refers to the first's window.
    MessageInflater inflater(15, false, nullptr);
    EXPECT_EQ(inflate_message(inflater, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})),
              "Hello");
    EXPECT_EQ(inflate_message(inflater, bytes({0xf2, 0x00, 0x11, 0x00, 0x00})), "Hello");
}

TEST(DeflateCodec, BadStreamsAreBadData) {
    MessageInflater inflater(15, false, nullptr);
    EXPECT_EQ(inflate_message(inflater, bytes({0xff, 0xff, 0xff})),
              "error:" + make_error_code(Errc::bad_compressed_data).message());
    // A window reference before the stream's start (no previous message).
    MessageInflater fresh(15, false, nullptr);
    EXPECT_EQ(inflate_message(fresh, bytes({0xf2, 0x00, 0x11, 0x00, 0x00})),
              "error:" + make_error_code(Errc::bad_compressed_data).message());
}

// The limit is on the inflated size, checked while inflating: a small bomb stops there.
TEST(DeflateCodec, TheLimitAppliesToTheInflatedSize) {
    MessageDeflater deflater({}, nullptr);
    std::string bomb;
    ASSERT_FALSE(deflater.compress(std::string(4'000'000, 'a'), bomb, true));
    EXPECT_LT(bomb.size(), 8'000U);
    for (std::size_t limit : {3'999'999U, 4'000'000U, 4'000'001U}) {
        MessageInflater inflater(15, false, nullptr);
        MessageBuffer out;
        auto ec = inflater.inflate(bomb, out, limit);
        if (!ec) {
            ec = inflater.finish(out, limit);
        }
        EXPECT_EQ(ec,
                  limit < 4'000'000 ? make_error_code(Errc::message_too_big) : std::error_code())
                << limit;
        EXPECT_LE(out.size(), limit + 1);
    }
}

// A message over the limit whose stream is corrupt just past it fails as too big whether it
// arrives whole or a byte at a time: with its output full, zlib still decodes what needs no room
// (here the next block's header, of the reserved type 3) when the input is at hand.
TEST(DeflateCodec, PassingTheLimitWinsOverCorruptDataThatFollows) {
    MessageDeflater deflater({}, nullptr);
    std::string payload;
    ASSERT_FALSE(deflater.compress(std::string(100, 'a'), payload, true));
    payload += bytes({0x00, 0x00, 0xff, 0xff, 0xff});  // the flush's tail, then a bad block
    for (std::size_t piece : {payload.size(), std::size_t{1}}) {
        MessageInflater inflater(15, false, nullptr);
        MessageBuffer out;
        std::error_code ec;
        for (std::size_t pos = 0; pos < payload.size() && !ec; pos += piece) {
            ec = inflater.inflate(std::string_view(payload).substr(pos, piece), out, 99);
        }
        EXPECT_EQ(ec, make_error_code(Errc::message_too_big)) << piece;
        EXPECT_EQ(out.size(), 100U) << piece;
    }
    MessageInflater within(15, false, nullptr);  // with room for it all, the bad block is found
    EXPECT_EQ(inflate_message(within, payload),
              "error:" + make_error_code(Errc::bad_compressed_data).message());
}

TEST(DeflateCodec, MemoryIsCountedAllocatedLazilyAndFreedWhenIdle) {
    ZlibMemory memory;
    MessageInflater keeps(15, false, &memory);
    MessageInflater releases(15, true, &memory);
    EXPECT_EQ(memory.in_use(), 0U);  // nothing before the first message
    EXPECT_EQ(inflate_message(keeps, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})), "Hello");
    const std::size_t one = memory.in_use();
    EXPECT_GT(one, 32U * 1024);  // its state and its 32 KiB window
    EXPECT_LE(one, inflater_memory(15));
    EXPECT_EQ(inflate_message(releases, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})),
              "Hello");
    EXPECT_EQ(memory.in_use(), 2 * one);  // until the input at hand is used up
    releases.release_if_idle();
    keeps.release_if_idle();
    EXPECT_EQ(memory.in_use(), one);  // the releasing one holds nothing once idle
    EXPECT_FALSE(releases.allocated());
    EXPECT_TRUE(keeps.allocated());
    MessageBuffer half;
    ASSERT_FALSE(releases.inflate(bytes({0xf2, 0x48}), half, 100));
    releases.release_if_idle();  // a message half inflated keeps its stream
    EXPECT_TRUE(releases.allocated());
    ASSERT_FALSE(releases.inflate(bytes({0xcd, 0xc9, 0xc9, 0x07, 0x00}), half, 100));
    ASSERT_FALSE(releases.finish(half, 100));
    EXPECT_EQ(half.view(), "Hello");
    releases.release_if_idle();
    EXPECT_FALSE(releases.allocated());
    {
        MessageDeflater deflater({.window_bits = 10, .mem_level = 2}, &memory);
        std::string out;
        EXPECT_EQ(memory.in_use(), one);
        ASSERT_FALSE(deflater.compress("Hello", out, false));
        EXPECT_GT(memory.in_use(), one);
        EXPECT_LE(memory.in_use() - one, deflater_memory({.window_bits = 10, .mem_level = 2}));
    }
    EXPECT_EQ(memory.in_use(), one);
    EXPECT_GE(memory.peak(), one);
}

TEST(DeflateCodec, PastTheCapCompressionFailsAndInflationIsRefused) {
    ZlibMemory memory(16 * 1024);
    MessageDeflater deflater({}, &memory);
    std::string out;
    EXPECT_EQ(deflater.compress("Hello", out, false),
              make_error_code(Errc::deflate_memory_exhausted));
    MessageInflater inflater(15, false, &memory);
    EXPECT_EQ(inflate_message(inflater, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})),
              "error:" + make_error_code(Errc::deflate_memory_exhausted).message());
    EXPECT_GT(memory.refused(), 0U);
    EXPECT_EQ(memory.in_use(), 0U);
}

// What zlib itself inflates with an 8-bit window (raw inflate accepts 8; only deflate refuses it):
// a distance past 256 bytes fails here.
std::string inflate_with_eight_bits(const std::string& payload) {
    z_stream z{};
    if (inflateInit2(&z, -8) != Z_OK) {
        return "inflateInit2 failed";
    }
    std::string in = payload + std::string("\x00\x00\xff\xff", 4);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    out.resize(z.total_out);
    inflateEnd(&z);
    return rc == Z_OK || rc == Z_STREAM_END ? out : "inflate failed: " + std::to_string(rc);
}

// A window of 8 bits: inflated with 9, and compressed with 9, whose matches reach at most 250
// bytes back (the window less zlib's 262 bytes of look-ahead), so an 8-bit peer decodes them.
TEST(DeflateCodec, EightBitWindows) {
    MessageDeflater nine({.window_bits = 9}, nullptr);
    std::string out;
    const std::string text(5000, 'x');
    ASSERT_FALSE(nine.compress(text, out, false));
    MessageInflater eight(8, false, nullptr);
    EXPECT_EQ(inflate_message(eight, out), text);
    // A period of 300 bytes (noise that repeats only that far back: a 9-bit window could match
    // it, an 8-bit one cannot), then a period of 200 (matches within reach of both).
    std::string repeats;
    std::uint32_t seed = 12345;
    std::string noise;
    for (int i = 0; i < 300; ++i) {
        seed = seed * 1103515245U + 12345U;
        noise += static_cast<char>(seed >> 24);
    }
    for (int i = 0; i < 70; ++i) {
        repeats += noise;
    }
    for (int i = 0; i < 100; ++i) {
        repeats += noise.substr(0, 200);
    }
    PerMessageDeflate server(
            Role::server, {.agreement = {.server_max_window_bits = 8, .server_bits_named = true}});
    const std::string* compressed = server.compress(repeats);
    ASSERT_NE(compressed, nullptr);
    EXPECT_LT(compressed->size(), repeats.size() / 2);
    EXPECT_EQ(inflate_with_eight_bits(*compressed), repeats);
    PerMessageDeflate client(
            Role::client, {.agreement = {.client_max_window_bits = 8, .client_bits_named = true}});
    compressed = client.compress(repeats);
    ASSERT_NE(compressed, nullptr);
    EXPECT_EQ(inflate_with_eight_bits(*compressed), repeats);
}

TEST(DeflateCodec, SharedCompressorResetsAfterEveryMessage) {
    ZlibMemory memory;
    SharedDeflater shared(8, -1, &memory);
    const DeflateSetup setup{.agreement = {.server_no_context_takeover = true},
                             .memory = &memory,
                             .shared = &shared};
    PerMessageDeflate a(Role::server, setup);
    PerMessageDeflate b(Role::server, setup);
    EXPECT_EQ(memory.in_use(), 0U);  // neither holds a compressor of its own
    for (PerMessageDeflate* c : {&a, &b, &a}) {
        std::string* z = c->compress("Hello");
        ASSERT_NE(z, nullptr);
        EXPECT_EQ(*z, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));  // alone each time
    }
    const std::size_t used = memory.in_use();
    PerMessageDeflate c(Role::server, setup);
    ASSERT_NE(c.compress("Hello"), nullptr);
    EXPECT_EQ(memory.in_use(), used);  // one more connection costs nothing
    PerMessageDeflate threshold(Role::server, {.threshold = 6});
    EXPECT_EQ(threshold.compress("Hello"), nullptr);
    EXPECT_NE(threshold.compress("Hello!"), nullptr);
}

}  // namespace
}  // namespace wsx::proto
