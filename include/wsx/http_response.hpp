// What a server's plain-HTTP handler answers: a status, header fields, and a body held in memory
// or an open file that the connection sends with sendfile (zero-copy). The connection adds
// Content-Length and Connection, and omits the body for HEAD.
//
// A handler that cannot answer at once (a CGI script) returns HttpResponse::deferred() with an
// HttpResponder of its own, and answers later through the connection (by id: see
// Connection::respond_http and begin_http_response). Until then nothing more is read from the
// client; if the connection goes first, the responder is destroyed, which is its signal to stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "wsx/net/address.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/proto/http_head.hpp"

namespace wsx {

class Connection;

/// The producer of a deferred response, owned by the connection until the response ends.
class HttpResponder {
public:
    virtual ~HttpResponder() = default;

    /// The connection's output fell below the low watermark after write_http_body() reported
    /// backpressure: produce more.
    virtual void on_drain() {}
};

struct HttpResponse {
    int status = 200;
    proto::HeaderList headers;  // Content-Type, ETag, Location, ...
    std::string body;           // used when `file` is not valid
    net::UniqueFd file;         // a regular file to send from offset 0
    std::uint64_t file_size = 0;
    std::unique_ptr<HttpResponder> responder;  // set: answered later (see deferred())

    /// A short text/plain response.
    [[nodiscard]] static HttpResponse text(int status, std::string body) {
        HttpResponse r;
        r.status = status;
        r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
        r.body = std::move(body);
        r.body += '\n';
        return r;
    }

    /// No answer yet: `responder` will give it through the connection.
    [[nodiscard]] static HttpResponse deferred(std::unique_ptr<HttpResponder> responder) {
        HttpResponse r;
        r.responder = std::move(responder);
        return r;
    }
};

/// Answers plain HTTP requests (no Upgrade header field, or a WebSocket request for a path with
/// no route). Runs on the loop thread; must not block for long. `request.body` holds the body.
using HttpHandler =
        std::function<HttpResponse(const proto::HttpRequest& request, Connection& connection)>;

}  // namespace wsx
