// Request head reader; see http_head.hpp. Rule: one pass over each byte, every buffer bounded.
#include "wsx/proto/http_head.hpp"

#include <algorithm>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

// RFC 9110 §5.5: field values are VCHAR, obs-text, SP and HTAB; no other control byte.
bool is_forbidden_byte(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t' && c != '\r' && c != '\n') || u == 0x7F;
}

bool is_http_version_shape(std::string_view v) noexcept {
    return v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[5] >= '0' && v[5] <= '9' && v[6] == '.'
           && v[7] >= '0' && v[7] <= '9';
}

}  // namespace

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<std::uint64_t> parse_decimal(std::string_view s, std::size_t max_digits) noexcept {
    if (s.empty() || s.size() > max_digits) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

bool is_token_char(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
    return kSpecials.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower(x) == lower(y);
           });
}

std::optional<std::string_view> HttpFields::header(std::string_view name) const noexcept {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

std::size_t HttpFields::header_count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(
            std::count_if(headers.begin(), headers.end(),
                          [&](const HttpHeader& h) { return iequals(h.name, name); }));
}

std::string HttpFields::joined_header(std::string_view name) const {
    std::string out;
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            if (!out.empty()) {
                out += ", ";
            }
            out += h.value;
        }
    }
    return out;
}

std::string_view HttpRequest::path() const noexcept {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const noexcept {
    std::string_view t = target;
    const auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::error_code HttpHeadReader::scan(char c) {
    if (c == '\0' || is_forbidden_byte(c)) {
        return Errc::forbidden_byte;
    }
    if (after_cr_ != (c == '\n')) {
        return Errc::bad_line_ending;  // CR not followed by LF, or LF not preceded by CR
    }
    if (buf_.size() >= limits_.max_head_size) {
        return Errc::head_too_large;
    }
    buf_.push_back(c);
    after_cr_ = c == '\r';
    if (c != '\n') {
        if (buf_.size() - line_start_ > limits_.max_line_size + 1) {  // +1: the CR
            return Errc::line_too_long;
        }
        return {};
    }
    const std::size_t line_len = buf_.size() - line_start_ - 2;
    line_start_ = buf_.size();
    if (line_len == 0) {
        done_ = true;
        if (lines_ == 0) {
            return kind_ == Kind::request ? Errc::bad_request_line : Errc::bad_status_line;
        }
        return {};
    }
    // The request line plus at most max_header_count field lines.
    if (++lines_ > limits_.max_header_count + 1) {
        return Errc::too_many_headers;
    }
    return {};
}

HttpHeadReader::Status HttpHeadReader::feed(std::span<char>& input) {
    if (error_) {
        return Status::error;
    }
    if (done_) {
        return Status::complete;
    }
    std::size_t used = 0;
    while (used < input.size() && !done_) {
        if (auto ec = scan(input[used++])) {
            error_ = ec;
            break;
        }
    }
    input = input.subspan(used);
    if (!error_ && done_) {
        error_ = parse_head();
    }
    if (error_) {
        return Status::error;
    }
    return done_ ? Status::complete : Status::need_more;
}

std::error_code HttpHeadReader::parse_head() {
    std::string_view head(buf_);
    bool first = true;
    while (!head.empty()) {
        const auto eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        if (line.empty()) {
            break;
        }
        std::error_code ec;
        if (first) {
            ec = kind_ == Kind::request ? parse_request_line(line) : parse_status_line(line);
        } else {
            ec = parse_field_line(line);
        }
        if (ec) {
            return ec;
        }
        first = false;
    }
    buf_.clear();
    buf_.shrink_to_fit();
    return {};
}

std::error_code HttpHeadReader::parse_request_line(std::string_view line) {
    // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return Errc::bad_request_line;
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method) || target.empty() || !is_http_version_shape(version)) {
        return Errc::bad_request_line;
    }
    const bool target_ok = target.front() == '/' && target.find('#') == std::string_view::npos
                           && std::none_of(target.begin(), target.end(), [](char c) {
                                  return static_cast<unsigned char>(c) > 0x7E || c == '\t';
                              });
    if (!target_ok) {
        return Errc::bad_request_target;
    }
    request_.method = method;
    request_.target = target;
    request_.version = version;
    return {};
}

std::error_code HttpHeadReader::parse_status_line(std::string_view line) {
    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; a missing
    // final SP is accepted, as §4 suggests for robustness.
    const std::string_view version = line.substr(0, 8);
    if (!is_http_version_shape(version) || line.size() < 12 || line[8] != ' '
        || (line.size() > 12 && line[12] != ' ')) {
        return Errc::bad_status_line;
    }
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })
        || code[0] == '0') {
        return Errc::bad_status_line;
    }
    response_.version = version;
    response_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    response_.reason = line.size() > 13 ? line.substr(13) : std::string_view();
    return {};
}

std::error_code HttpHeadReader::parse_field_line(std::string_view line) {
    // RFC 9112 §5.2: "A server that receives an obs-fold in a request message ... MUST either
    // reject the message by sending a 400 (Bad Request)".
    if (is_ows(line.front())) {
        return Errc::obs_fold;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return Errc::bad_header_field;
    }
    // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon."
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) {
        return Errc::bad_header_field;
    }
    HttpFields& fields = kind_ == Kind::request ? static_cast<HttpFields&>(request_)
                                                : static_cast<HttpFields&>(response_);
    fields.headers.push_back(
            HttpHeader{std::string(name), std::string(trim_ows(line.substr(colon + 1)))});
    return {};
}

std::string format_request_head(const HttpRequest& request) {
    std::size_t size = request.method.size() + request.target.size() + request.version.size() + 6;
    for (const HttpHeader& h : request.headers) {
        size += h.name.size() + h.value.size() + 4;
    }
    std::string head;
    head.reserve(size);  // exactly: a kept head holds no slack
    for (std::string_view part :
         {std::string_view(request.method), std::string_view(" "), std::string_view(request.target),
          std::string_view(" "), std::string_view(request.version), std::string_view("\r\n")}) {
        head += part;
    }
    for (const HttpHeader& h : request.headers) {
        head += h.name;
        head += ": ";
        head += h.value;
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

Result<HttpRequest> parse_request_head(std::string_view head, const Limits& limits) {
    std::string bytes(head);
    std::span<char> input(bytes);
    HttpHeadReader reader(limits);
    switch (reader.feed(input)) {
        case HttpHeadReader::Status::complete:
            return reader.take_request();
        case HttpHeadReader::Status::error:
            return reader.error();
        case HttpHeadReader::Status::need_more:
            break;
    }
    return make_error_code(Errc::bad_line_ending);
}

}  // namespace wsx::proto
