#include "wsx/native_handler.hpp"

#include <gtest/gtest.h>

#include "support/blocking_client.hpp"
#include "support/server_thread.hpp"

namespace wsx {
namespace {

using test::ServerThread;
using V = std::vector<std::string>;

Route route_from(const char* path, const char* resource) {
    auto loaded = NativeHandler::load(path);
    EXPECT_TRUE(loaded.handler) << loaded.error;
    return Route{.path = resource,
                 .handlers = loaded.handler->handlers(),
                 .keep_request = loaded.handler->keeps_request()};
}

TEST(NativeHandler, EchoHandlerEchoesAndClosesAfterGoodbye) {
    ServerThread s({}, {route_from(ECHO_WSH, "/echo")});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::text("hi") + test::binary("\x01\x02") + test::text("Goodbye"));
    EXPECT_EQ(c.read_frames(4), (V{"text:hi", "binary:2", "text:Goodbye", "close:1000"}));
}

TEST(NativeHandler, ExtraHandshakeChoosesTheNewestOfferedProtocolOrRefuses) {
    ServerThread s({}, {route_from(PROTOCOL_WSH, "/protocol")});
    {
        test::BlockingClient c(s.port());
        const std::string head =
                c.handshake("/protocol", "Sec-WebSocket-Protocol: wsx.v1, wsx.v2\r\n");
        EXPECT_NE(head.find("Sec-WebSocket-Protocol: wsx.v2\r\n"), std::string::npos) << head;
        c.send_all(test::text("x"));
        EXPECT_EQ(c.read_frames(1), (V{"text:wsx.v2: x"}));
        // Its passive closing hook answers the client's close with its own code.
        c.send_all(test::close_frame(1000));
        EXPECT_EQ(c.read_frames(1), (V{"close:4000"}));
    }
    test::BlockingClient c(s.port());
    EXPECT_EQ(
            c.handshake("/protocol", "Sec-WebSocket-Protocol: other\r\n").rfind("HTTP/1.1 403", 0),
            0U);
}

TEST(NativeHandler, ChatBroadcastsToEveryMember) {
    ServerThread s({}, {route_from(CHAT_WSH, "/chat")});
    test::BlockingClient a(s.port());
    ASSERT_EQ(a.handshake("/chat").rfind("HTTP/1.1 101", 0), 0U);
    // read_frames(n) returns n items even at EOF ("eof"), so check what the item says.
    const auto own = a.read_frames(1);
    EXPECT_EQ(own.size(), 1U);  // its own join
    ASSERT_EQ(own.size(), 1U);
    EXPECT_EQ(own[0].rfind("text:* member ", 0), 0U) << own[0];
    EXPECT_NE(own[0].find(" joined"), std::string::npos) << own[0];
    test::BlockingClient b(s.port());
    ASSERT_EQ(b.handshake("/chat").rfind("HTTP/1.1 101", 0), 0U);
    const auto joined = a.read_frames(1);
    ASSERT_EQ(joined.size(), 1U);
    EXPECT_EQ(joined[0].rfind("text:* member ", 0), 0U);
    EXPECT_NE(joined[0].find(" joined"), std::string::npos) << joined[0];
    EXPECT_NE(joined[0], own[0]);  // b's join, not a's again
    EXPECT_EQ(b.read_frames(1), joined);
    b.send_all(test::text("hello"));
    const auto from_b = a.read_frames(1);
    ASSERT_EQ(from_b.size(), 1U);
    EXPECT_NE(from_b[0].find(": hello"), std::string::npos);
    EXPECT_EQ(b.read_frames(1), from_b);
    // The room is a topic: both are on it, and b's leaving takes it off (its goodbye comes first).
    EXPECT_EQ(s.on_loop([](Server& srv) { return srv.stats().subscriptions; }), 2U);
    b.send_all(test::close_frame(1000));
    b.shutdown_write();
    const auto left = a.read_frames(1);
    ASSERT_EQ(left.size(), 1U);
    EXPECT_NE(left[0].find(" left"), std::string::npos) << left[0];
}

// wsx_handler_flags: a handler that declares WSX_HANDLER_REQUEST_UNTIL_OPEN reads the request
// in on_open and gets NULL from header() afterwards; one without the symbol keeps it.
TEST(NativeHandler, RequestUntilOpenLetsTheRequestGoOnceOpen) {
    EXPECT_FALSE(NativeHandler::load(REQUEST_UNTIL_OPEN_WSH).handler->keeps_request());
    EXPECT_FALSE(NativeHandler::load(ECHO_WSH).handler->keeps_request());
    EXPECT_TRUE(NativeHandler::load(TLS_INFO_WSH).handler->keeps_request());
    ServerThread s({}, {route_from(REQUEST_UNTIL_OPEN_WSH, "/r")});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake("/r", "X-Token: t0k\r\n").rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::text("x"));
    EXPECT_EQ(c.read_frames(2), (V{"text:open t0k", "text:message null"}));
}

TEST(NativeHandler, AnotherAbiVersionIsRefusedNamingBoth) {
    auto loaded = NativeHandler::load(WRONG_ABI_WSH);
    EXPECT_FALSE(loaded.handler);
    EXPECT_NE(loaded.error.find("ABI version 3"), std::string::npos) << loaded.error;
    EXPECT_NE(loaded.error.find("version 2"), std::string::npos) << loaded.error;
}

TEST(NativeHandler, ASharedObjectWithoutTheEntryIsRefused) {
    auto loaded = NativeHandler::load(NO_ENTRY_WSH);
    EXPECT_FALSE(loaded.handler);
    EXPECT_NE(loaded.error.find("wsx_handler_entry"), std::string::npos) << loaded.error;
}

TEST(NativeHandler, AMissingFileIsRefusedWithTheLoadersReason) {
    auto loaded = NativeHandler::load("/nonexistent/x_wsh.so");
    EXPECT_FALSE(loaded.handler);
    EXPECT_EQ(loaded.error.rfind("cannot open shared object file: No such file", 0), 0U)
            << loaded.error;
}

}  // namespace
}  // namespace wsx
