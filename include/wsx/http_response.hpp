// What a server's plain-HTTP handler answers: a status, header fields, and a body held in memory
// or an open file that the connection sends with sendfile (zero-copy). The connection adds
// Content-Length and Connection, and omits the body for HEAD.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "wsx/net/address.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/http_head.hpp"

namespace wsx {

struct HttpResponse {
    int status = 200;
    proto::HeaderList headers;  // Content-Type, ETag, Location, ...
    std::string body;           // used when `file` is not valid
    net::UniqueFd file;         // a regular file to send from offset 0
    std::uint64_t file_size = 0;

    /// A short text/plain response.
    [[nodiscard]] static HttpResponse text(int status, std::string body) {
        HttpResponse r;
        r.status = status;
        r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
        r.body = std::move(body);
        r.body += '\n';
        return r;
    }
};

/// Answers plain HTTP requests (no Upgrade header field, or a WebSocket request for a path with
/// no route). Runs on the loop thread; must not block for long.
using HttpHandler = std::function<HttpResponse(const proto::HttpRequest& request,
                                               const net::SocketAddress& remote)>;

}  // namespace wsx
