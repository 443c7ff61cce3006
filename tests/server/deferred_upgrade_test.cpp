// Answers that come later: an upgrade hook that defers its decision (Connection::resolve_upgrade,
// as the Python host's web_socket_do_extra_handshake does) and a reply to the peer's close held
// until the application chooses it (Connection::defer_close_reply).
#include <future>

#include <gtest/gtest.h>

#include "wsx/server.hpp"

#include "support/blocking_client.hpp"
#include "support/server_thread.hpp"

namespace wsx {
namespace {

using test::ServerThread;
using V = std::vector<std::string>;

constexpr net::TimeMs kLater = 50;

// A route whose upgrade hook defers, then answers with `decision` kLater ms afterwards.
Route deferred_route(const UpgradeDecision& decision) {
    Handlers h;
    h.on_upgrade = [decision](const UpgradeContext& ctx) {
        Server& server = ctx.connection.server();
        server.loop().add_timer(kLater, [&server, id = ctx.connection.id(), decision] {
            if (Connection* c = server.find_connection(id)) {
                EXPECT_TRUE(c->resolve_upgrade(decision));
                EXPECT_FALSE(c->resolve_upgrade(decision));  // answered once only
            }
        });
        return UpgradeDecision::defer();
    };
    h.on_message = [](Connection& c, std::string_view data, MessageType type) {
        (void)c.send(data, type);
    };
    return Route{.path = "/later", .handlers = h};
}

TEST(DeferredUpgrade, IsAcceptedLaterWithTheChosenSubprotocolAndHeaders) {
    UpgradeDecision accept = UpgradeDecision::accept("v2");
    accept.headers.emplace_back("X-Later", "yes");
    ServerThread s({}, {deferred_route(accept)});
    test::BlockingClient c(s.port());
    const std::string head = c.handshake("/later", "Sec-WebSocket-Protocol: v1, v2\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0U) << head;
    EXPECT_NE(head.find("Sec-WebSocket-Protocol: v2\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("X-Later: yes\r\n"), std::string::npos) << head;
    c.send_all(test::text("after the wait"));
    EXPECT_EQ(c.read_frames(1), (V{"text:after the wait"}));
}

TEST(DeferredUpgrade, IsRejectedLaterWithItsStatus) {
    ServerThread s({}, {deferred_route(UpgradeDecision::reject(403, "not you"))});
    test::BlockingClient c(s.port());
    EXPECT_EQ(c.handshake("/later").rfind("HTTP/1.1 403", 0), 0U);
    EXPECT_TRUE(c.read_until_eof());
}

TEST(DeferredUpgrade, DropEndsTheConnectionWithNoResponse) {
    ServerThread s({}, {deferred_route(UpgradeDecision::drop_connection())});
    test::BlockingClient c(s.port());
    EXPECT_EQ(c.handshake("/later"), "");
}

TEST(DeferredUpgrade, AClientLeavingWhileItWaitsEndsTheConnection) {
    std::promise<std::uint64_t> waiting;
    Handlers h;
    h.on_upgrade = [&](const UpgradeContext& ctx) {
        waiting.set_value(ctx.connection.id());
        return UpgradeDecision::defer();  // never answered
    };
    ServerThread s({}, {Route{.path = "/never", .handlers = h}});
    std::uint64_t id = 0;
    {
        test::BlockingClient c(s.port());
        c.send_all(
                "GET /never HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        auto f = waiting.get_future();
        ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
        id = f.get();
    }
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = s.on_loop([id](Server& server) { return server.find_connection(id) == nullptr; });
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(gone);
}

// The reply to the peer's close waits for close(code) or release_close_reply().
Route held_close_route(bool choose) {
    Handlers h;
    h.on_peer_close = [choose](Connection& c, std::uint16_t, std::string_view) {
        c.defer_close_reply();
        Server& server = c.server();
        server.loop().add_timer(kLater, [&server, id = c.id(), choose] {
            if (Connection* conn = server.find_connection(id)) {
                if (choose) {
                    EXPECT_FALSE(conn->close(4002, "chosen later"));
                } else {
                    conn->release_close_reply();
                }
            }
        });
    };
    return Route{.path = "/echo", .handlers = h};
}

TEST(HeldCloseReply, CloseChoosesTheReplyLater) {
    ServerThread s({}, {held_close_route(true)});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::close_frame(1000, "bye"));
    EXPECT_EQ(c.read_frames(1), (V{"close:4002"}));
    EXPECT_TRUE(c.read_until_eof());
}

TEST(HeldCloseReply, ReleaseEchoesThePeersCode) {
    ServerThread s({}, {held_close_route(false)});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::close_frame(3003, "bye"));
    EXPECT_EQ(c.read_frames(1), (V{"close:3003"}));
    EXPECT_TRUE(c.read_until_eof());
}

}  // namespace
}  // namespace wsx
