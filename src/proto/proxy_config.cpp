// Proxy URLs, no_proxy and the proxy choice; see proxy_config.hpp. Rule: no getenv, no sockets:
// what the environment says comes in as arguments.
#include "wsx/proto/proxy_config.hpp"

#include "wsx/proto/errc.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/http_head.hpp"

namespace wsx::proto {

Result<ProxyConfig> parse_proxy_url(std::string_view url) {
    if (url.find("://") == std::string_view::npos) {
        return parse_proxy_url("http://" + std::string(url));  // "proxy:3128", as curl takes it
    }
    if (url.size() < 7 || !iequals(url.substr(0, 7), "http://")) {
        return Errc::bad_url_scheme;  // an https:// proxy would need TLS to the proxy itself
    }
    url.remove_prefix(7);
    url = url.substr(0, url.find('/'));
    ProxyConfig out;
    if (const auto at = url.rfind('@'); at != std::string_view::npos) {
        // Credentials are percent-encoded, as in any URL.
        const auto decoded = percent_decode(url.substr(0, at));
        if (!decoded) {
            return Errc::bad_url_host;  // the authority does not parse
        }
        out.authorization = "Basic " + base64_encode(*decoded);
        url.remove_prefix(at + 1);
    }
    // The host and port follow the WebSocket URL rules; borrow them.
    auto parsed = parse_ws_url("ws://" + std::string(url) + "/");
    if (!parsed) {
        return parsed.error();
    }
    out.host = parsed->host;
    out.port = parsed->port;
    return out;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
    while (!no_proxy.empty()) {
        const auto comma = no_proxy.find(',');
        std::string_view entry = no_proxy.substr(0, comma);
        no_proxy =
                comma == std::string_view::npos ? std::string_view() : no_proxy.substr(comma + 1);
        entry = trim_ows(entry);
        if (entry == "*") {
            return true;
        }
        // An optional ":port" (not inside an IPv6 literal).
        const auto colon = entry.rfind(':');
        if (colon != std::string_view::npos && entry.find(':') == colon) {
            if (entry.substr(colon + 1) != std::to_string(port)) {
                continue;
            }
            entry = entry.substr(0, colon);
        }
        if (!entry.empty() && entry.front() == '[' && entry.back() == ']') {
            entry = entry.substr(1, entry.size() - 2);
        }
        if (!entry.empty() && entry.front() == '.') {
            entry.remove_prefix(1);
        }
        if (entry.empty()) {
            continue;
        }
        if (iequals(host, entry)
            || (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.'
                && iequals(host.substr(host.size() - entry.size()), entry))) {
            return true;
        }
    }
    return false;
}

bool is_loopback_host(std::string_view host) noexcept {
    return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

Result<std::optional<ProxyConfig>> choose_proxy(const WsUrl& url, std::string_view configured,
                                                const ProxyEnvironment& env) {
    if (configured.empty()) {
        // The environment's proxies are for remote hosts: loopback and no_proxy go direct.
        const bool exempt =
                is_loopback_host(url.host) || no_proxy_matches(env.no_proxy, url.host, url.port);
        configured = exempt ? std::string_view() : url.secure ? env.https_proxy : env.http_proxy;
    }
    if (configured.empty()) {
        return std::optional<ProxyConfig>();
    }
    auto p = parse_proxy_url(configured);
    if (!p) {
        return p.error();
    }
    return std::optional<ProxyConfig>(std::move(*p));
}

}  // namespace wsx::proto
