// Which HTTP proxy a client goes through, if any: proxy URLs ("http://user:pass@proxy:3128"),
// the no_proxy rules, and the choice for one WebSocket URL from an explicit setting or the
// environment's values. Rule: pure functions of their arguments; the caller reads the
// environment (no getenv here), and nothing here connects or resolves.
//
//     auto proxy = wsx::proto::choose_proxy(url, "", {.http_proxy = getenv_or("http_proxy")});
//     if (proxy && *proxy) tunnel_through((*proxy)->host, (*proxy)->port);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wsx/proto/url.hpp"
#include "wsx/result.hpp"

namespace wsx::proto {

/// An HTTP proxy, from a URL such as "http://user:pass@proxy:3128".
struct ProxyConfig {
    std::string host;  // name or address (IPv6 without brackets)
    std::uint16_t port = 80;
    std::string authorization;  // "Basic ..." for Proxy-Authorization, empty for none
};

/// Parses a proxy URL: "http://" (optional), credentials (optional, percent-encoded), host,
/// port (default 80). Errors: bad_url_scheme, bad_url_host, bad_url_port.
[[nodiscard]] Result<ProxyConfig> parse_proxy_url(std::string_view url);

/// True if `no_proxy` (a comma-separated list: "*", host names matching themselves and their
/// subdomains, with or without a leading dot, IP literals, optional ":port") exempts `host`.
[[nodiscard]] bool no_proxy_matches(std::string_view no_proxy, std::string_view host,
                                    std::uint16_t port);

/// True for the hosts no environment proxy is used for: "localhost", "::1", 127.0.0.0/8.
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

/// The proxy settings of a client's environment, as the caller read them: each the lower-case
/// variable if set, else the upper-case one (HTTP_PROXY, ...), else empty.
struct ProxyEnvironment {
    std::string_view http_proxy;   // for ws:// URLs
    std::string_view https_proxy;  // for wss:// URLs
    std::string_view no_proxy;     // hosts to reach directly (see no_proxy_matches)
};

/// The proxy for `url`: `configured` if it is not empty (a proxy URL, used for every host);
/// else the environment's proxy for the URL's scheme, unless the host is loopback or no_proxy
/// exempts it. nullopt: connect directly. Errors: those of parse_proxy_url.
[[nodiscard]] Result<std::optional<ProxyConfig>> choose_proxy(const WsUrl& url,
                                                              std::string_view configured,
                                                              const ProxyEnvironment& env);

}  // namespace wsx::proto
