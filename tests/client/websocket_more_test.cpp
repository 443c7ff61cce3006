// wsx::WebSocket through HTTP proxies (CONNECT), with automatic reconnection, over TLS, and the
// blocking API. Every run is bounded.
#include "wsx/websocket.hpp"

#include "client/client_fixture.hpp"

namespace wsx {
namespace {

using namespace test_client;  // NOLINT(google-build-using-namespace)

// --- the blocking API ---

TEST(BlockingWebSocketClient, ConnectSendReceiveClose) {
    auto peer = start_peer("python");
    ASSERT_NE(peer->port(), 0);
    const std::string base = "ws://127.0.0.1:" + std::to_string(peer->port());
    auto ws = BlockingWebSocket::connect(base + "/echo");
    ASSERT_TRUE(ws) << ws.error().message();
    EXPECT_FALSE((*ws)->send("hello"));
    EXPECT_FALSE((*ws)->send_binary(std::string(100000, 'b')));
    auto m = (*ws)->receive(10'000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, MessageType::text);
    EXPECT_EQ(m->data, "hello");
    m = (*ws)->receive(10'000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, std::string(100000, 'b'));
    // Nothing more comes: a timeout, and the connection stays usable.
    EXPECT_EQ((*ws)->receive(100).error(), std::make_error_code(std::errc::timed_out));
    EXPECT_FALSE((*ws)->send("still here"));
    EXPECT_EQ((*ws)->receive(10'000).value().data, "still here");
    const CloseEvent c = (*ws)->close(4000, "bye");
    EXPECT_EQ(c.code, 4000);
    EXPECT_TRUE(c.was_clean);
    EXPECT_EQ((*ws)->receive(10).error(), make_error_code(proto::Errc::not_open));
}

TEST(BlockingWebSocketClient, ServerCloseAndRefusals) {
    auto peer = start_peer("node");
    const std::string base = "ws://127.0.0.1:" + std::to_string(peer->port());
    auto ws = BlockingWebSocket::connect(base + "/close/4002");
    ASSERT_TRUE(ws);
    EXPECT_EQ((*ws)->receive(10'000).error(), make_error_code(proto::Errc::not_open));
    ASSERT_TRUE((*ws)->close_event());
    EXPECT_EQ((*ws)->close_event()->code, 4002);
    EXPECT_EQ((*ws)->close_event()->reason, "bye 4002");
    auto fake = start_peer("fake");
    auto refused = BlockingWebSocket::connect("ws://127.0.0.1:" + std::to_string(fake->port())
                                              + "/status-200");
    EXPECT_EQ(refused.error(), make_error_code(proto::Errc::unexpected_status));
    EXPECT_EQ(BlockingWebSocket::connect("ws://h/#x").error(),
              make_error_code(proto::Errc::url_has_fragment));
}

// --- HTTP proxies (CONNECT) ---

class HttpProxy : public WebSocketClient {
protected:
    void SetUp() override {
        WebSocketClient::SetUp();
        peer_ = start_peer("python");
        proxy_ = std::make_unique<test::PeerProcess>(
                std::vector<std::string>{"/usr/bin/python3", CONNECT_PROXY});
        ASSERT_NE(peer_->port(), 0);
        ASSERT_NE(proxy_->port(), 0);
    }

    void TearDown() override {
        ::unsetenv("http_proxy");
        ::unsetenv("no_proxy");
    }

    [[nodiscard]] std::string proxy_url(const std::string& credentials = "") const {
        return "http://" + credentials + "127.0.0.1:" + std::to_string(proxy_->port());
    }

    // Echo one message over `url`; the events.
    V echo_via(const std::string& url, WebSocketOptions o) {
        rec_ = {};
        // A bound, not a measurement: Python peers on a loaded machine may take seconds.
        o.connect_timeout_ms = 15'000;
        auto ws = WebSocket::create(*loop_, url, {}, std::move(o));
        EXPECT_TRUE(ws);
        rec_.attach(**ws);
        (*ws)->on_open = [&] {
            rec_.events.push_back("open:");
            (void)(*ws)->send("through");
        };
        run_until_events(2);
        (void)(*ws)->close();
        run_until_closed();
        return rec_.events;
    }

    std::string next_connect_line() {
        std::string line;
        return proxy_->read_line(line, 5000) ? line : "none";
    }

    std::unique_ptr<test::PeerProcess> peer_;
    std::unique_ptr<test::PeerProcess> proxy_;
};

TEST_F(HttpProxy, TunnelsThroughAnExplicitProxy) {
    // peer.test means nothing to this machine's resolver: only the proxy can reach it.
    const std::string url = "ws://peer.test:" + std::to_string(peer_->port()) + "/echo";
    WebSocketOptions o;
    o.proxy = proxy_url();
    EXPECT_EQ(echo_via(url, o), (V{"open:", "text:through", "close:1005::clean"}));
    EXPECT_EQ(next_connect_line(), "CONNECT peer.test:" + std::to_string(peer_->port()));
}

TEST_F(HttpProxy, RefusalsCarryTheProxysStatus) {
    WebSocketOptions o;
    o.proxy = proxy_url();
    const auto events = echo_via("ws://forbidden.test/echo", o);
    EXPECT_EQ(events, (V{"error:" + make_error_code(proto::Errc::proxy_refused).message() + ":403",
                         "close:1006::unclean"}));
}

TEST_F(HttpProxy, CredentialsInTheProxyUrlBecomeProxyAuthorization) {
    auto strict =
            test::PeerProcess({"/usr/bin/python3", CONNECT_PROXY, "--require-auth", "alice:p@ss"});
    const std::string url = "ws://peer.test:" + std::to_string(peer_->port()) + "/echo";
    WebSocketOptions o;
    o.proxy = "http://alice:p%40ss@127.0.0.1:" + std::to_string(strict.port());
    EXPECT_EQ(echo_via(url, o), (V{"open:", "text:through", "close:1005::clean"}));
    o.proxy = "http://127.0.0.1:" + std::to_string(strict.port());
    EXPECT_EQ(echo_via(url, o),
              (V{"error:" + make_error_code(proto::Errc::proxy_refused).message() + ":407",
                 "close:1006::unclean"}));
}

TEST_F(HttpProxy, TheEnvironmentIsHonouredButNotForLoopbackOrNoProxyHosts) {
    ::setenv("http_proxy", proxy_url().c_str(), 1);
    const std::string port = std::to_string(peer_->port());
    EXPECT_EQ(echo_via("ws://peer.test:" + port + "/echo", {}),
              (V{"open:", "text:through", "close:1005::clean"}));
    EXPECT_EQ(next_connect_line(), "CONNECT peer.test:" + port);
    // Loopback goes direct, even with http_proxy set.
    EXPECT_EQ(echo_via("ws://127.0.0.1:" + port + "/echo", {}),
              (V{"open:", "text:through", "close:1005::clean"}));
    // no_proxy: the client resolves peer.test itself, and cannot.
    ::setenv("no_proxy", "example.com, .test", 1);
    const auto events = echo_via("ws://peer.test:" + port + "/echo", {});
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0].rfind("error:", 0), 0U);
    EXPECT_EQ(events[1], "close:1006::unclean");
    // ...and asked the proxy for nothing since the first tunnel.
    std::string line;
    EXPECT_FALSE(proxy_->read_line(line, 200)) << line;
    // use_environment_proxy = false ignores it.
    ::unsetenv("no_proxy");
    WebSocketOptions off;
    off.use_environment_proxy = false;
    EXPECT_EQ(echo_via("ws://peer.test:" + port + "/echo", off).size(), 2U);  // error, close
    EXPECT_FALSE(proxy_->read_line(line, 200)) << line;
}

// --- automatic reconnection ---

TEST_F(WebSocketClient, ReconnectsWithGrowingDelaysUpToTheLimit) {
    auto peer = start_peer("python");
    WebSocketOptions o;
    o.reconnect = {.enabled = true,
                   .initial_delay_ms = 20,
                   .factor = 3.0,
                   .jitter = 0.0,
                   .max_attempts = 2};
    auto ws = connect(peer->port(), "/close/4001", {}, o);
    std::vector<net::TimeMs> delays;
    ws->on_reconnect = [&](int attempt, net::TimeMs delay) {
        delays.push_back(delay);
        rec_.events.push_back("reconnect:" + std::to_string(attempt));
    };
    // The server closes every connection at once: 1 + 2 connections, then no more.
    run_until(*loop_, [&] { return delays.size() == 2 && rec_.events.size() >= 8; });
    for (int i = 0; i < 20; ++i) {
        loop_->run_once(10);  // long enough for a fourth connection, were one scheduled
    }
    // Connections that did not stay up for min_uptime do not reset the count.
    EXPECT_EQ(rec_.events, (V{"open:", "close:4001:bye 4001:clean", "reconnect:1",
                              "open:", "close:4001:bye 4001:clean", "reconnect:2",
                              "open:", "close:4001:bye 4001:clean"}));
    EXPECT_EQ(delays, (std::vector<net::TimeMs>{20, 60}));
}

TEST_F(WebSocketClient, RefusedConnectsBackOffAndCloseStopsReconnecting) {
    WebSocketOptions o;
    o.reconnect = {.enabled = true,
                   .initial_delay_ms = 10,
                   .max_delay_ms = 40,
                   .factor = 2.0,
                   .jitter = 0.0};
    auto ws = connect(unused_port(), "/", {}, o);
    std::vector<net::TimeMs> delays;
    ws->on_reconnect = [&](int, net::TimeMs delay) {
        delays.push_back(delay);
        if (delays.size() == 4) {
            (void)ws->close();  // the application gives up: no fifth attempt
        }
    };
    run_until(*loop_, [&] { return delays.size() >= 4; });
    for (int i = 0; i < 20; ++i) {
        loop_->run_once(10);  // long enough for a fifth attempt, were one scheduled
    }
    EXPECT_EQ(delays, (std::vector<net::TimeMs>{10, 20, 40, 40}));  // capped at max_delay
    EXPECT_EQ(ws->ready_state(), ReadyState::closed);
}

// --- wss:// against wsx serve -t, with certificates made for this test process ---

class SecureWebSocket : public WebSocketClient {
protected:
    static void SetUpTestSuite() {
        cert_dir() = "/tmp/wsx-client-tls-" + std::to_string(::getpid());
        const std::string cmd = std::string("sh ") + MAKE_TEST_CERTS + " " + cert_dir();
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    static void TearDownTestSuite() {
        const std::string cmd = "rm -rf " + cert_dir();
        (void)std::system(cmd.c_str());
    }

    static std::string& cert_dir() {
        static std::string dir;
        return dir;
    }

    static std::string path(const std::string& name) { return cert_dir() + "/" + name; }

    std::unique_ptr<test::PeerProcess> tls_server(const std::string& leaf = "server") {
        return std::make_unique<test::PeerProcess>(
                std::vector<std::string>{WSX_BIN, "serve", "-p", "0", "-H", "127.0.0.1", "-t", "-k",
                                         path(leaf + ".key"), "-c", path(leaf + ".pem")},
                true);
    }

    std::unique_ptr<WebSocket> connect_wss(const std::string& url, WebSocketOptions options) {
        auto ws = WebSocket::create(*loop_, url, {}, std::move(options));
        EXPECT_TRUE(ws) << (ws ? "" : ws.error().message());
        if (!ws) {
            return nullptr;
        }
        rec_.attach(**ws);
        return std::move(*ws);
    }
};

TEST_F(SecureWebSocket, WssEchoesWhenTheServerVerifies) {
    auto peer = tls_server();
    ASSERT_NE(peer->port(), 0);
    WebSocketOptions options;
    options.tls_config.ca_file = path("ca.pem");
    auto ws = connect_wss("wss://localhost:" + std::to_string(peer->port()) + "/echo", options);
    ws->on_open = [&] {
        rec_.events.push_back("open:");
        EXPECT_FALSE(ws->send("over TLS"));
        EXPECT_FALSE(ws->send_binary(std::string(100'000, 'b')));
    };
    run_until_events(3);
    EXPECT_FALSE(ws->close(1000));
    run_until_closed();
    EXPECT_EQ(rec_.events, (V{"open:", "text:over TLS", "binary:100000", "close:1000::clean"}));
}

TEST_F(SecureWebSocket, VerificationFailuresAreErrorEventsNamingTheReason) {
    auto peer = tls_server("wrong");
    ASSERT_NE(peer->port(), 0);
    WebSocketOptions options;
    options.tls_config.ca_file = path("ca.pem");
    std::error_code error;
    auto ws = connect_wss("wss://localhost:" + std::to_string(peer->port()) + "/echo", options);
    ws->on_error = [&](const ErrorEvent& e) {
        error = e.error;
    };
    run_until_closed();
    EXPECT_EQ(error.category(), net::tls_verify_category()) << error.message();
    EXPECT_NE(error.message().find("mismatch"), std::string::npos) << error.message();
    EXPECT_EQ(rec_.events.back(), "close:1006::unclean");
}

TEST_F(SecureWebSocket, AnUnreadableCaFileIsAnErrorFromCreate) {
    WebSocketOptions options;
    options.tls_config.ca_file = path("missing.pem");
    auto ws = WebSocket::create(*loop_, "wss://localhost:1/echo", {}, std::move(options));
    ASSERT_FALSE(ws);
    EXPECT_EQ(ws.error(), std::errc::no_such_file_or_directory) << ws.error().message();
}

}  // namespace
}  // namespace wsx
