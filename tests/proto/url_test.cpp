#include "wsx/proto/url.hpp"

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

TEST(WsUrl, TheSeedsUrlAndDefaults) {
    auto u = parse_ws_url("ws://localhost:9998/echo");
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->secure);
    EXPECT_EQ(u->host, "localhost");
    EXPECT_EQ(u->port, 9998);
    EXPECT_EQ(u->resource, "/echo");
    EXPECT_EQ(u->host_header(), "localhost:9998");
    auto s = parse_ws_url("WSS://Example.COM");
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->secure);
    EXPECT_EQ(s->port, 443);
    EXPECT_EQ(s->host, "example.com");  // names compare case-insensitively: lower-cased
    EXPECT_EQ(s->resource, "/");
    EXPECT_EQ(s->host_header(), "example.com");
    EXPECT_EQ(s->to_string(), "wss://example.com/");
    EXPECT_EQ(parse_ws_url("ws://h:80/")->host_header(), "h");  // the default port is left out
}

TEST(WsUrl, HttpSchemesBecomeWebSocketOnes) {
    // WHATWG WebSocket constructor: "If urlRecord's scheme is "http", then set urlRecord's
    // scheme to "ws"; if "https", to "wss"".
    EXPECT_EQ(parse_ws_url("http://h/x")->to_string(), "ws://h/x");
    EXPECT_EQ(parse_ws_url("https://h/x")->to_string(), "wss://h/x");
}

TEST(WsUrl, PathQueryAndEncoding) {
    EXPECT_EQ(parse_ws_url("ws://h/a/b?x=1&y=2")->resource, "/a/b?x=1&y=2");
    EXPECT_EQ(parse_ws_url("ws://h?x=1")->resource, "/?x=1");
    EXPECT_EQ(parse_ws_url("ws://h/a b/\xCE\xBA?q=\"<>\"")->resource,
              "/a%20b/%CE%BA?q=%22%3C%3E%22");
    EXPECT_EQ(parse_ws_url("  ws://h/x \n")->resource, "/x");  // surrounding blanks stripped
}

TEST(WsUrl, Ipv4AndIpv6Literals) {
    auto v6 = parse_ws_url("ws://[::1]:9998/echo");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_TRUE(v6->host_is_ipv6);
    EXPECT_EQ(v6->host_header(), "[::1]:9998");
    EXPECT_EQ(parse_ws_url("ws://[2001:DB8::a:1]/")->host, "2001:db8::a:1");
    EXPECT_TRUE(parse_ws_url("ws://[::ffff:127.0.0.1]/"));
    EXPECT_TRUE(parse_ws_url("ws://[1:2:3:4:5:6:7:8]/"));
    EXPECT_EQ(parse_ws_url("ws://127.0.0.1:1/")->host, "127.0.0.1");
    for (const char* bad :
         {"ws://[::1/", "ws://[::1]x/", "ws://[1:2:3:4:5:6:7:8:9]/", "ws://[1::2::3]/",
          "ws://[12345::]/", "ws://[::g]/", "ws://[]/", "ws://[::1.2.3.256]/"}) {
        EXPECT_EQ(parse_ws_url(bad).error(), make_error_code(Errc::bad_url_host)) << bad;
    }
}

TEST(WsUrl, SyntaxErrors) {
    const std::pair<const char*, Errc> cases[] = {
            {"ftp://h/", Errc::bad_url_scheme},    {"h/echo", Errc::bad_url_scheme},
            {"ws:/h", Errc::bad_url_scheme},       {"ws://h/echo#frag", Errc::url_has_fragment},
            {"ws://h/#", Errc::url_has_fragment},  {"ws://user:pw@h/", Errc::url_has_credentials},
            {"ws:///echo", Errc::bad_url_host},    {"ws://:80/", Errc::bad_url_host},
            {"ws://a b/", Errc::bad_url_host},     {"ws://a%20b/", Errc::bad_url_host},
            {"ws://h:65536/", Errc::bad_url_port}, {"ws://h:-1/", Errc::bad_url_port},
            {"ws://h:8x/", Errc::bad_url_port},    {"ws://h:123456/", Errc::bad_url_port},
    };
    for (const auto& [url, errc] : cases) {
        auto r = parse_ws_url(url);
        EXPECT_FALSE(r) << url;
        if (!r) {
            EXPECT_EQ(r.error(), make_error_code(errc)) << url;
            EXPECT_EQ(r.error(), Condition::usage_error);
        }
    }
    EXPECT_EQ(parse_ws_url("ws://h:65535/")->port, 65535);
    EXPECT_EQ(parse_ws_url("ws://h:/")->port, 80);  // an empty port is the default
}

}  // namespace
}  // namespace wsx::proto
