#include "wsx/proto/endpoint.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "wsx/proto/keepalive.hpp"

#include "support/echo_harness.hpp"
#include "support/frames.hpp"

namespace wsx::proto {
namespace {

using V = std::vector<std::string>;
using test::drain_output;

TEST(Endpoint, StartsOpenInEitherRole) {
    // The server's opening handshake is HttpExchange's; the client's may be done elsewhere.
    for (Role role : {Role::server, Role::client}) {
        Endpoint ep(role, {}, 0);
        EXPECT_EQ(ep.state(), State::open);
        EXPECT_EQ(ep.role(), role);
        EXPECT_TRUE(ep.output().empty());
        EXPECT_FALSE(ep.send(MessageType::text, "at once"));
    }
}

// An endpoint holds a message reader only while a frame or a message is under way: between
// frames it is back in the thread's pool, where the next endpoint to get input takes it.
TEST(Endpoint, HoldsAReaderOnlyWhileAFrameOrMessageIsUnderWay) {
    // On a thread of its own: the pool is per thread, and the tests before may have filled it.
    std::thread([] {
        Endpoint a(Role::server, {}, 0);
        Endpoint b(Role::server, {}, 0);
        const std::size_t pooled = Endpoint::pooled_readers();
        const std::string long_text(200, 'x');  // past 125 bytes: not the small-frame path
        std::string whole = test::text(long_text);
        a.feed(whole, 0);
        auto e = a.next_event();
        ASSERT_TRUE(e && std::holds_alternative<MessageReceived>(*e));
        EXPECT_EQ(std::get<MessageReceived>(*e).data, long_text);
        EXPECT_FALSE(a.next_event());
        EXPECT_EQ(Endpoint::pooled_readers(), pooled + 1);  // a is idle: its reader is pooled
        // A message in two fragments, the second split across reads: b keeps a reader throughout.
        std::string first = test::text("fr", false);
        std::string second = test::frame(Opcode::continuation, "agment");
        std::string part1 = second.substr(0, 3);
        std::string part2 = second.substr(3);
        b.feed(first, 0);
        EXPECT_FALSE(b.next_event());
        EXPECT_EQ(Endpoint::pooled_readers(), pooled);  // b took the pooled one and keeps it
        b.feed(part1, 0);
        EXPECT_FALSE(b.next_event());
        EXPECT_EQ(Endpoint::pooled_readers(), pooled);
        b.feed(part2, 0);
        auto e2 = b.next_event();
        ASSERT_TRUE(e2 && std::holds_alternative<MessageReceived>(*e2));
        EXPECT_EQ(std::get<MessageReceived>(*e2).data, "fragment");
        EXPECT_FALSE(b.next_event());
        EXPECT_EQ(Endpoint::pooled_readers(), pooled + 1);
        // The reader a takes next starts clean: a new text message, validated from its first byte.
        std::string bad = test::text(long_text + "\xC3");
        a.feed(bad, 0);
        auto e3 = a.next_event();
        ASSERT_TRUE(e3 && std::holds_alternative<Failed>(*e3));
        EXPECT_EQ(std::get<Failed>(*e3).error, make_error_code(Errc::invalid_utf8));
    }).join();
}

// Whole small frames (at most 125 bytes, unfragmented) take no reader at all, and an endpoint
// with no input takes none either; a small frame split across reads does take one.
TEST(Endpoint, WholeSmallFramesNeedNoReader) {
    std::thread([] {
        Endpoint a(Role::server, {}, 0);
        const std::size_t pooled = Endpoint::pooled_readers();
        std::string two = test::text("one") + test::binary("two");
        a.feed(two, 0);
        auto e1 = a.next_event();
        auto e2 = a.next_event();
        ASSERT_TRUE(e1 && std::holds_alternative<MessageReceived>(*e1));
        ASSERT_TRUE(e2 && std::holds_alternative<MessageReceived>(*e2));
        EXPECT_EQ(std::get<MessageReceived>(*e1).data, "one");
        EXPECT_EQ(std::get<MessageReceived>(*e2).type, MessageType::binary);
        EXPECT_EQ(std::get<MessageReceived>(*e2).data, "two");
        EXPECT_FALSE(a.next_event());
        EXPECT_EQ(Endpoint::pooled_readers(), pooled);  // none was created or taken
        std::string split = test::text("three");
        std::string head = split.substr(0, 4);
        std::string tail = split.substr(4);
        a.feed(head, 0);
        EXPECT_FALSE(a.next_event());
        a.feed(tail, 0);
        auto e3 = a.next_event();
        ASSERT_TRUE(e3 && std::holds_alternative<MessageReceived>(*e3));
        EXPECT_EQ(std::get<MessageReceived>(*e3).data, "three");
        EXPECT_FALSE(a.next_event());
        EXPECT_EQ(Endpoint::pooled_readers(), pooled + 1);  // made for the split frame, pooled
    }).join();
}

// Reads the rest of a frame the way the engine does: into direct_input() when it offers room
// (copying `bytes` there stands for the socket read), else fed from `bytes` itself.
bool feed_like_the_engine(Endpoint& ep, std::string& bytes, std::size_t& read_directly) {
    const std::span<char> into = ep.direct_input();
    if (into.empty()) {
        ep.feed(bytes, 0);
        return false;
    }
    const std::size_t n = std::min(into.size(), bytes.size());
    std::copy_n(bytes.data(), n, into.data());
    ep.feed(into.first(n), 0);
    read_directly += n;
    bytes.erase(0, n);
    return true;
}

// The rest of a large frame is read straight into its message buffer (direct_input), unmasked
// there: the message is the same as when fed from the caller's buffer, and is that buffer.
TEST(Endpoint, TheRestOfALargeFrameIsReadStraightIntoItsMessage) {
    std::string payload(200000, 'a');
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>('a' + i % 26);
    }
    Endpoint ep(Role::server, {}, 0);
    EXPECT_TRUE(ep.direct_input().empty());  // nothing under way
    std::string wire = test::text(payload);
    std::string first = wire.substr(0, 1000);  // the header and a little of the payload
    std::string rest = wire.substr(1000);
    ep.feed(first, 0);
    EXPECT_FALSE(ep.next_event());
    const std::span<char> into = ep.direct_input();
    ASSERT_EQ(into.size(), rest.size());  // exactly the rest of the frame: nothing past it
    std::size_t direct = 0;
    ASSERT_TRUE(feed_like_the_engine(ep, rest, direct));
    auto e = ep.next_event();
    ASSERT_TRUE(e && std::holds_alternative<MessageReceived>(*e));
    const auto& m = std::get<MessageReceived>(*e);
    EXPECT_EQ(m.data, payload);
    const std::size_t header = wire.size() - payload.size();
    EXPECT_EQ(m.data.data() + (1000 - header), into.data())
            << "the message is the buffer the bytes were read into";
    EXPECT_FALSE(ep.next_event());
    EXPECT_TRUE(ep.direct_input().empty());  // between frames again
}

// A fragmented message whose frames are read straight in, one after another, with a small
// frame between them fed the usual way; and a rest too small to be worth a read of its own.
TEST(Endpoint, DirectReadsAcrossFragmentsAndOnlyForLargeRests) {
    const std::string a(70000, 'x');
    const std::string b(50000, 'y');
    std::string wire = test::text(a, false) + test::cont("mid", false) + test::cont(b);
    Endpoint ep(Role::server, {}, 0);
    std::size_t direct = 0;
    std::string head = wire.substr(0, 100);
    ep.feed(head, 0);
    EXPECT_FALSE(ep.next_event());
    std::string rest = wire.substr(100);
    std::optional<Event> got;
    for (int i = 0; i < 20 && !rest.empty() && !got; ++i) {
        std::string piece = rest.substr(0, 30000);  // reads of at most 30,000 bytes
        rest.erase(0, piece.size());
        if (feed_like_the_engine(ep, piece, direct)) {
            rest.insert(0, piece);  // what did not go straight in comes next
        }
        if (auto e = ep.next_event()) {
            got.emplace(std::move(*e));
        }
    }
    ASSERT_TRUE(got && std::holds_alternative<MessageReceived>(*got)) << test::describe(*got);
    EXPECT_EQ(std::get<MessageReceived>(*got).data, a + "mid" + b);
    // All of the first frame's rest (69,910 bytes) went straight in, and the part of the last
    // frame's that the read bringing its header left (past 16 KiB).
    EXPECT_GE(direct, 69910U + 16384U);

    Endpoint small(Role::server, {}, 0);
    std::string frame = test::binary(std::string(20000, 'z'));
    std::string part = frame.substr(0, 8000);  // 12,000 bytes left: under the 16 KiB threshold
    small.feed(part, 0);
    EXPECT_FALSE(small.next_event());
    EXPECT_TRUE(small.direct_input().empty());
}

// What is read straight in is checked as anything else is: bad UTF-8 there fails with 1007,
// and the limit on the message's size acts on the header, before any room is made.
TEST(Endpoint, DirectReadsAreValidatedAndLimited) {
    std::string payload(40000, 'q');
    payload[30000] = '\xff';
    std::string wire = test::text(payload);
    Endpoint ep(Role::server, {}, 0);
    std::string head = wire.substr(0, 20);
    ep.feed(head, 0);
    EXPECT_FALSE(ep.next_event());
    std::string rest = wire.substr(20);
    std::size_t direct = 0;
    ASSERT_TRUE(feed_like_the_engine(ep, rest, direct));
    auto e = ep.next_event();
    ASSERT_TRUE(e && std::holds_alternative<Failed>(*e));
    EXPECT_EQ(std::get<Failed>(*e).error, make_error_code(Errc::invalid_utf8));
    EXPECT_TRUE(ep.direct_input().empty());  // failed: nothing more is read in

    Limits limits;
    limits.max_message_size = 30000;
    Endpoint limited(Role::server, limits, 0);
    std::string big = test::binary(std::string(40000, 'b')).substr(0, 20);
    limited.feed(big, 0);
    auto f = limited.next_event();
    ASSERT_TRUE(f && std::holds_alternative<Failed>(*f));
    EXPECT_EQ(std::get<Failed>(*f).error, make_error_code(Errc::message_too_big));
    EXPECT_TRUE(limited.direct_input().empty());
}

// Large frames echo the same whether read whole, in pieces through the caller's buffer, or in
// pieces partly straight into the message (run_echo reads as the engine does): the same frames
// out, and the same failure when a byte deep in a large text frame is bad.
TEST(Endpoint, LargeFramesEchoTheSameHoweverTheyAreRead) {
    std::string greek;
    while (greek.size() < 90000) {
        greek += "\u03ba\u1f79\u03c3\u03bc\u03b5 ";  // 2- and 3-byte sequences, split anywhere
    }
    const std::string input = test::text(greek) + test::binary(std::string(40000, 'b'), false)
                              + test::frame(Opcode::ping, "p") + test::cont(std::string(30000, 'c'))
                              + test::close_frame(1000);
    const auto whole = test::run_echo(input);
    ASSERT_EQ(whole.sent.size(), 4U);  // two messages, the pong, the close
    for (std::size_t chunk : {1000U, 5000U, 20000U, 65536U}) {
        EXPECT_EQ(test::run_echo(input, chunk).sent, whole.sent) << chunk;
    }
    std::string bad = greek;
    bad[60000] = '\xff';
    const auto failed = test::run_echo(test::text(bad), 0);
    ASSERT_TRUE(failed.failure);
    for (std::size_t chunk : {5000U, 20000U}) {
        EXPECT_EQ(test::run_echo(test::text(bad), chunk).sent, failed.sent) << chunk;
    }
}

// RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response
// ... The Pong frame ... MUST have identical "Application data" as found in the message body of the
// Ping frame being replied to."
TEST(Endpoint, PingIsAnsweredWithAPongCarryingTheSamePayload) {
    auto run = test::run_echo(test::frame(Opcode::ping, "payload-123"));
    EXPECT_EQ(run.sent, (V{"pong:payload-123"}));
}

TEST(Endpoint, UnsolicitedPongIsIgnored) {
    auto run = test::run_echo(test::frame(Opcode::pong, "x") + test::text("after"));
    EXPECT_EQ(run.sent, (V{"text:after"}));
}

// RFC 6455 §5.5.1 / §7: closing handshake.
TEST(Endpoint, PeerInitiatedCloseIsEchoedAndClean) {
    auto run = test::run_echo(test::close_frame(1000, "bye") + test::text("ignored"));
    EXPECT_EQ(run.sent, (V{"close:1000"}));
    EXPECT_EQ(run.state, State::closed);
    EXPECT_TRUE(run.info.was_clean);
    EXPECT_EQ(run.info.code, 1000);
    EXPECT_EQ(run.info.reason, "bye");
    EXPECT_EQ(run.info.initiator, CloseInfo::Initiator::peer);
}

TEST(Endpoint, TheApplicationMayChooseTheReplyToAPeersClose) {
    // pywebsocket's passive closing handshake: the handler picks the code it answers with.
    Endpoint ep = test::open_server();
    std::string bytes = test::close_frame(1001, "leaving");
    ep.feed(std::span<char>(bytes), 0);
    auto ev = ep.next_event();
    ASSERT_TRUE(ev);
    EXPECT_EQ(test::describe(*ev), "close:1001:leaving");
    EXPECT_FALSE(ep.close(4001, "as you wish", 0));
    EXPECT_FALSE(ep.next_event());
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"close:4001"}));
    EXPECT_EQ(ep.close(1000, "", 0), make_error_code(Errc::not_open));  // only one reply
}

TEST(Endpoint, ServerInitiatedCloseWaitsForThePeer) {
    Endpoint ep = test::open_server();
    ASSERT_FALSE(ep.close(1000, "done", 100));
    EXPECT_EQ(ep.state(), State::closing);
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"close:1000"}));
    // §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more data frames."
    EXPECT_EQ(ep.send(MessageType::text, "late"), make_error_code(Errc::not_open));
    EXPECT_EQ(ep.next_deadline(), 100 + Limits{}.closing_timeout_ms);
    EXPECT_EQ(test::feed_split(ep, test::close_frame(1000)), (V{"close:1000:"}));
    EXPECT_TRUE(ep.should_close_transport());
    EXPECT_TRUE(ep.close_info().was_clean);
    EXPECT_EQ(ep.close_info().initiator, CloseInfo::Initiator::local);
    EXPECT_EQ(drain_output(ep), "");  // no second close frame
}

TEST(Endpoint, ClosingTimeoutDropsTheConnection) {
    Endpoint ep = test::open_server();
    ASSERT_FALSE(ep.close(1001, "", 0));
    EXPECT_FALSE(ep.handle_timeout(Limits{}.closing_timeout_ms - 1));
    EXPECT_EQ(ep.state(), State::closing);
    EXPECT_FALSE(ep.handle_timeout(Limits{}.closing_timeout_ms));
    EXPECT_EQ(ep.state(), State::closed);
    EXPECT_FALSE(ep.close_info().was_clean);
}

TEST(Endpoint, ProtocolViolationSendsTheRfcCodeAndDiscardsTheRest) {
    auto run = test::run_echo(test::frame(Opcode::text, "x", true, false) + test::text("never"));
    EXPECT_EQ(run.sent, (V{"close:1002"}));
    EXPECT_EQ(run.state, State::closed);
    EXPECT_EQ(run.info.code, 1006);
    EXPECT_EQ(run.info.sent_code, 1002);
}

TEST(Endpoint, CloseCodesTheApplicationMayNotSendAreRefused) {
    Endpoint ep = test::open_server();
    EXPECT_EQ(ep.close(1006, "", 0), make_error_code(Errc::invalid_close_code_to_send));
    EXPECT_EQ(ep.close(1000, std::string(124, 'x'), 0),
              make_error_code(Errc::close_reason_too_long));
    EXPECT_EQ(ep.state(), State::open);
    EXPECT_EQ(ep.ping(std::string(126, 'p')), make_error_code(Errc::control_payload_too_long));
}

TEST(Keepalive, APongCarriesItsPingsSendTimeAndNothingElseReadsAsOne) {
    EXPECT_EQ(keepalive_ping_payload(123456), "wsx:123456");
    EXPECT_EQ(keepalive_ping_time(keepalive_ping_payload(0)), 0);
    for (const char* other : {"", "wsx:", "wsx:-1", "wsx:12a", "wsx: 1", "hello", "WSX:1",
                              "wsx:99999999999999999999999"}) {
        EXPECT_EQ(keepalive_ping_time(other), std::nullopt) << other;
    }
}

// Timers: the core never reads a clock; deadlines come out, time goes in.
TEST(Endpoint, KeepalivePingAfterHalfTheIdleTimeoutThenClose1001) {
    Endpoint ep = test::open_server({.idle_timeout_ms = 1000});
    EXPECT_EQ(ep.next_deadline(), 500);
    EXPECT_FALSE(ep.handle_timeout(500));
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"ping:wsx:500"}));  // its time
    EXPECT_EQ(keepalive_ping_time("wsx:500"), 500);
    EXPECT_EQ(ep.next_deadline(), 1000);
    EXPECT_EQ(ep.handle_timeout(1000), make_error_code(Errc::idle_timeout));
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"close:1001"}));
}

TEST(Endpoint, APongKeepsTheConnectionAlive) {
    Endpoint ep = test::open_server({.idle_timeout_ms = 1000});
    EXPECT_FALSE(ep.handle_timeout(500));
    drain_output(ep);
    std::string pong = test::frame(Opcode::pong, "");
    ep.feed(std::span<char>(pong), 900);
    while (ep.next_event()) {
    }
    EXPECT_EQ(ep.next_deadline(), 1400);
    EXPECT_FALSE(ep.handle_timeout(1000));
    EXPECT_EQ(ep.state(), State::open);
}

// Client role: masks every frame it sends, rejects masked frames (client <-> server in memory).
TEST(Endpoint, ClientAndServerCoresTalkInMemory) {
    Endpoint server = test::open_server();
    Endpoint client(Role::client, {}, 0);
    ASSERT_FALSE(client.send(MessageType::text, "from client"));
    ASSERT_FALSE(client.send(MessageType::binary, std::string(70000, 'b')));
    std::string wire = drain_output(client);
    EXPECT_EQ(test::feed_split(server, wire, 1000), (V{"text:from client", "binary:70000"}));
    ASSERT_FALSE(server.send(MessageType::text, "from server"));
    ASSERT_FALSE(server.close(1000, "bye", 0));
    wire = drain_output(server);
    EXPECT_EQ(test::feed_split(client, wire), (V{"text:from server", "close:1000:bye"}));
    wire = drain_output(client);  // the client's reply
    EXPECT_EQ(test::feed_split(server, wire), (V{"close:1000:"}));
    EXPECT_TRUE(server.close_info().was_clean);
    EXPECT_TRUE(client.close_info().was_clean);
}

// RFC 6455 §5.4: a fragmented message is a first frame with the opcode and fin clear, then
// continuation frames, the last with fin set; control frames may come in between.
TEST(Endpoint, SendFragmentSendsTheFirstFrameTypedThenContinuations) {
    Endpoint ep = test::open_server();
    EXPECT_FALSE(ep.send_fragment(MessageType::text, "ab", false));
    EXPECT_FALSE(ep.ping("between"));
    EXPECT_FALSE(ep.send_fragment(MessageType::text, "cd", false));
    EXPECT_FALSE(ep.send_fragment(MessageType::text, "ef", true));
    EXPECT_FALSE(ep.send_fragment(MessageType::binary, "xyz", true));  // a whole new message
    const std::string bytes = drain_output(ep);
    const std::string expected = test::frame(Opcode::text, "ab", false, false)
                                 + test::frame(Opcode::ping, "between", true, false)
                                 + test::frame(Opcode::continuation, "cd", false, false)
                                 + test::frame(Opcode::continuation, "ef", true, false)
                                 + test::frame(Opcode::binary, "xyz", true, false);
    EXPECT_EQ(bytes, expected);
    EXPECT_EQ(test::decode_server_output(bytes), (V{"ping:between", "text:abcdef", "binary:3"}));
}

TEST(Endpoint, SendFragmentIsRefusedOnceClosing) {
    Endpoint ep = test::open_server();
    EXPECT_FALSE(ep.close(1000, "", 0));
    EXPECT_EQ(ep.send_fragment(MessageType::text, "late", true), make_error_code(Errc::not_open));
}

}  // namespace
}  // namespace wsx::proto
