// WebSocket URL parsing; see url.hpp. Hand-written: the rules are the WHATWG URL parser's subset
// that a WebSocket URL can use (special schemes, host, port, path, query), and no Debian library
// implements that standard; the IPv6 check is here too because the core includes no socket header.
#include "wsx/proto/url.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "wsx/proto/errc.hpp"
#include "wsx/proto/http_head.hpp"

namespace wsx::proto {
namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 4291 §2.2 text forms: eight groups of 1-4 hex digits, "::" once for a run of zero groups,
// and an IPv4 dotted quad in place of the last two.
bool is_ipv4(std::string_view s) noexcept {
    int parts = 0;
    while (true) {
        const auto dot = s.find('.');
        const std::string_view part = s.substr(0, dot);
        if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), [](char c) {
                return c >= '0' && c <= '9';
            })) {
            return false;
        }
        if ((part.size() > 1 && part[0] == '0') || *parse_decimal(part) > 255) {
            return false;
        }
        ++parts;
        if (dot == std::string_view::npos) {
            break;
        }
        s.remove_prefix(dot + 1);
    }
    return parts == 4;
}

bool is_ipv6(std::string_view s) noexcept {
    const auto gap = s.find("::");
    if (gap != std::string_view::npos && s.find("::", gap + 1) != std::string_view::npos) {
        return false;
    }
    auto count_groups = [](std::string_view part, bool allow_ipv4_last, int& groups) {
        if (part.empty()) {
            return true;
        }
        while (true) {
            const auto colon = part.find(':');
            const std::string_view g = part.substr(0, colon);
            if (colon == std::string_view::npos && allow_ipv4_last
                && g.find('.') != std::string_view::npos) {
                groups += 2;
                return is_ipv4(g);
            }
            if (g.empty() || g.size() > 4 || !std::all_of(g.begin(), g.end(), is_hex)) {
                return false;
            }
            ++groups;
            if (colon == std::string_view::npos) {
                return true;
            }
            part.remove_prefix(colon + 1);
        }
    };
    int groups = 0;
    if (gap == std::string_view::npos) {
        return count_groups(s, true, groups) && groups == 8;
    }
    return count_groups(s.substr(0, gap), false, groups)
           && count_groups(s.substr(gap + 2), true, groups) && groups <= 7;
}

// WHATWG "forbidden host code points" plus what cannot appear in a DNS name or IPv4 literal.
bool is_host_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
        return false;
    }
    return std::string_view("#%/:<>?@[\\]^|\"'`{}").find(c) == std::string_view::npos;
}

// The path and query percent-encode sets (controls, space, non-ASCII, and a few ASCII
// characters), so what goes in the request line is always a valid request-target.
void append_encoded(std::string& out, std::string_view in) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    for (char c : in) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F
            || std::string_view("\"<>`{}").find(c) != std::string_view::npos) {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        } else {
            out += c;
        }
    }
}

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

// Leading and trailing C0 controls and spaces are stripped, as the WHATWG parser does.
std::string_view trim_controls_and_spaces(std::string_view url) noexcept {
    while (!url.empty() && static_cast<unsigned char>(url.front()) <= 0x20) {
        url.remove_prefix(1);
    }
    while (!url.empty() && static_cast<unsigned char>(url.back()) <= 0x20) {
        url.remove_suffix(1);
    }
    return url;
}

// ws and http are plain, wss and https secure (the WHATWG WebSocket API maps the http schemes);
// nullopt for any other scheme.
std::optional<bool> scheme_is_secure(std::string_view url) noexcept {
    if (starts_with_nocase(url, "ws://") || starts_with_nocase(url, "http://")) {
        return false;
    }
    if (starts_with_nocase(url, "wss://") || starts_with_nocase(url, "https://")) {
        return true;
    }
    return std::nullopt;
}

// An authority (without credentials) split into its host and its port digits, empty if none.
struct HostAndPort {
    std::string host;
    bool is_ipv6 = false;
    std::string_view port;
};

// "[v6]" or "[v6]:port".
Result<HostAndPort> split_ipv6_authority(std::string_view authority) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
        return Errc::bad_url_host;
    }
    const std::string_view literal = authority.substr(1, close - 1);
    if (!is_ipv6(literal)) {
        return Errc::bad_url_host;
    }
    HostAndPort out{.host = lowered(literal), .is_ipv6 = true};
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
        if (after.front() != ':') {
            return Errc::bad_url_host;
        }
        out.port = after.substr(1);
    }
    return out;
}

// "name" or "name:port": a name or IPv4 literal of at most 253 host characters.
Result<HostAndPort> split_name_authority(std::string_view authority) {
    HostAndPort out;
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
        out.port = authority.substr(colon + 1);
        authority = authority.substr(0, colon);
    }
    if (authority.empty() || !std::all_of(authority.begin(), authority.end(), is_host_char)
        || authority.size() > 253) {
        return Errc::bad_url_host;
    }
    out.host = lowered(authority);
    return out;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) {
                return std::nullopt;
            }
            const int hi = hex(s[i + 1]);
            const int lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            return std::nullopt;
        }
        out.push_back(c);
    }
    return out;
}

std::string WsUrl::host_header() const {
    std::string out = host_is_ipv6 ? "[" + host + "]" : host;
    if (port != (secure ? 443 : 80)) {
        out += ':' + std::to_string(port);
    }
    return out;
}

std::string WsUrl::to_string() const {
    return (secure ? "wss://" : "ws://") + host_header() + resource;
}

Result<WsUrl> parse_ws_url(std::string_view url) {
    url = trim_controls_and_spaces(url);
    const std::optional<bool> secure = scheme_is_secure(url);
    if (!secure) {
        return Errc::bad_url_scheme;
    }
    url.remove_prefix(url.find("://") + 3);
    WsUrl out;
    if (*secure) {
        out.secure = true;
        out.port = 443;
    }
    if (url.find('#') != std::string_view::npos) {
        return Errc::url_has_fragment;  // WebSocket URLs never have one (RFC 6455 §3)
    }
    const auto path_start = std::min(url.find('/'), url.find('?'));
    const std::string_view authority = url.substr(0, path_start);
    const std::string_view rest =
            path_start == std::string_view::npos ? std::string_view() : url.substr(path_start);
    if (authority.find('@') != std::string_view::npos) {
        return Errc::url_has_credentials;
    }
    auto host_and_port = !authority.empty() && authority.front() == '['
                                 ? split_ipv6_authority(authority)
                                 : split_name_authority(authority);
    if (!host_and_port) {
        return host_and_port.error();
    }
    out.host = std::move(host_and_port->host);
    out.host_is_ipv6 = host_and_port->is_ipv6;
    if (!host_and_port->port.empty()) {
        const auto n = parse_decimal(host_and_port->port, 5);
        if (!n || *n > 65535) {
            return Errc::bad_url_port;
        }
        out.port = static_cast<std::uint16_t>(*n);
    }
    out.resource.clear();
    if (rest.empty() || rest.front() == '?') {
        out.resource.push_back('/');  // not `= "/"`: g++ 12 -O3 reports a false -Wrestrict there
    }
    append_encoded(out.resource, rest);
    return out;
}

}  // namespace wsx::proto
