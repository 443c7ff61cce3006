// The plain-HTTP side of a server connection: answering requests without Upgrade (and upgrade
// requests for paths no route serves) through ServerOptions::on_http, with keep-alive; file
// bodies sent with sendfile after the response head; deferred responses whose producer (a CGI
// script) answers later and streams its body with backpressure; which protocol object is in
// charge (the HTTP exchange until a request is upgraded, then the endpoint). Rule: builds
// responses, never parses bytes, and frames bodies through the exchange.
#include <algorithm>
#include <variant>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"
#include "wsx/server.hpp"

namespace wsx {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

void Connection::dispatch_http_events() {
    // The exchange holds pipelined requests while a response is in progress.
    while (!finished_ && exchange_) {
        auto event = exchange_->next_event();
        if (!event) {
            break;
        }
        std::visit(
                Overloaded{
                        [&](const proto::UpgradeRequested& e) { on_upgrade_requested(e.request); },
                        [&](const proto::HttpRequestReceived& e) { on_http_request(e.request); },
                        [&](const proto::Failed& e) { on_failed(e.error); },
                },
                *event);
        if (endpoint_) {
            exchange_.reset();  // upgraded: the endpoint has the connection from here on
        }
    }
}

const proto::OutputQueue& Connection::output() const noexcept {
    return endpoint_ ? endpoint_->output() : exchange_->output();
}

void Connection::consume_output(std::size_t n) noexcept {
    if (endpoint_) {
        endpoint_->consume_output(n);
    } else {
        exchange_->consume_output(n);
    }
}

void Connection::feed_eof() {
    if (endpoint_) {
        endpoint_->feed_eof();
    } else {
        exchange_->feed_eof();
    }
}

bool Connection::should_close_transport() const noexcept {
    return endpoint_ ? endpoint_->should_close_transport() : exchange_->should_close_transport();
}

bool Connection::response_in_progress() const noexcept {
    return !endpoint_ && exchange_->response_in_progress();
}

bool Connection::keep_alive_for(const proto::HttpRequest& request) const {
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 closes unless "keep-alive".
    const std::string connection = request.joined_header("Connection");
    return request.version == "HTTP/1.1" ? !proto::has_token(connection, "close")
                                         : proto::has_token(connection, "keep-alive");
}

void Connection::on_http_request(const proto::HttpRequest& request) {
    ++server_.stats_.http_requests;
    http_ = HttpExchange{
            .request_line = request.method + " " + request.target + " " + request.version,
            .keep_alive = keep_alive_for(request),
            .head_only = request.method == "HEAD",
            .is_11 = request.version == "HTTP/1.1",
            .started = server_.loop_.now()};
    if (!server_.authorized(request)) {
        HttpResponse r = HttpResponse::text(401, "authentication required");
        r.headers.emplace_back("WWW-Authenticate", kAuthChallenge);
        answer_http(std::move(r));
        return;
    }
    if (!server_.options_.on_http) {
        HttpResponse r = HttpResponse::text(426, "this server speaks WebSocket only");
        r.headers.emplace_back("Upgrade", "websocket");
        r.headers.emplace_back("Sec-WebSocket-Version", "13");
        answer_http(std::move(r));
        return;
    }
    HttpResponse response;
    try {
        response = server_.options_.on_http(request, *this);
    } catch (const std::exception& e) {
        net::log_error(remote_.to_string(), " ", request.target,
                       ": HTTP handler threw: ", e.what());
        response = HttpResponse::text(500, "internal error");
    }
    if (response.responder) {
        responder_ = std::move(response.responder);  // answered later; read nothing until then
        update_interest();
        return;
    }
    answer_http(std::move(response));
}

void Connection::answer_http(HttpResponse response) {
    const bool head_only = http_.head_only || response.status == 304;
    const bool has_file = response.file.valid();
    const std::uint64_t length = has_file ? response.file_size : response.body.size();
    if (http_.keep_alive && !http_.is_11) {
        response.headers.emplace_back("Connection", "keep-alive");
    }
    std::string bytes =
            proto::build_response_head(response.status, response.headers, length, http_.keep_alive);
    http_.status = response.status;
    http_.bytes = head_only ? 0 : length;
    const net::TimeMs now = server_.loop_.now();
    if (has_file && !head_only && length > 0) {
        if (!exchange_->begin_response(bytes, false)) {
            file_ = std::move(response.file);
            file_offset_ = 0;
            file_left_ = length;
            last_write_progress_ = now;
        }
        return;  // logged when the file is sent
    }
    if (!head_only) {
        bytes += response.body;
    }
    log_http_response();
    (void)exchange_->respond(bytes, http_.keep_alive, now);
}

bool Connection::respond_http(HttpResponse response) {
    if (finished_ || !responder_ || response_in_progress()) {
        return false;
    }
    response.responder.reset();
    answer_http(std::move(response));
    responder_.reset();
    after_http_response();
    return true;
}

bool Connection::begin_http_response(int status, proto::HeaderList headers,
                                     std::optional<std::uint64_t> length) {
    if (finished_ || !responder_ || response_in_progress()) {
        return false;
    }
    // RFC 9110 §6.4.1: no body for HEAD, 204 and 304.
    http_.head_only = http_.head_only || status == 204 || status == 304;
    http_.status = status;
    bool chunked = false;
    std::string head;
    if (length) {
        http_.length_left = http_.head_only ? 0 : *length;
        if (http_.keep_alive && !http_.is_11) {
            headers.emplace_back("Connection", "keep-alive");
        }
        head = proto::build_response_head(status, headers, *length, http_.keep_alive);
    } else {
        http_.length_left.reset();
        if (!http_.head_only) {
            // RFC 9112 §6.3: without a length, HTTP/1.1 gets chunks; HTTP/1.0 a body that ends
            // with the connection.
            chunked = http_.is_11;
            http_.keep_alive = http_.keep_alive && http_.is_11;
        }
        head = proto::build_streaming_response_head(status, headers, chunked, http_.keep_alive);
    }
    if (exchange_->begin_response(head, chunked)) {
        return false;
    }
    last_write_progress_ = server_.loop_.now();
    if (!in_dispatch_) {
        flush();
    }
    return true;
}

SendStatus Connection::write_http_body(std::string_view data) {
    if (finished_ || !responder_ || !response_in_progress()) {
        return SendStatus::closed;
    }
    const BufferLimits& limits = server_.options_.buffer;
    if (!http_.head_only) {
        if (http_.length_left) {
            data = data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(
                                          *http_.length_left, data.size())));
            *http_.length_left -= data.size();
        }
        if (buffered_amount() + data.size() > limits.max_buffered) {
            net::log_warn(remote_.to_string(), " \"", http_.request_line,
                          "\": response producer ignored backpressure; connection closed");
            end_http_response(false);
            return SendStatus::closed;
        }
        (void)exchange_->send_body(data);
        http_.bytes += data.size();
        if (!in_dispatch_) {
            flush();
        }
    }
    if (finished_) {
        return SendStatus::closed;
    }
    return buffered_amount() > limits.high_watermark ? SendStatus::backpressure
                                                     : SendStatus::queued;
}

void Connection::end_http_response(bool complete) {
    if (finished_ || !responder_) {
        return;
    }
    if (!response_in_progress()) {
        (void)respond_http(HttpResponse::text(502, "the response ended before it began"));
        return;
    }
    const bool whole = complete && (!http_.length_left || *http_.length_left == 0);
    if (whole) {
        (void)exchange_->end_response(http_.keep_alive, server_.loop_.now());
        log_http_response();
    } else {
        // No last chunk, and the connection closes: the client must see the body cut short.
        exchange_->abort_response();
        log_http_response("body incomplete");
    }
    responder_.reset();
    after_http_response();
}

void Connection::after_http_response() {
    // Requests pipelined behind this response were held by the endpoint; read them now.
    hangup_muted_ = false;
    update_interest();
    if (in_dispatch_ || finished_) {
        return;
    }
    dispatch_events();
    if (!finished_) {
        flush();
    }
}

void Connection::log_http_response(std::string_view note) {
    const net::TimeMs ms = server_.loop_.now() - http_.started;
    net::log_info(remote_.to_string(), " \"", http_.request_line, "\" ", http_.status, " ",
                  http_.bytes, " ", net::format_seconds(ms), note.empty() ? "" : " (", note,
                  note.empty() ? "" : ")");
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
            feed_eof();
            finish(r.bytes == 0 ? "file shrank while being sent"
                                : "sendfile: " + r.error.message());
            return;
        }
        file_left_ -= r.bytes;
        last_write_progress_ = server_.loop_.now();
    }
    file_.reset();
    (void)exchange_->end_response(http_.keep_alive, server_.loop_.now());
    log_http_response();
}

}  // namespace wsx
