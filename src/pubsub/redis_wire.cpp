// Redis URLs and the mark on wsx's publications (see redis_wire.hpp).
#include "pubsub/redis_wire.hpp"

#include <charconv>

#include "wsx/net/errc.hpp"
#include "wsx/proto/utf8.hpp"
#include "wsx/redis_broker.hpp"

namespace wsx {

namespace {

bool is_hex(std::string_view s) noexcept {
    for (const char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

template <class N>
bool parse_number(std::string_view s, N& out) noexcept {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// "host[:port]" or "[v6][:port]" into the endpoint; the reason in `why` when it fails.
bool parse_host_port(std::string_view s, RedisEndpoint& ep, std::string& why) {
    std::string_view port;
    if (s.starts_with('[')) {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos) {
            why = "an IPv6 address without its closing ']'";
            return false;
        }
        ep.host = s.substr(1, close - 1);
        const std::string_view rest = s.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) {
            why = "something after the IPv6 address other than :port";
            return false;
        }
        port = rest.empty() ? rest : rest.substr(1);
    } else {
        const std::size_t colon = s.find(':');
        ep.host = s.substr(0, colon);
        port = colon == std::string_view::npos ? std::string_view() : s.substr(colon + 1);
    }
    if (ep.host.empty()) {
        why = "no host";
        return false;
    }
    if (!port.empty() && (!parse_number(port, ep.port) || ep.port == 0)) {
        why = "a port that is not a number from 1 to 65535";
        return false;
    }
    return true;
}

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url, std::string* why) {
    std::string reason;
    RedisEndpoint ep;
    constexpr std::string_view kScheme = "redis://";
    std::string_view rest = url;
    if (!rest.starts_with(kScheme)) {
        reason = "not a redis:// URL";
    } else {
        rest.remove_prefix(kScheme.size());
        const std::size_t slash = rest.find('/');
        std::string_view authority = rest.substr(0, slash);
        const std::string_view db =
                slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
            const std::string_view userinfo = authority.substr(0, at);
            const std::size_t colon = userinfo.find(':');
            if (colon == std::string_view::npos) {
                ep.password = userinfo;  // "redis://secret@host", as redis-cli reads it
            } else {
                ep.user = userinfo.substr(0, colon);
                ep.password = userinfo.substr(colon + 1);
            }
            authority.remove_prefix(at + 1);
        }
        if (parse_host_port(authority, ep, reason) && !db.empty() && !parse_number(db, ep.db)) {
            reason = "a database that is not a number";
        }
    }
    if (!reason.empty()) {
        if (why != nullptr) {
            *why = std::move(reason);
        }
        return net::Errc::bad_address;
    }
    return ep;
}

namespace detail {

std::string mark_publication(std::string_view node_id, MessageType type, std::string_view data) {
    std::string out;
    out.reserve(kRedisHeaderSize + data.size());
    out.append(kRedisMark);
    out.push_back(type == MessageType::text ? 't' : 'b');
    out.append(node_id.substr(0, kNodeIdSize));
    out.append(data);
    return out;
}

ChannelMessage read_channel_message(std::string_view payload) noexcept {
    ChannelMessage m;
    if (!payload.starts_with(kRedisMark)) {
        m.ok = true;
        m.type = proto::is_valid_utf8(payload) ? MessageType::text : MessageType::binary;
        m.data = payload;
        return m;
    }
    if (payload.size() < kRedisHeaderSize) {
        return m;
    }
    const char type = payload[kRedisMark.size()];
    const std::string_view node = payload.substr(kRedisMark.size() + 1, kNodeIdSize);
    if ((type != 't' && type != 'b') || !is_hex(node)) {
        return m;
    }
    m.node = node;
    m.type = type == 't' ? MessageType::text : MessageType::binary;
    m.data = payload.substr(kRedisHeaderSize);
    // Marked text that is not UTF-8 would fail every browser that got it (1007): refused here.
    m.ok = m.type == MessageType::binary || proto::is_valid_utf8(m.data);
    return m;
}

}  // namespace detail

}  // namespace wsx
