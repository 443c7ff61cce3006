// The client's side of an HTTP CONNECT exchange with a proxy (RFC 9110 §9.3.6), sans-I/O: the
// request to write, then the proxy's response head to read; a 2xx opens the tunnel, and the
// WebSocket handshake follows through it. Rule: bytes in, bytes out; no sockets, no clock (the
// connect timeout that bounds the exchange is the caller's), no getenv (see proxy_config.hpp).
//
//     proto::ProxyTunnel tunnel(limits, url, proxy);
//     write(tunnel.output()); tunnel.consume_output(written);
//     switch (tunnel.feed(bytes_read)) { case Status::open: start_handshake(); ... }
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "wsx/proto/http_head.hpp"
#include "wsx/proto/limits.hpp"
#include "wsx/proto/proxy_config.hpp"
#include "wsx/proto/url.hpp"

namespace wsx::proto {

/// The CONNECT request that opens a tunnel to `authority` ("host:port", IPv6 bracketed) through
/// a proxy (RFC 9110 §9.3.6).
[[nodiscard]] std::string build_connect_request(std::string_view authority,
                                                std::string_view proxy_authorization);

/// One CONNECT exchange. Plain movable value; failure is sticky.
class ProxyTunnel {
public:
    enum class Status { need_more, open, failed };

    /// A tunnel to `target`'s host and port through `proxy` (its Proxy-Authorization, if any).
    /// The proxy's response head is bounded by `limits` (head, line and header count).
    ProxyTunnel(const Limits& limits, const WsUrl& target, const ProxyConfig& proxy);

    /// The part of the CONNECT request not yet written; valid until consume_output().
    [[nodiscard]] std::string_view output() const noexcept {
        return std::string_view(request_).substr(written_);
    }

    /// Marks `n` bytes of output() as written.
    void consume_output(std::size_t n) noexcept;

    /// Feeds bytes the proxy sent. open: its answer was 2xx and nothing followed it; the bytes
    /// after that belong to the WebSocket server, so do not feed them here. failed: see error().
    /// Once open or failed, further input is ignored.
    [[nodiscard]] Status feed(std::span<char> bytes);

    /// The proxy closed the connection: failed (proxy_refused) unless the tunnel is open.
    [[nodiscard]] Status feed_eof() noexcept;

    [[nodiscard]] Status status() const noexcept { return status_; }

    /// Why the tunnel failed: proxy_refused (a status other than 2xx, the proxy closing first,
    /// or bytes after its answer: nothing may come before our WebSocket request), or the head
    /// reader's error (bad_status_line, head_too_large, ...). Empty unless failed.
    [[nodiscard]] std::error_code error() const noexcept { return error_; }

    /// The proxy's status code once its response head is read; 0 before, or if it did not parse.
    [[nodiscard]] int response_status() const noexcept { return response_status_; }

private:
    Status fail(std::error_code ec) noexcept;

    HttpHeadReader reader_;
    std::string request_;
    std::size_t written_ = 0;
    Status status_ = Status::need_more;
    std::error_code error_;
    int response_status_ = 0;
};

}  // namespace wsx::proto
