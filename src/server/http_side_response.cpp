// The answering half of a connection's plain-HTTP side: requests without Upgrade (and upgrade
// requests for paths no route serves) answered through ServerOptions::on_http, with keep-alive;
// file bodies handed to the engine after the head; deferred responses answered later, streamed
// with backpressure. Rule: builds responses, never parses bytes; bodies are framed by the
// exchange.
#include <algorithm>

#include "wsx/net/log.hpp"

#include "server/http_side.hpp"
#include "server/server_context.hpp"

namespace wsx::detail {
namespace {

bool keep_alive_for(const proto::HttpRequest& request) {
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 closes unless "keep-alive".
    const std::string connection = request.joined_header("Connection");
    return request.version == "HTTP/1.1" ? !proto::has_token(connection, "close")
                                         : proto::has_token(connection, "keep-alive");
}

}  // namespace

void HttpSide::on_http_request(const proto::HttpRequest& request, bool upgrade) {
    ServerContext& ctx = conn_.context();
    ++ctx.stats().http_requests;
    current_ =
            Exchange{.request_line = request.method + " " + request.target + " " + request.version,
                     .keep_alive = keep_alive_for(request),
                     .head_only = request.method == "HEAD",
                     .is_11 = request.version == "HTTP/1.1",
                     .started = ctx.loop().now()};
    HttpResponse response = call_handler(request);
    if (response.responder) {
        responder_ = std::move(response.responder);  // answered later; read nothing until then
        return;
    }
    if (upgrade) {
        ++ctx.stats().rejected;
        ctx.stats().count_refusal(response.status);
    }
    answer(std::move(response));
}

HttpResponse HttpSide::call_handler(const proto::HttpRequest& request) {
    ServerContext& ctx = conn_.context();
    if (!ctx.authorized(request)) {
        HttpResponse r = HttpResponse::text(401, "authentication required");
        r.headers.emplace_back("WWW-Authenticate", kAuthChallenge);
        return r;
    }
    // A WebSocket resource asked for as a page (a browser's address bar, curl): 426, saying how.
    const std::string_view path =
            std::string_view(request.target)
                    .substr(0, std::min(request.target.size(), request.target.find('?')));
    const bool websocket_path = ctx.find_route(path) != nullptr;
    if (!ctx.options().on_http
        || (websocket_path && (request.method == "GET" || request.method == "HEAD"))) {
        HttpResponse r =
                HttpResponse::text(426, websocket_path ? "a WebSocket resource: open it with a "
                                                         "WebSocket client (Upgrade: websocket)"
                                                       : "this server speaks WebSocket only");
        r.headers.emplace_back("Upgrade", "websocket");
        r.headers.emplace_back("Sec-WebSocket-Version", "13");
        return r;
    }
    HttpResponse response;
    if (!conn_.session().invoke([&] { response = ctx.options().on_http(request, conn_); })) {
        response = HttpResponse::text(500, "internal error");
    }
    return response;
}

void HttpSide::answer(HttpResponse response) {
    const bool head_only = current_.head_only || response.status == 304;
    const bool has_file = response.file.valid();
    const std::uint64_t length = has_file ? response.file_size : response.body.size();
    if (current_.keep_alive && !current_.is_11) {
        response.headers.emplace_back("Connection", "keep-alive");
    }
    std::string bytes = proto::build_response_head(response.status, response.headers, length,
                                                   current_.keep_alive);
    current_.status = response.status;
    current_.bytes = head_only ? 0 : length;
    if (has_file && !head_only && length > 0) {
        if (!exchange_.begin_response(bytes, false)) {
            current_.file = true;
            conn_.session().send_file(std::move(response.file), length);  // then on_file_sent()
        }
        return;
    }
    if (!head_only) {
        bytes += response.body;
    }
    log_response();
    (void)exchange_.respond(bytes, current_.keep_alive, conn_.context().loop().now());
}

void HttpSide::on_file_sent() {
    current_.file = false;
    (void)exchange_.end_response(current_.keep_alive, conn_.context().loop().now());
    log_response();
    after_response();  // requests pipelined behind the file
}

bool HttpSide::respond(HttpResponse response) {
    if (conn_.session().finished() || !responder_ || exchange_.response_in_progress()) {
        return false;
    }
    // The producer lives to the end of the call (it may be the caller), but no longer counts:
    // requests pipelined behind this response may start one of their own.
    const std::unique_ptr<HttpResponder> producer = std::move(responder_);
    response.responder.reset();
    answer(std::move(response));
    after_response();
    return true;
}

bool HttpSide::begin_response(int status, proto::HeaderList headers,
                              std::optional<std::uint64_t> length) {
    if (conn_.session().finished() || !responder_ || exchange_.response_in_progress()) {
        return false;
    }
    // RFC 9110 §6.4.1: no body for HEAD, 204 and 304.
    current_.head_only = current_.head_only || status == 204 || status == 304;
    current_.status = status;
    bool chunked = false;
    std::string head;
    if (length) {
        current_.length_left = current_.head_only ? 0 : *length;
        if (current_.keep_alive && !current_.is_11) {
            headers.emplace_back("Connection", "keep-alive");
        }
        head = proto::build_response_head(status, headers, *length, current_.keep_alive);
    } else {
        current_.length_left.reset();
        if (!current_.head_only) {
            // RFC 9112 §6.3: without a length, HTTP/1.1 gets chunks; HTTP/1.0 a body that ends
            // with the connection.
            chunked = current_.is_11;
            current_.keep_alive = current_.keep_alive && current_.is_11;
        }
        head = proto::build_streaming_response_head(status, headers, chunked, current_.keep_alive);
    }
    if (exchange_.begin_response(head, chunked)) {
        return false;
    }
    conn_.session().output_queued();
    return true;
}

SendStatus HttpSide::write_body(std::string_view data) {
    Session& session = conn_.session();
    if (session.finished() || !responder_ || !exchange_.response_in_progress()) {
        return SendStatus::closed;
    }
    const BufferLimits& limits = conn_.context().options().buffer;
    if (!current_.head_only) {
        if (current_.length_left) {
            data = data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(
                                          *current_.length_left, data.size())));
            *current_.length_left -= data.size();
        }
        if (exchange_.output().size() + data.size() > limits.max_buffered) {
            net::log_warn(conn_.remote().to_string(), " \"", current_.request_line,
                          "\": response producer ignored backpressure; connection closed");
            end_response(false);
            return SendStatus::closed;
        }
        (void)exchange_.send_body(data);  // in progress: cannot fail
        current_.bytes += data.size();
        session.output_queued();
    }
    if (session.finished()) {
        return SendStatus::closed;
    }
    return exchange_.output().size() > limits.high_watermark ? SendStatus::backpressure
                                                             : SendStatus::queued;
}

void HttpSide::end_response(bool complete) {
    if (conn_.session().finished() || !responder_) {
        return;
    }
    if (!exchange_.response_in_progress()) {
        (void)respond(HttpResponse::text(502, "the response ended before it began"));
        return;
    }
    const bool whole = complete && (!current_.length_left || *current_.length_left == 0);
    if (whole) {
        (void)exchange_.end_response(current_.keep_alive, conn_.context().loop().now());
        log_response();
    } else {
        // No last chunk, and the connection closes: the client must see the body cut short.
        exchange_.abort_response();
        log_response("body incomplete");
    }
    const std::unique_ptr<HttpResponder> producer = std::move(responder_);
    after_response();
}

void HttpSide::after_response() {
    // Requests pipelined behind this response were held by the exchange; read them now.
    Session& session = conn_.session();
    if (session.finished()) {
        return;
    }
    if (session.in_dispatch()) {
        session.output_queued();  // the batch in progress dispatches and flushes after it
        return;
    }
    session.dispatch([&] { conn_.dispatch_pending(); });
}

void HttpSide::log_response(std::string_view note) {
    const net::TimeMs ms = conn_.context().loop().now() - current_.started;
    net::log_info(conn_.remote().to_string(), " \"", current_.request_line, "\" ", current_.status,
                  " ", current_.bytes, " ", net::format_seconds(ms), note.empty() ? "" : " (", note,
                  note.empty() ? "" : ")");
}

}  // namespace wsx::detail
