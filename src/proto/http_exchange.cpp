// The server's HTTP/1.1 state machine; see http_exchange.hpp for the theory of operation. Rule:
// which call is valid in which state, what input does and whether the timeout runs are read
// from one table (kTable), never from flags; each transition is a single assignment to state_.
#include "wsx/proto/http_exchange.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

enum class Call : std::uint8_t { accept, reject, respond, begin_response, send_body, end_response };

enum class Allow : std::uint8_t { no, yes, upgrade_only };

enum class Input : std::uint8_t { read, held, discarded };

struct Row {
    HttpState state;
    Input input;
    bool timed;                  // the handshake timeout runs
    std::array<Allow, 6> calls;  // indexed by Call
};

constexpr Allow kNo = Allow::no;
constexpr Allow kYes = Allow::yes;
constexpr Allow kUp = Allow::upgrade_only;

// clang-format off
constexpr std::array<Row, 6> kTable{{
    //                            input             timed  accept reject respond begin send  end
    {HttpState::reading_head,    Input::read,      true,  {kNo,   kNo,   kNo,    kNo,  kNo,  kNo}},
    {HttpState::reading_body,    Input::read,      true,  {kNo,   kNo,   kNo,    kNo,  kNo,  kNo}},
    {HttpState::awaiting_answer, Input::held,      false, {kUp,   kUp,   kYes,   kYes, kNo,  kNo}},
    {HttpState::responding,      Input::held,      false, {kNo,   kNo,   kNo,    kNo,  kYes, kYes}},
    {HttpState::upgraded,        Input::discarded, false, {kNo,   kNo,   kNo,    kNo,  kNo,  kNo}},
    {HttpState::closed,          Input::discarded, false, {kNo,   kNo,   kNo,    kNo,  kNo,  kNo}},
}};

// clang-format on

constexpr bool table_in_state_order() {
    for (std::size_t i = 0; i < kTable.size(); ++i) {
        if (static_cast<std::size_t>(kTable[i].state) != i) {
            return false;
        }
    }
    return true;
}

static_assert(table_in_state_order(), "kTable is indexed by HttpState");

const Row& row(HttpState state) noexcept {
    return kTable[static_cast<std::size_t>(state)];
}

// handshake_not_pending unless `state` allows `call` (some calls only for an upgrade request).
std::error_code check(HttpState state, bool upgrade, Call call) noexcept {
    const Allow allow = row(state).calls[static_cast<std::size_t>(call)];
    const bool ok = allow == Allow::yes || (allow == Allow::upgrade_only && upgrade);
    return ok ? std::error_code() : make_error_code(Errc::handshake_not_pending);
}

// RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for an interim response
// before it sends the body. HTTP/1.0 has no 1xx, and without a body there is nothing to wait for.
bool expects_continue(const HttpRequest& request, std::uint64_t body_length) {
    const auto expect = request.header("Expect");
    return body_length > 0 && request.version == "HTTP/1.1" && expect
           && iequals(*expect, "100-continue");
}

}  // namespace

HttpExchange::HttpExchange(const Limits& limits, TimeMs now)
    : limits_(limits), head_reader_(limits), head_started_(now), last_received_(now) {}

void HttpExchange::feed(std::span<char> data, TimeMs now) {
    if (!data.empty()) {
        last_received_ = now;
    }
    switch (row(state_).input) {
        case Input::read:
            if (replay_) {
                pending_.append(data.data(), data.size());  // behind the held bytes, in order
                return;
            }
            input_ = data;
            return;
        case Input::held:
            if (pending_.size() + data.size() > limits_.max_head_size) {
                state_ = HttpState::closed;
                return;
            }
            pending_.append(data.data(), data.size());
            return;
        case Input::discarded:
            input_ = {};
            return;
    }
}

void HttpExchange::feed_eof() {
    state_ = HttpState::closed;
    input_ = {};
}

std::optional<HttpEvent> HttpExchange::next_event() {
    if (replay_) {
        replay_ = false;
        input_ = std::span<char>(pending_);  // what was held while the last request was answered
    }
    switch (state_) {
        case HttpState::reading_head:
            return read_head();
        case HttpState::reading_body:
            return read_body();
        case HttpState::awaiting_answer:
        case HttpState::responding:
            return std::nullopt;  // input is held until the answer
        case HttpState::upgraded:
        case HttpState::closed:
            break;
    }
    input_ = {};
    return std::nullopt;
}

std::optional<HttpEvent> HttpExchange::read_head() {
    if (input_.empty() || head_reader_.feed(input_) == HttpHeadReader::Status::need_more) {
        return std::nullopt;
    }
    if (const std::error_code ec = head_reader_.error()) {
        return fail(ec);
    }
    if (head_reader_.request().header_count("Upgrade") == 0) {
        return start_plain_request();
    }
    auto request = validate_upgrade_request(head_reader_.take_request());
    if (!request) {
        return fail(request.error());
    }
    upgrade_ = std::move(*request);
    await_answer();
    return UpgradeRequested{*upgrade_};
}

std::optional<HttpEvent> HttpExchange::start_plain_request() {
    const HttpRequest& head = head_reader_.request();
    if (const std::error_code ec = check_plain_request(head)) {
        return fail(ec);
    }
    const auto length = request_body_length(head);
    if (!length) {
        return fail(length.error());
    }
    if (*length > limits_.max_request_body) {
        return fail(Errc::body_too_large);  // refused before any of it is read
    }
    request_ = head_reader_.take_request();
    body_left_ = *length;
    state_ = HttpState::reading_body;
    if (expects_continue(*request_, body_left_)) {
        out_.append(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    request_->body.reserve(body_left_);
    return read_body();
}

std::optional<HttpEvent> HttpExchange::read_body() {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, input_.size()));
    request_->body.append(input_.data(), n);
    input_ = input_.subspan(n);
    body_left_ -= n;
    if (body_left_ > 0) {
        return std::nullopt;
    }
    await_answer();
    return HttpRequestReceived{*request_};
}

HttpEvent HttpExchange::fail(std::error_code ec) {
    // RFC 6455 §4.2.1: "If the server, while reading the handshake, finds that the client did not
    // send a handshake that matches the description below ..., the server MUST stop processing the
    // client's handshake and return an HTTP response with an appropriate error code".
    out_.append(build_error_response(http_status_for(ec), ec.message()));
    state_ = HttpState::closed;
    input_ = {};
    return Failed{ec};
}

void HttpExchange::await_answer() {
    state_ = HttpState::awaiting_answer;
    // Keep what followed the head (pipelined requests, early frames) for after the answer. The
    // input may already live in pending_ (a pipelined request), so move it down in place.
    const char* begin = pending_.data();
    if (input_.data() >= begin && input_.data() <= begin + pending_.size()) {
        pending_.erase(0, static_cast<std::size_t>(input_.data() - begin));
    } else {
        pending_.assign(input_.data(), input_.size());
    }
    input_ = {};
}

void HttpExchange::answered() {
    request_.reset();
    upgrade_.reset();  // an upgrade request may be answered as plain HTTP (no such resource)
}

void HttpExchange::after_response(bool keep_alive, TimeMs now) {
    if (!keep_alive) {
        state_ = HttpState::closed;
        pending_.clear();
        return;
    }
    // RFC 9112 §9.3: persistent connection; the next request may already be in pending_.
    state_ = HttpState::reading_head;
    head_reader_ = HttpHeadReader(limits_);
    head_started_ = now;
    replay_ = true;
}

std::error_code HttpExchange::respond(std::string_view response, bool keep_alive, TimeMs now) {
    if (auto ec = check(state_, upgrade_.has_value(), Call::respond)) {
        return ec;
    }
    out_.append(response);
    answered();
    after_response(keep_alive, now);
    return {};
}

std::error_code HttpExchange::begin_response(std::string_view head, bool chunked) {
    if (auto ec = check(state_, upgrade_.has_value(), Call::begin_response)) {
        return ec;
    }
    out_.append(head);
    answered();
    state_ = HttpState::responding;
    chunked_ = chunked;
    return {};
}

std::error_code HttpExchange::send_body(std::string_view data) {
    if (auto ec = check(state_, upgrade_.has_value(), Call::send_body)) {
        return ec;
    }
    if (data.empty()) {
        return {};  // an empty chunk would end a chunked body
    }
    if (!chunked_) {
        out_.append(data);
        return {};
    }
    // RFC 9112 §7.1: chunk = chunk-size (hex) CRLF chunk-data CRLF.
    char size[24];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out_.append(std::string_view(size, static_cast<std::size_t>(n)));
    out_.append(data);
    out_.append(std::string_view("\r\n"));
    return {};
}

std::error_code HttpExchange::end_response(bool keep_alive, TimeMs now) {
    if (auto ec = check(state_, upgrade_.has_value(), Call::end_response)) {
        return ec;
    }
    if (chunked_) {
        out_.append(std::string_view("0\r\n\r\n"));  // last-chunk, no trailers
    }
    after_response(keep_alive, now);
    return {};
}

void HttpExchange::abort_response() noexcept {
    if (state_ == HttpState::responding) {
        after_response(false, 0);
    }
}

std::error_code HttpExchange::reject(int status, std::string_view body, const HeaderList& headers) {
    if (auto ec = check(state_, upgrade_.has_value(), Call::reject)) {
        return ec;
    }
    out_.append(build_error_response(status, body, headers));
    state_ = HttpState::closed;  // the request stays: callers log it after reject()
    return {};
}

Result<Upgraded> HttpExchange::accept(const AcceptOptions& options, TimeMs /*now*/) {
    if (auto ec = check(state_, upgrade_.has_value(), Call::accept)) {
        return ec;
    }
    const auto& offered = upgrade_->subprotocols;
    if (!options.subprotocol.empty()
        && std::find(offered.begin(), offered.end(), options.subprotocol) == offered.end()) {
        return Errc::subprotocol_not_offered;
    }
    const std::string extensions =
            options.deflate
                    ? format_extension_header({format_deflate_response(options.deflate->agreement)})
                    : std::string();
    out_.append(
            build_accept_response(upgrade_->key, options.subprotocol, extensions, options.headers));
    state_ = HttpState::upgraded;
    // The endpoint's idle timeout counts from the last byte received, not from the answer.
    Endpoint endpoint(limits_, std::move(out_), std::move(pending_), options.subprotocol,
                      last_received_);
    if (options.deflate) {
        endpoint.enable_deflate(*options.deflate, extensions);
    }
    out_ = OutputQueue();  // a moved-from queue keeps its size: start clean
    pending_.clear();
    Upgraded upgraded{std::move(endpoint), std::move(*upgrade_)};
    upgrade_.reset();
    return Result<Upgraded>(std::move(upgraded));
}

const UpgradeRequest* HttpExchange::upgrade_request() const noexcept {
    return state_ == HttpState::awaiting_answer && upgrade_ ? &*upgrade_ : nullptr;
}

std::optional<TimeMs> HttpExchange::next_deadline() const noexcept {
    if (!row(state_).timed) {
        return std::nullopt;  // the application is answering: its time is its own
    }
    return head_started_ + limits_.handshake_timeout_ms;
}

std::error_code HttpExchange::handle_timeout(TimeMs now) {
    const auto deadline = next_deadline();
    if (!deadline || now < *deadline) {
        return {};
    }
    state_ = HttpState::closed;
    input_ = {};
    return Errc::handshake_timeout;
}

}  // namespace wsx::proto
