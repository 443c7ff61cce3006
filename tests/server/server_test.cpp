#include "wsx/server.hpp"

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "support/blocking_client.hpp"
#include "support/server_thread.hpp"

namespace wsx {
namespace {

using test::ServerThread;
using V = std::vector<std::string>;

Route echo_route() {
    Handlers h;
    h.on_message = [](Connection& c, std::string_view data, MessageType type) {
        (void)c.send(data, type);
    };
    return Route{.path = "/echo", .handlers = h};
}

TEST(Server, EchoesOverARealSocket) {
    std::promise<std::string> closed;
    Route r = echo_route();
    r.handlers.on_close = [&](Connection&, std::uint16_t code, std::string_view reason,
                              bool clean) {
        closed.set_value(std::to_string(code) + " " + std::string(reason)
                         + (clean ? " clean" : " unclean"));
    };
    ServerThread s({}, {r});
    ASSERT_NE(s.port(), 0);
    test::BlockingClient c(s.port());
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::text("hello") + test::binary(std::string(100'000, 'b')));
    EXPECT_EQ(c.read_frames(2), (V{"text:hello", "binary:100000"}));
    c.send_all(test::close_frame(1000, "done"));
    EXPECT_EQ(c.read_frames(1), (V{"close:1000"}));
    EXPECT_TRUE(c.read_until_eof());
    c.shutdown_write();
    auto result = closed.get_future();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(result.get(), "1000 done clean");
}

TEST(Server, AbruptTcpCloseIsReportedAs1006NotClean) {
    std::promise<std::string> closed;
    Route r = echo_route();
    r.handlers.on_close = [&](Connection&, std::uint16_t code, std::string_view, bool clean) {
        closed.set_value(std::to_string(code) + (clean ? " clean" : " unclean"));
    };
    ServerThread s({}, {r});
    {
        test::BlockingClient c(s.port());
        ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    }
    auto result = closed.get_future();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(result.get(), "1006 unclean");
}

TEST(Server, EmptyHostListensOnIpv6AndIpv4) {
    ServerThread s({}, {echo_route()}, "");
    ASSERT_NE(s.port(), 0);
    test::BlockingClient v4(s.port());
    EXPECT_EQ(v4.handshake().rfind("HTTP/1.1 101", 0), 0U);
    test::BlockingClient v6(s.port(), 5000, true);
    ASSERT_TRUE(v6.connected()) << "no IPv6 loopback here?";
    EXPECT_EQ(v6.handshake().rfind("HTTP/1.1 101", 0), 0U);
    v6.send_all(test::text("over ipv6"));
    EXPECT_EQ(v6.read_frames(1), (V{"text:over ipv6"}));
}

TEST(Server, UnknownPathIs404) {
    ServerThread s({}, {echo_route()});
    test::BlockingClient c(s.port());
    EXPECT_EQ(c.handshake("/nope").rfind("HTTP/1.1 404", 0), 0U);
    EXPECT_TRUE(c.read_until_eof());
}

TEST(Server, UpgradeHookSeesTheRequestAndChoosesASubprotocol) {
    Handlers h;
    h.on_upgrade = [](const UpgradeContext& ctx) {
        if (ctx.origin != "http://good.example") {
            return UpgradeDecision::reject(403, "origin not allowed");
        }
        EXPECT_EQ(ctx.query, "room=1");
        EXPECT_EQ(ctx.request.header("X-Token"), "t");
        return UpgradeDecision::accept(ctx.subprotocols.back(), std::string("attached"));
    };
    h.on_open = [](Connection& c) {
        (void)c.send_text(std::any_cast<std::string&>(c.user_data()) + "/" + c.subprotocol());
    };
    ServerThread s({}, {Route{.path = "/chat", .handlers = h}});
    {
        test::BlockingClient c(s.port());
        EXPECT_EQ(c.handshake("/chat?room=1", "Origin: http://evil.example\r\n")
                          .rfind("HTTP/1.1 403", 0),
                  0U);
    }
    test::BlockingClient c(s.port());
    const std::string head = c.handshake(
            "/chat?room=1",
            "Origin: http://good.example\r\nX-Token: t\r\nSec-WebSocket-Protocol: v1, v2\r\n");
    EXPECT_NE(head.find("Sec-WebSocket-Protocol: v2\r\n"), std::string::npos) << head;
    EXPECT_EQ(c.read_frames(1), (V{"text:attached/v2"}));
}

// An open connection keeps its request as one string and parses it again when asked: every
// field, in order and as sent, in any hook, long after the upgrade.
TEST(Server, TheRequestIsThereInEveryHookAfterTheUpgrade) {
    Handlers h;
    h.on_message = [](Connection& c, std::string_view data, MessageType) {
        const proto::HttpRequest* r = c.request();
        ASSERT_NE(r, nullptr);
        std::string out = r->method + " " + r->target + " " + r->version;
        for (const auto& f : r->headers) {
            if (f.name.starts_with("X-")) {
                out += "|" + f.name + "=" + f.value;
            }
        }
        (void)c.send_text(out + "|" + std::string(data) + "|"
                          + std::string(r->header("x-token").value_or("none")));
        EXPECT_EQ(c.request(), r);  // parsed once, then kept
    };
    ServerThread s({}, {Route{.path = "/chat", .handlers = h}});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake("/chat?room=1", "X-Token:  t0k \r\nX-Empty:\r\nX-Token: two\r\n")
                      .rfind("HTTP/1.1 101", 0),
              0U);
    c.send_all(test::text("one"));
    c.send_all(test::text("two"));
    EXPECT_EQ(c.read_frames(2),
              (V{"text:GET /chat?room=1 HTTP/1.1|X-Token=t0k|X-Empty=|X-Token=two|one|t0k",
                 "text:GET /chat?room=1 HTTP/1.1|X-Token=t0k|X-Empty=|X-Token=two|two|t0k"}));
}

// A route that does not keep the request: on_open still reads it, later hooks get null.
TEST(Server, ARouteThatDoesNotKeepTheRequestHasItOnlyUntilOnOpenReturns) {
    Handlers h;
    h.on_open = [](Connection& c) {
        const proto::HttpRequest* r = c.request();
        ASSERT_NE(r, nullptr);
        (void)c.send_text("open " + r->target + " "
                          + std::string(r->header("x-token").value_or("none")));
    };
    h.on_message = [](Connection& c, std::string_view data, MessageType) {
        (void)c.send_text(std::string(data) + (c.request() == nullptr ? " null" : " kept"));
    };
    ServerThread s({}, {Route{.path = "/chat", .handlers = h, .keep_request = false}});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake("/chat?room=1", "X-Token: t0k\r\n").rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::text("one"));
    EXPECT_EQ(c.read_frames(2), (V{"text:open /chat?room=1 t0k", "text:one null"}));
}

TEST(Server, ThrowingHandlerClosesWith1011AndTheServerStaysUp) {
    Handlers h;
    h.on_message = [](Connection&, std::string_view, MessageType) {
        throw std::runtime_error("boom");
    };
    ServerThread s({}, {Route{.path = "/echo", .handlers = h}});
    for (int i = 0; i < 2; ++i) {
        test::BlockingClient c(s.port());
        ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
        c.send_all(test::text("x"));
        EXPECT_EQ(c.read_frames(1), (V{"close:1011"}));
    }
}

TEST(Server, AnythingThrownByAHandlerIsCaughtNotOnlyStdExceptions) {
    Handlers h;
    h.on_message = [](Connection&, std::string_view data, MessageType) {
        if (data == "int") {
            throw 42;  // not a std::exception
        }
    };
    h.on_upgrade = [](const UpgradeContext& ctx) {
        if (ctx.query == "throw") {
            throw "a string literal";
        }
        return UpgradeDecision::accept();
    };
    ServerOptions o;
    o.on_http = [](const proto::HttpRequest&, Connection&) -> HttpResponse {
        throw 7;
    };
    ServerThread s(std::move(o), {Route{.path = "/echo", .handlers = h}});
    {
        test::BlockingClient c(s.port());
        ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
        c.send_all(test::text("int"));
        EXPECT_EQ(c.read_frames(1), (V{"close:1011"}));
    }
    {
        test::BlockingClient c(s.port());
        EXPECT_EQ(c.handshake("/echo?throw").rfind("HTTP/1.1 500", 0), 0U);
    }
    {
        test::BlockingClient c(s.port());
        c.send_all("GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        std::string got;
        char buf[4096];
        for (ssize_t n; (n = ::recv(c.fd(), buf, sizeof buf, 0)) > 0;) {
            got.append(buf, static_cast<std::size_t>(n));
        }
        EXPECT_EQ(got.rfind("HTTP/1.1 500", 0), 0U) << got;
    }
    test::BlockingClient c(s.port());  // and the server is still up
    EXPECT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
}

TEST(Server, ProtocolViolationGetsItsCloseCodeThenTheTcpClose) {
    ServerThread s({}, {echo_route()});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    c.send_all(test::frame(proto::Opcode::text, "unmasked", true, false));
    EXPECT_EQ(c.read_frames(1), (V{"close:1002"}));
    EXPECT_TRUE(c.read_until_eof());
    EXPECT_EQ(s.on_loop([](Server& srv) { return srv.stats().failed; }), 1U);
}

TEST(Server, SilentClientIsDroppedAfterTheHandshakeTimeout) {
    ServerThread s({.limits = {.handshake_timeout_ms = 200}}, {echo_route()});
    test::BlockingClient c(s.port());
    c.send_all("GET /echo HTTP/1.1\r\n");  // and nothing more
    EXPECT_TRUE(c.read_until_eof());
}

TEST(Server, IdleConnectionGetsAKeepalivePingThenClose1001) {
    ServerThread s({.limits = {.idle_timeout_ms = 400}}, {echo_route()});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    const V frames = c.read_frames(2);
    ASSERT_EQ(frames.size(), 2U);
    EXPECT_EQ(frames[0].rfind("ping:wsx:", 0), 0U) << frames[0];  // its send time
    EXPECT_EQ(frames[1], "close:1001");
}

TEST(Server, MaxConnectionsRefusesTheNextUpgradeWith503) {
    ServerThread s({.max_connections = 1}, {echo_route()});
    test::BlockingClient first(s.port());
    ASSERT_EQ(first.handshake().rfind("HTTP/1.1 101", 0), 0U);
    test::BlockingClient second(s.port());
    EXPECT_EQ(second.handshake().rfind("HTTP/1.1 503", 0), 0U);
}

TEST(Server, ClientThatNeverReadsStopsBeingReadAndLosesNothing) {
    // Above the high watermark the server stops reading, so the client's sends eventually block:
    // memory stays bounded by the watermark plus kernel buffers, not by what the client sends.
    std::atomic<int> drains{0};
    Route r = echo_route();
    r.handlers.on_drain = [&](Connection&) {
        ++drains;
    };
    ServerThread s({.buffer = {.low_watermark = 256 * 1024, .high_watermark = 1024 * 1024}}, {r});
    test::BlockingClient c(s.port(), 2000);
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    const std::string msg = test::binary(std::string(64 * 1024, 'm'));
    // Whole messages sent, and how much of the next one went out before the send timed out.
    std::size_t sent = 0;
    std::size_t partial = 0;
    while (sent < 2000) {  // the 2 s send timeout ends this once the server stalls
        const ssize_t n = ::send(c.fd(), msg.data() + partial, msg.size() - partial, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        partial += static_cast<std::size_t>(n);
        if (partial == msg.size()) {
            ++sent;
            partial = 0;
        }
    }
    EXPECT_LT(sent, 2000U) << "the server kept reading although nobody read its output";
    const std::size_t still_open = s.on_loop([](Server& srv) { return srv.connection_count(); });
    EXPECT_EQ(still_open, 1U);  // stalled, not dropped
    // Now read everything: every message comes back, in order, and on_drain fired.
    std::size_t echoed = 0;
    for (; echoed < sent; ++echoed) {
        auto f = c.read_frames(1);
        if (f[0] != "binary:65536") {
            break;
        }
    }
    EXPECT_GE(echoed + 1, sent);  // the last send may have been cut short by the timeout
    // Loses nothing: every whole message came back, and the one cut short comes back too once
    // the client sends the rest of it.
    EXPECT_EQ(echoed, sent);
    if (partial != 0) {
        ASSERT_TRUE(c.send_all(std::string_view(msg).substr(partial)));
        EXPECT_EQ(c.read_frames(1), (V{"binary:65536"}));
    }
    EXPECT_GE(drains.load(), 1);
}

TEST(Server, APeerThatStopsReadingIsDroppedAfterTheTimeouts) {
    // Paused by backpressure, the connection receives nothing, so the idle timeout closes it; the
    // close frame cannot drain either, so the closing timeout then drops the TCP connection.
    ServerThread s({.limits = {.idle_timeout_ms = 300, .closing_timeout_ms = 300},
                    .buffer = {.low_watermark = 64 * 1024, .high_watermark = 256 * 1024}},
                   {echo_route()});
    test::BlockingClient c(s.port(), 1000);
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    const std::string msg = test::binary(std::string(64 * 1024, 'm'));
    for (int i = 0; i < 2000 && c.send_all(msg); ++i) {
    }
    std::size_t open = 1;
    for (int i = 0; i < 100 && open != 0; ++i) {  // bounded: at most 10 s
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        open = s.on_loop([](Server& srv) { return srv.connection_count(); });
    }
    EXPECT_EQ(open, 0U);
}

TEST(Server, OverflowWithDropCountsAndKeepsTheConnection) {
    Handlers h;
    h.on_open = [](Connection& c) {
        for (int i = 0; i < 64; ++i) {
            (void)c.send_binary(std::string(1024 * 1024, 'x'));
        }
    };
    ServerThread s({.buffer = {.max_buffered = 8 * 1024 * 1024, .overflow = OverflowAction::drop}},
                   {Route{.path = "/flood", .handlers = h}});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake("/flood").rfind("HTTP/1.1 101", 0), 0U);
    const auto dropped = s.on_loop([](Server& srv) { return srv.stats().dropped_messages; });
    EXPECT_GT(dropped, 0U);
    EXPECT_LT(dropped, 64U);
    EXPECT_EQ(s.on_loop([](Server& srv) { return srv.connection_count(); }), 1U);
}

TEST(Server, OverflowWithCloseSends1008) {
    Handlers h;
    h.on_open = [](Connection& c) {
        for (int i = 0; i < 64 && c.is_open(); ++i) {
            (void)c.send_binary(std::string(1024 * 1024, 'x'));
        }
    };
    ServerThread s({.buffer = {.max_buffered = 8 * 1024 * 1024}},
                   {Route{.path = "/flood", .handlers = h}});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake("/flood").rfind("HTTP/1.1 101", 0), 0U);
    std::vector<std::string> frames;
    for (int i = 0; i < 100; ++i) {
        auto f = c.read_frames(1);
        frames.push_back(f[0]);
        if (f[0] != "binary:1048576") {
            break;
        }
    }
    EXPECT_EQ(frames.back(), "close:1008");
}

TEST(Server, ShutdownClosesOpenConnectionsWith1001) {
    ServerThread s({}, {echo_route()});
    test::BlockingClient c(s.port());
    ASSERT_EQ(c.handshake().rfind("HTTP/1.1 101", 0), 0U);
    std::promise<void> done;
    s.on_loop([&](Server& srv) {
        srv.shutdown(1001, [&] { done.set_value(); });
        return 0;
    });
    EXPECT_EQ(c.read_frames(1), (V{"close:1001"}));
    c.send_all(test::close_frame(1001));
    EXPECT_TRUE(c.read_until_eof());
    c.shutdown_write();
    EXPECT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

// permessage-deflate (RFC 7692): negotiated by default and counted; past max_zlib_memory a new
// connection is served without compression (and logged); its zlib memory is reported.
TEST(Server, DeflateIsNegotiatedCountedAndCappedByZlibMemory) {
    const std::string offer =
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    ServerThread s({}, {echo_route()});
    test::BlockingClient c(s.port());
    const std::string head = c.handshake("/echo", offer);
    EXPECT_NE(head.find("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                        "client_no_context_takeover\r\n"),
              std::string::npos)
            << head;
    // RFC 7692 §7.2.3.1's "Hello", masked by the client, with RSV1: echoed compressed.
    c.send_all(test::frame(proto::Opcode::text, std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7),
                           true, true, true));
    std::string echo;
    char buf[64];
    for (ssize_t n; echo.size() < 9 && (n = ::recv(c.fd(), buf, sizeof buf, 0)) > 0;) {
        echo.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(echo, std::string("\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00", 9));  // the same bytes back
    const auto stats = s.on_loop([](Server& srv) { return srv.stats(); });
    EXPECT_EQ(stats.deflate_negotiated, 1U);
    EXPECT_EQ(stats.zlib_memory_cap, ServerOptions{}.max_zlib_memory);
    EXPECT_GT(stats.zlib_memory, 0U);  // the loop's shared compressor
    EXPECT_GE(stats.zlib_memory_peak, stats.zlib_memory);

    ServerThread capped({.max_zlib_memory = 1024}, {echo_route()});
    test::BlockingClient d(capped.port());
    const std::string plain = d.handshake("/echo", offer);
    EXPECT_EQ(plain.rfind("HTTP/1.1 101", 0), 0U);
    EXPECT_EQ(plain.find("Sec-WebSocket-Extensions"), std::string::npos) << plain;
    d.send_all(test::text("uncompressed"));
    EXPECT_EQ(d.read_frames(1), (V{"text:uncompressed"}));
    EXPECT_EQ(capped.on_loop([](Server& srv) { return srv.stats().deflate_refused_memory; }), 1U);
}

}  // namespace
}  // namespace wsx
