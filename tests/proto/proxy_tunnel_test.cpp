#include "wsx/proto/proxy_tunnel.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

using Status = ProxyTunnel::Status;

ProxyTunnel tunnel_to(std::string_view url, std::string authorization = "") {
    auto u = parse_ws_url(url);
    EXPECT_TRUE(u);
    return ProxyTunnel(
            {}, *u,
            ProxyConfig{.host = "proxy", .port = 3128, .authorization = std::move(authorization)});
}

// Feeds `bytes` whole, then byte by byte into a fresh tunnel: both must end the same way.
Status feed_both_ways(std::string bytes, std::error_code* error = nullptr, int* status = nullptr) {
    ProxyTunnel whole = tunnel_to("ws://example.com/");
    const Status w = whole.feed(std::span<char>(bytes));
    ProxyTunnel split = tunnel_to("ws://example.com/");
    Status s = Status::need_more;
    for (std::size_t i = 0; i < bytes.size() && s == Status::need_more; ++i) {
        s = split.feed(std::span<char>(bytes.data() + i, 1));
    }
    EXPECT_EQ(w, s) << bytes;
    EXPECT_EQ(whole.error(), split.error()) << bytes;
    EXPECT_EQ(whole.response_status(), split.response_status()) << bytes;
    if (error != nullptr) {
        *error = whole.error();
    }
    if (status != nullptr) {
        *status = whole.response_status();
    }
    return w;
}

// RFC 9110 §9.3.6: "CONNECT server.example.com:80 HTTP/1.1 / Host: server.example.com"
TEST(ProxyTunnel, RequestNamesTheServersHostAndPort) {
    EXPECT_EQ(build_connect_request("h:80", "Basic x"),
              "CONNECT h:80 HTTP/1.1\r\nHost: h:80\r\nProxy-Authorization: Basic x\r\n\r\n");
    EXPECT_EQ(tunnel_to("ws://example.com/chat").output(),
              "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n");
    EXPECT_EQ(tunnel_to("ws://[::1]:9001/").output(),
              "CONNECT [::1]:9001 HTTP/1.1\r\nHost: [::1]:9001\r\n\r\n");
    EXPECT_EQ(tunnel_to("ws://h:81/", "Basic dTpw").output(),
              "CONNECT h:81 HTTP/1.1\r\nHost: h:81\r\nProxy-Authorization: Basic dTpw\r\n\r\n");
}

TEST(ProxyTunnel, OutputIsConsumedAsItIsWritten) {
    ProxyTunnel t = tunnel_to("ws://h:81/");
    const std::string all(t.output());
    t.consume_output(5);
    EXPECT_EQ(t.output(), all.substr(5));
    t.consume_output(all.size());  // more than is left: all of it
    EXPECT_TRUE(t.output().empty());
}

// §9.3.6: "Any 2xx (Successful) response indicates that the sender (and all inbound proxies)
// will switch to tunnel mode".
TEST(ProxyTunnel, AnySuccessfulStatusOpensTheTunnel) {
    int status = 0;
    EXPECT_EQ(feed_both_ways("HTTP/1.1 200 Connection established\r\n\r\n", nullptr, &status),
              Status::open);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(feed_both_ways("HTTP/1.0 299 Whatever\r\nVia: x\r\n\r\n"), Status::open);
}

TEST(ProxyTunnel, OtherStatusesAreRefusalsThatKeepTheStatus) {
    for (const int code : {101, 199, 300, 403, 407, 502}) {
        std::error_code ec;
        int status = 0;
        EXPECT_EQ(feed_both_ways("HTTP/1.1 " + std::to_string(code) + " No\r\n\r\n", &ec, &status),
                  Status::failed);
        EXPECT_EQ(ec, make_error_code(Errc::proxy_refused)) << code;
        EXPECT_EQ(status, code);
    }
}

// Nothing may come before our request: the WebSocket server speaks only after it.
TEST(ProxyTunnel, BytesAfterTheProxysAnswerAreARefusal) {
    ProxyTunnel t = tunnel_to("ws://example.com/");
    std::string bytes = "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n";
    EXPECT_EQ(t.feed(std::span<char>(bytes)), Status::failed);
    EXPECT_EQ(t.error(), make_error_code(Errc::proxy_refused));
    EXPECT_EQ(t.response_status(), 200);
}

TEST(ProxyTunnel, AMalformedAnswerFailsWithTheReadersError) {
    std::error_code ec;
    int status = -1;
    EXPECT_EQ(feed_both_ways("garbage\r\n\r\n", &ec, &status), Status::failed);
    EXPECT_EQ(ec, make_error_code(Errc::bad_status_line));
    EXPECT_EQ(status, 0);
}

TEST(ProxyTunnel, AnAnswerPastTheHeadLimitFails) {
    auto u = parse_ws_url("ws://h/");
    ProxyTunnel t({.max_head_size = 64}, *u, {});
    std::string bytes = "HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
    EXPECT_EQ(t.feed(std::span<char>(bytes)), Status::failed);
    EXPECT_EQ(t.error(), make_error_code(Errc::head_too_large));
}

TEST(ProxyTunnel, TheProxyClosingFirstIsARefusal) {
    ProxyTunnel t = tunnel_to("ws://h/");
    std::string part = "HTTP/1.1 200";
    EXPECT_EQ(t.feed(std::span<char>(part)), Status::need_more);
    EXPECT_EQ(t.feed_eof(), Status::failed);
    EXPECT_EQ(t.error(), make_error_code(Errc::proxy_refused));
    EXPECT_EQ(t.response_status(), 0);
}

TEST(ProxyTunnel, OutcomesAreSticky) {
    ProxyTunnel t = tunnel_to("ws://h/");
    std::string ok = "HTTP/1.1 200 OK\r\n\r\n";
    ASSERT_EQ(t.feed(std::span<char>(ok)), Status::open);
    EXPECT_EQ(t.feed_eof(), Status::open);
    std::string more = "x";
    EXPECT_EQ(t.feed(std::span<char>(more)), Status::open);
    EXPECT_FALSE(t.error());
}

}  // namespace
}  // namespace wsx::proto
