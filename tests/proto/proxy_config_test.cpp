#include "wsx/proto/proxy_config.hpp"

#include <gtest/gtest.h>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

WsUrl url(std::string_view text) {
    auto u = parse_ws_url(text);
    EXPECT_TRUE(u) << text;
    return u ? *u : WsUrl{};
}

// The proxy chosen for `u`, as "host:port", "direct" or the error's message.
std::string chosen(std::string_view u, std::string_view configured, const ProxyEnvironment& env) {
    auto p = choose_proxy(url(u), configured, env);
    if (!p) {
        return p.error().message();
    }
    return *p ? (*p)->host + ":" + std::to_string((*p)->port) : "direct";
}

TEST(ProxyConfig, UrlsAndNoProxyRules) {
    auto p = parse_proxy_url("http://user:p%40ss@proxy.example:3128");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->host, "proxy.example");
    EXPECT_EQ(p->port, 3128);
    EXPECT_EQ(p->authorization, "Basic dXNlcjpwQHNz");     // base64("user:p@ss")
    EXPECT_EQ(parse_proxy_url("proxy:8080")->port, 8080);  // no scheme: http, as curl takes it
    EXPECT_EQ(parse_proxy_url("http://[::1]/")->host, "::1");
    EXPECT_EQ(parse_proxy_url("http://p")->port, 80);
    EXPECT_EQ(parse_proxy_url("socks5://p:1080").error(), make_error_code(Errc::bad_url_scheme));
    EXPECT_EQ(parse_proxy_url("http://:1").error(), make_error_code(Errc::bad_url_host));
    EXPECT_TRUE(no_proxy_matches("*", "anything", 1));
    EXPECT_TRUE(no_proxy_matches("example.com", "example.com", 80));
    EXPECT_TRUE(no_proxy_matches("example.com", "a.b.example.com", 80));
    EXPECT_TRUE(no_proxy_matches(" x.org , .example.com", "www.example.com", 80));
    EXPECT_FALSE(no_proxy_matches("example.com", "notexample.com", 80));
    EXPECT_TRUE(no_proxy_matches("example.com:8080", "example.com", 8080));
    EXPECT_FALSE(no_proxy_matches("example.com:8080", "example.com", 80));
    EXPECT_TRUE(no_proxy_matches("10.0.0.1,[::1]", "::1", 80));
    EXPECT_FALSE(no_proxy_matches("", "example.com", 80));
}

TEST(ProxyConfig, LoopbackHosts) {
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_TRUE(is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(is_loopback_host("127.1.2.3"));
    EXPECT_FALSE(is_loopback_host("127example.com"));
    EXPECT_FALSE(is_loopback_host("10.0.0.1"));
    EXPECT_FALSE(is_loopback_host("example.com"));
}

TEST(ProxyConfig, TheEnvironmentsProxyFollowsTheScheme) {
    const ProxyEnvironment env{.http_proxy = "plain:3128", .https_proxy = "secure:3129"};
    EXPECT_EQ(chosen("ws://example.com/", "", env), "plain:3128");
    EXPECT_EQ(chosen("wss://example.com/", "", env), "secure:3129");
    EXPECT_EQ(chosen("wss://example.com/", "", {.http_proxy = "plain:3128"}), "direct");
    EXPECT_EQ(chosen("ws://example.com/", "", {}), "direct");
}

TEST(ProxyConfig, LoopbackAndNoProxyHostsGoDirect) {
    const ProxyEnvironment env{.http_proxy = "p:3128", .no_proxy = "internal.example"};
    for (const char* u : {"ws://localhost:9001/", "ws://127.0.0.1/", "ws://[::1]/",
                          "ws://internal.example/", "ws://a.internal.example:81/"}) {
        EXPECT_EQ(chosen(u, "", env), "direct") << u;
    }
    EXPECT_EQ(chosen("ws://example.com/", "", env), "p:3128");
}

TEST(ProxyConfig, AConfiguredProxyIsUsedForEveryHost) {
    const ProxyEnvironment env{.http_proxy = "env:1", .no_proxy = "*"};
    EXPECT_EQ(chosen("ws://example.com/", "http://mine:8080", env), "mine:8080");
    EXPECT_EQ(chosen("ws://127.0.0.1/", "mine:8080", env), "mine:8080");  // loopback too
}

TEST(ProxyConfig, ABadProxyUrlIsAnError) {
    EXPECT_EQ(chosen("ws://example.com/", "socks5://p:1", {}),
              make_error_code(Errc::bad_url_scheme).message());
    EXPECT_EQ(chosen("ws://example.com/", "", {.http_proxy = "http://:1"}),
              make_error_code(Errc::bad_url_host).message());
}

}  // namespace
}  // namespace wsx::proto
