#include "wsx/proto/endpoint.hpp"

#include <thread>

#include <gtest/gtest.h>

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

// Timers: the core never reads a clock; deadlines come out, time goes in.
TEST(Endpoint, KeepalivePingAfterHalfTheIdleTimeoutThenClose1001) {
    Endpoint ep = test::open_server({.idle_timeout_ms = 1000});
    EXPECT_EQ(ep.next_deadline(), 500);
    EXPECT_FALSE(ep.handle_timeout(500));
    EXPECT_EQ(test::decode_server_output(drain_output(ep)), (V{"ping:"}));
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
