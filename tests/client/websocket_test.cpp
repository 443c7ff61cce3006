// wsx::WebSocket against servers no one here wrote (Python websockets, Node ws), against
// `wsx serve`, and against a scripted fake server that gets the handshake or the frames wrong;
// plus the browser's rules for the constructor, send() and close(). Every run is bounded.
#include "wsx/websocket.hpp"

#include "client/client_fixture.hpp"

namespace wsx {
namespace {

using namespace test_client;  // NOLINT(google-build-using-namespace)

// --- against independent servers and wsx serve ---

class IndependentServers : public WebSocketClient,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(IndependentServers, EchoTextBinaryEmptyThenCloseCleanly) {
    auto peer = start_peer(GetParam());
    ASSERT_NE(peer->port(), 0);
    auto ws = connect(peer->port(), "/echo");
    EXPECT_EQ(ws->ready_state(), ReadyState::connecting);
    ws->on_open = [&] {
        rec_.events.push_back("open:");
        EXPECT_EQ(ws->ready_state(), ReadyState::open);
        EXPECT_FALSE(ws->send("hello κόσμε"));
        EXPECT_FALSE(ws->send_binary(std::string("\x00\x01\x02", 3)));
        EXPECT_FALSE(ws->send(""));
        EXPECT_FALSE(ws->send_binary(""));
    };
    run_until_events(5);
    EXPECT_FALSE(ws->close(1000, "done"));
    EXPECT_EQ(ws->ready_state(), ReadyState::closing);
    run_until_closed();
    // The server's close echoes our code; Python's and Node's echo the reason too, wsx's not.
    const std::string reason = GetParam() == "wsx" ? "" : "done";
    EXPECT_EQ(rec_.events, (V{"open:", "text:hello κόσμε", "binary:3", "text:", "binary:0",
                              "close:1000:" + reason + ":clean"}));
    EXPECT_EQ(ws->ready_state(), ReadyState::closed);
}

TEST_P(IndependentServers, SixteenMebibytesEachWay) {
    auto peer = start_peer(GetParam());
    ASSERT_NE(peer->port(), 0);
    std::string big(16 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>(i % 251);
    }
    bool intact = false;
    auto ws = connect(peer->port(), "/echo");
    ws->on_open = [&] {
        EXPECT_FALSE(ws->send_binary(big));
    };
    rec_.then = [&](const MessageEvent& e) {
        intact = e.data == big;
    };
    run_until_events(1);
    EXPECT_TRUE(intact);
    EXPECT_EQ(ws->buffered_amount(), 0U);  // all of it written
    (void)ws->close();
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"binary:16777216", "close:1005::clean"}));
}

// RFC 7692: the client offers permessage-deflate as browsers do; extensions() is the server's
// answer, the browser's `extensions` (Python websockets and wsx accept it; the Node peer runs
// with perMessageDeflate off). Compressed echoes come back intact; disabled, nothing is offered.
TEST_P(IndependentServers, ExtensionsNameWhatTheServerAccepted) {
    auto peer = start_peer(GetParam());
    ASSERT_NE(peer->port(), 0);
    for (const bool offer : {true, false}) {
        WebSocketOptions options;
        options.deflate.enabled = offer;
        auto ws = connect(peer->port(), "/echo", {}, std::move(options));
        const std::string json(3000, '{');
        std::string extensions = "unset";
        ws->on_open = [&] {
            extensions = ws->extensions();
            EXPECT_FALSE(ws->send(json));
        };
        run_until_events(1);
        const bool accepted = offer && GetParam() != "node";
        EXPECT_EQ(extensions.rfind("permessage-deflate", 0) == 0, accepted) << extensions;
        EXPECT_EQ(extensions.empty(), !accepted) << extensions;
        ASSERT_EQ(rec_.events, (V{"text:3000"}));
        (void)ws->close();
        run_until_closed();
        rec_ = Recorder();
    }
}

INSTANTIATE_TEST_SUITE_P(Client, IndependentServers, ::testing::Values("python", "node", "wsx"));

class ServerScenarios : public WebSocketClient,
                        public ::testing::WithParamInterface<std::string> {};

TEST_P(ServerScenarios, ServerFragmentedMessagesArriveWhole) {
    auto peer = start_peer(GetParam());
    auto ws = connect(peer->port(), "/fragmented");
    run_until_events(3);
    (void)ws->close();
    run_until_closed();
    EXPECT_EQ(rec_.events,
              (V{"open:", "text:fragmented message", "binary:4", "close:1005::clean"}));
}

TEST_P(ServerScenarios, ServerPingsAreAnsweredAndReported) {
    auto peer = start_peer(GetParam());
    auto ws = connect(peer->port(), "/ping");
    run_until_events(2);
    ASSERT_FALSE(ws->send("after the ping"));
    run_until_events(3);
    (void)ws->close(3001);
    run_until_closed();
    EXPECT_EQ(rec_.events,
              (V{"open:", "ping:are you there", "text:after the ping", "close:3001::clean"}));
}

TEST_P(ServerScenarios, ServerCloseWithACode) {
    auto peer = start_peer(GetParam());
    auto ws = connect(peer->port(), "/close/4001");
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"open:", "close:4001:bye 4001:clean"}));
}

TEST_P(ServerScenarios, AbruptTcpCloseIs1006) {
    auto peer = start_peer(GetParam());
    auto ws = connect(peer->port(), "/abort");
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"open:", "text:about to vanish", "close:1006::unclean"}));
}

TEST_P(ServerScenarios, EmptyMessagesAndSubprotocolAndHeaders) {
    auto peer = start_peer(GetParam());
    {
        auto ws = connect(peer->port(), "/empty");
        run_until_events(3);
        EXPECT_EQ(rec_.events, (V{"open:", "text:", "binary:0"}));
    }
    rec_ = {};
    {
        auto ws = connect(peer->port(), "/protocol", {"superchat", "v9"});
        run_until_events(2);
        EXPECT_EQ(rec_.events, (V{"open:superchat", "text:superchat"}));
        EXPECT_EQ(ws->protocol(), "superchat");
    }
    rec_ = {};
    {
        WebSocketOptions o;
        o.headers = {{"Authorization", "Bearer t0k"}, {"Cookie", "a=1"}, {"X-Extra", "yes"}};
        o.origin = "http://example.com";
        auto ws = connect(peer->port(), "/headers", {}, o);
        run_until_events(2);
        ASSERT_EQ(rec_.events.size(), 2U);
        for (const char* want :
             {"\"Bearer t0k\"", "\"a=1\"", "\"yes\"", "\"http://example.com\""}) {
            EXPECT_NE(rec_.events[1].find(want), std::string::npos) << rec_.events[1];
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Client, ServerScenarios, ::testing::Values("python", "node"));

// --- against a server that gets things wrong ---

class MisbehavingServer : public WebSocketClient {
protected:
    void SetUp() override {
        WebSocketClient::SetUp();
        fake_ = start_peer("fake");
        ASSERT_NE(fake_->port(), 0);
    }

    // The events of one connection to `path`, run to its close.
    V events_for(const std::string& path, std::vector<std::string> protocols = {"chat"},
                 WebSocketOptions options = {}) {
        rec_ = {};
        auto ws = connect(fake_->port(), path, std::move(protocols), std::move(options));
        run_until_closed();
        return rec_.events;
    }

    // The close code the client sent the fake server, as it reports.
    std::string client_close_code(const std::string& path) {
        std::string line;
        while (fake_->read_line(line, 10'000)) {
            if (line.rfind("client-close " + path + " ", 0) == 0) {
                return line.substr(line.rfind(' ') + 1);
            }
        }
        return "none";
    }

    static std::string error(proto::Errc e, int status = 0) {
        return "error:" + make_error_code(e).message()
               + (status != 0 ? ":" + std::to_string(status) : "");
    }

    std::unique_ptr<test::PeerProcess> fake_;
};

TEST_F(MisbehavingServer, BadHandshakesFailWithTheirReason) {
    const std::pair<std::string, std::string> cases[] = {
            {"/wrong-accept", error(proto::Errc::bad_accept_key, 101)},
            {"/unoffered-protocol", error(proto::Errc::unoffered_subprotocol, 101)},
            {"/unoffered-extension", error(proto::Errc::unoffered_extension, 101)},
            {"/bad-deflate", error(proto::Errc::bad_deflate_response, 101)},
            {"/status-200", error(proto::Errc::unexpected_status, 200)},
            {"/garbage", error(proto::Errc::bad_status_line)},
            {"/no-upgrade", error(proto::Errc::response_not_upgrade, 101)},
            {"/http10", error(proto::Errc::response_not_http11, 101)},
            {"/redirect", error(proto::Errc::unexpected_status, 302)},
    };
    for (const auto& [path, err] : cases) {
        EXPECT_EQ(events_for(path), (V{err, "close:1006::unclean"})) << path;
    }
}

TEST_F(MisbehavingServer, RedirectsAreReportedWithTheirLocationOrFollowedWhenAsked) {
    ErrorEvent seen;
    rec_ = {};
    auto ws = connect(fake_->port(), "/redirect");
    ws->on_error = [&](const ErrorEvent& e) {
        seen = e;
    };
    run_until_closed();
    EXPECT_EQ(seen.status, 302);
    EXPECT_EQ(seen.location, "ws://127.0.0.1:" + std::to_string(fake_->port()) + "/after-redirect");
    ws.reset();

    WebSocketOptions follow;
    follow.max_redirects = 1;
    rec_ = {};
    auto ws2 = connect(fake_->port(), "/redirect", {}, follow);
    run_until_events(2);
    EXPECT_EQ(rec_.events, (V{"open:", "text:redirected"}));
    EXPECT_EQ(ws2->url(), "ws://127.0.0.1:" + std::to_string(fake_->port()) + "/after-redirect");
    (void)ws2->close();
    run_until_closed();
}

TEST_F(MisbehavingServer, FramesRightBehindTheHandshakeAreKept) {
    auto ws = connect(fake_->port(), "/frames-behind-handshake");
    run_until_events(3);
    (void)ws->close(1000);
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"open:", "text:first", "binary:2", "close:1000::clean"}));
    EXPECT_EQ(client_close_code("/frames-behind-handshake"), "1000");
}

TEST_F(MisbehavingServer, BadFramesFailTheConnectionWithTheRfcsCode) {
    const std::tuple<std::string, proto::Errc, std::string> cases[] = {
            {"/masked-frame", proto::Errc::masked_server_frame, "1002"},
            {"/rsv", proto::Errc::reserved_bits_set, "1002"},
            {"/bad-utf8", proto::Errc::invalid_utf8, "1007"},
    };
    for (const auto& [path, errc, code] : cases) {
        EXPECT_EQ(events_for(path, {}), (V{"open:", error(errc), "close:1006::unclean"})) << path;
        EXPECT_EQ(client_close_code(path), code) << path;
    }
}

TEST_F(MisbehavingServer, ASilentServerTimesOutTheHandshake) {
    WebSocketOptions o;
    o.limits.handshake_timeout_ms = 300;
    EXPECT_EQ(events_for("/silent", {}, o),
              (V{error(proto::Errc::handshake_timeout), "close:1006::unclean"}));
}

// --- connecting ---

TEST_F(WebSocketClient, ACallbackThatThrowsAnythingClosesWith1011) {
    auto peer = start_peer("python");
    ASSERT_NE(peer->port(), 0);
    auto ws = connect(peer->port(), "/echo");
    ws->on_open = [&] {
        EXPECT_FALSE(ws->send("x"));
    };
    rec_.then = [](const MessageEvent&) {
        throw 42;
    };  // not a std::exception
    run_until_closed();
    ASSERT_FALSE(rec_.events.empty());
    EXPECT_EQ(rec_.events.back().rfind("close:1011:", 0), 0U) << rec_.events.back();
}

TEST_F(WebSocketClient, RefusedConnectionIsAnErrorThen1006) {
    const std::uint16_t port = unused_port();
    auto ws = connect(port, "/");
    run_until_closed();
    EXPECT_EQ(rec_.events,
              (V{"error:" + std::make_error_code(std::errc::connection_refused).message(),
                 "close:1006::unclean"}));
}

TEST_F(WebSocketClient, TheConnectTimeoutCountsFromCreateNotFromTheLoopsLastWakeUp) {
    // A listener that never answers: the TCP connect succeeds, then the handshake times out.
    auto any = net::resolve_listen("127.0.0.1", 0);
    ASSERT_TRUE(any);
    auto listener = net::listen_tcp(any->front(), 4);
    ASSERT_TRUE(listener);
    auto bound = net::local_address(listener->get());
    ASSERT_TRUE(bound);
    // The loop's clock goes stale by more than the connect timeout before create().
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    WebSocketOptions o;
    o.connect_timeout_ms = 1000;
    o.limits.handshake_timeout_ms = 200;
    auto ws = connect(bound->port(), "/", {}, o);
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"error:" + make_error_code(proto::Errc::handshake_timeout).message(),
                              "close:1006::unclean"}));
}

TEST_F(WebSocketClient, Ipv6LiteralUrls) {
    auto server = test::PeerProcess({WSX_BIN, "serve", "-p", "0", "-H", "::1"}, true);
    ASSERT_NE(server.port(), 0);
    auto ws = WebSocket::create(*loop_, "ws://[::1]:" + std::to_string(server.port()) + "/echo");
    ASSERT_TRUE(ws);
    rec_.attach(**ws);
    (*ws)->on_open = [&] {
        rec_.events.push_back("open:");
        (void)(*ws)->send("over IPv6");
    };
    run_until_events(2);
    EXPECT_EQ(rec_.events, (V{"open:", "text:over IPv6"}));
}

TEST_F(WebSocketClient, LocalhostResolvesOffTheLoopAndEveryAddressIsTried) {
    // "localhost" goes through getaddrinfo on the resolver thread; a server on 127.0.0.1 only is
    // reached even if ::1 comes first and is refused.
    auto peer = start_peer("python");
    auto ws = WebSocket::create(*loop_, "ws://localhost:" + std::to_string(peer->port()) + "/echo");
    ASSERT_TRUE(ws);
    rec_.attach(**ws);
    run_until_events(1);
    EXPECT_EQ(rec_.events, (V{"open:"}));
}

// --- the browser's rules ---

TEST_F(WebSocketClient, ConstructorSyntaxErrors) {
    EXPECT_EQ(WebSocket::create(*loop_, "ws://h/#frag").error(),
              make_error_code(proto::Errc::url_has_fragment));
    EXPECT_EQ(WebSocket::create(*loop_, "ftp://h/").error(),
              make_error_code(proto::Errc::bad_url_scheme));
    EXPECT_EQ(WebSocket::create(*loop_, "ws://h/", {"chat", "chat"}).error(),
              make_error_code(proto::Errc::bad_protocol_list));
    EXPECT_EQ(WebSocket::create(*loop_, "ws://h/", {"a b"}).error(),
              make_error_code(proto::Errc::bad_protocol_list));
}

TEST_F(WebSocketClient, SendAndCloseFollowTheBrowsersRules) {
    auto peer = start_peer("python");
    auto ws = connect(peer->port(), "/echo");
    // CONNECTING: send is an InvalidStateError.
    EXPECT_EQ(ws->send("too early"), make_error_code(proto::Errc::invalid_state));
    run_until_events(1);
    ASSERT_EQ(ws->ready_state(), ReadyState::open);
    // Codes other than 1000 and 3000-4999 are an InvalidAccessError; a reason over 123 bytes a
    // SyntaxError; nothing is sent for either.
    for (int code : {999, 1001, 1005, 1006, 2999, 5000}) {
        EXPECT_EQ(ws->close(static_cast<std::uint16_t>(code)),
                  make_error_code(proto::Errc::invalid_close_code_to_send))
                << code;
    }
    EXPECT_EQ(ws->close(1000, std::string(124, 'r')),
              make_error_code(proto::Errc::close_reason_too_long));
    EXPECT_EQ(ws->ready_state(), ReadyState::open);
    EXPECT_FALSE(ws->close(4999, std::string(123, 'r')));
    EXPECT_EQ(ws->ready_state(), ReadyState::closing);
    // CLOSING: sends are not sent, but counted in bufferedAmount, as in the browser.
    const std::size_t before = ws->buffered_amount();
    EXPECT_EQ(ws->send("late"), make_error_code(proto::Errc::not_open));
    EXPECT_EQ(ws->buffered_amount(), before + 4);
    EXPECT_FALSE(ws->close(1000));  // a second close does nothing
    EXPECT_FALSE(rec_.closed);      // events never fire inside a call
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"open:", "close:4999:" + std::string(123, 'r') + ":clean"}));
    EXPECT_EQ(ws->send("closed"), make_error_code(proto::Errc::not_open));
}

TEST_F(WebSocketClient, CloseWhileConnectingFailsTheConnection) {
    auto peer = start_peer("python");
    auto ws = connect(peer->port(), "/echo");
    EXPECT_FALSE(ws->close());
    EXPECT_TRUE(rec_.events.empty());  // error and close come later, from the loop
    run_until_closed();
    ASSERT_EQ(rec_.events.size(), 2U);
    EXPECT_EQ(rec_.events[0].rfind("error:", 0), 0U);
    EXPECT_EQ(rec_.events[1], "close:1006::unclean");
}

TEST_F(WebSocketClient, DestroyingTheObjectInsideItsCallbackIsSafe) {
    auto peer = start_peer("node");
    std::unique_ptr<WebSocket> ws = connect(peer->port(), "/fragmented");
    ws->on_message = [&](const MessageEvent&) {
        rec_.events.push_back("message");
        ws.reset();  // no event may follow, and nothing may touch freed memory
    };
    run_until(*loop_, [&] { return ws == nullptr; });
    for (int i = 0; i < 10; ++i) {
        loop_->run_once(10);
    }
    EXPECT_EQ(rec_.events, (V{"open:", "message"}));
}

}  // namespace
}  // namespace wsx
