// The CONNECT exchange; see proxy_tunnel.hpp. Rule: decides from the proxy's bytes alone; the
// caller moves them and keeps the time.
#include "wsx/proto/proxy_tunnel.hpp"

#include <algorithm>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

// RFC 9110 §9.3.6: "the request-target consists of only the host name and port number of the
// tunnel destination, separated by a colon".
std::string authority_of(const WsUrl& url) {
    return (url.host_is_ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

bool is_success(int status) noexcept {
    return status >= 200 && status <= 299;  // §9.3.6: "Any 2xx (Successful) response"
}

}  // namespace

std::string build_connect_request(std::string_view authority,
                                  std::string_view proxy_authorization) {
    std::string out = "CONNECT " + std::string(authority)
                      + " HTTP/1.1\r\nHost: " + std::string(authority) + "\r\n";
    if (!proxy_authorization.empty()) {
        out += "Proxy-Authorization: " + std::string(proxy_authorization) + "\r\n";
    }
    out += "\r\n";
    return out;
}

ProxyTunnel::ProxyTunnel(const Limits& limits, const WsUrl& target, const ProxyConfig& proxy)
    : reader_(limits, HttpHeadReader::Kind::response),
      request_(build_connect_request(authority_of(target), proxy.authorization)) {}

void ProxyTunnel::consume_output(std::size_t n) noexcept {
    written_ = std::min(written_ + n, request_.size());
}

ProxyTunnel::Status ProxyTunnel::fail(std::error_code ec) noexcept {
    error_ = ec;
    status_ = Status::failed;
    return status_;
}

ProxyTunnel::Status ProxyTunnel::feed(std::span<char> bytes) {
    if (status_ != Status::need_more) {
        return status_;
    }
    switch (reader_.feed(bytes)) {
        case HttpHeadReader::Status::need_more:
            return status_;
        case HttpHeadReader::Status::error:
            return fail(reader_.error());
        case HttpHeadReader::Status::complete:
            break;
    }
    response_status_ = reader_.response().status;
    // A 2xx ends the proxy's part; the server speaks only after our request, so bytes already
    // behind the head mean the proxy is not a tunnel.
    if (!is_success(response_status_) || !bytes.empty()) {
        return fail(Errc::proxy_refused);
    }
    status_ = Status::open;
    return status_;
}

ProxyTunnel::Status ProxyTunnel::feed_eof() noexcept {
    return status_ == Status::need_more ? fail(Errc::proxy_refused) : status_;
}

}  // namespace wsx::proto
