// The plain-HTTP side of a server connection: answering requests without Upgrade (and upgrade
// requests for paths no route serves) through ServerOptions::on_http, with keep-alive, and file
// bodies sent with sendfile after the response head. Rule: builds responses, never parses bytes.
#include <algorithm>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"
#include "wsx/server.hpp"

namespace wsx {

void Connection::on_http_request(const proto::HttpRequest& request) {
    ++server_.stats_.http_requests;
    if (!server_.authorized(request)) {
        HttpResponse r = HttpResponse::text(401, "authentication required");
        r.headers.emplace_back("WWW-Authenticate", kAuthChallenge);
        answer_http(request, std::move(r));
        return;
    }
    if (!server_.options_.on_http) {
        HttpResponse r = HttpResponse::text(426, "this server speaks WebSocket only");
        r.headers.emplace_back("Upgrade", "websocket");
        r.headers.emplace_back("Sec-WebSocket-Version", "13");
        answer_http(request, std::move(r));
        return;
    }
    HttpResponse response;
    try {
        response = server_.options_.on_http(request, remote_);
    } catch (const std::exception& e) {
        net::log_error(remote_.to_string(), " ", request.target,
                       ": HTTP handler threw: ", e.what());
        response = HttpResponse::text(500, "internal error");
    }
    answer_http(request, std::move(response));
}

void Connection::answer_http(const proto::HttpRequest& request, HttpResponse response) {
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 closes unless "keep-alive".
    const std::string connection = request.joined_header("Connection");
    const bool is_11 = request.version == "HTTP/1.1";
    const bool keep_alive = is_11 ? !proto::has_token(connection, "close")
                                  : proto::has_token(connection, "keep-alive");
    const bool head_only = request.method == "HEAD" || response.status == 304;
    const bool has_file = response.file.valid();
    const std::uint64_t length = has_file ? response.file_size : response.body.size();
    if (keep_alive && !is_11) {
        response.headers.emplace_back("Connection", "keep-alive");
    }
    std::string bytes =
            proto::build_response_head(response.status, response.headers, length, keep_alive);
    if (!head_only && !has_file) {
        bytes += response.body;
    }
    net::log_info(remote_.to_string(), " \"", request.method, " ", request.target, "\" ",
                  response.status, " ", head_only ? 0 : length);
    if (endpoint_.respond(bytes, keep_alive, server_.loop_.now())) {
        return;
    }
    if (has_file && !head_only && length > 0) {
        file_ = std::move(response.file);
        file_offset_ = 0;
        file_left_ = length;
    }
}

void Connection::send_file_body() {
    // Called with the output queue empty: the response head is on the wire.
    constexpr std::size_t kChunk = 1024 * 1024;
    while (file_left_ > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(file_left_, kChunk));
        const net::IoResult r = transport_.send_file(file_.get(), file_offset_, want);
        if (r.status == net::IoResult::Status::would_block) {
            return;
        }
        if (r.status != net::IoResult::Status::ok || r.bytes == 0) {
            endpoint_.feed_eof();
            finish(r.bytes == 0 ? "file shrank while being sent"
                                : "sendfile: " + r.error.message());
            return;
        }
        file_left_ -= r.bytes;
    }
    file_.reset();
}

}  // namespace wsx
