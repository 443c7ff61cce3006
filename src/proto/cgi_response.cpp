// CGI response header section; see cgi_response.hpp. Hand-written because no packaged library
// reads RFC 3875 §6 output: it is a small line grammar, and the rules that matter (what may pass
// into our HTTP response) are the server's own.
#include "wsx/proto/cgi_response.hpp"

#include <algorithm>
#include <array>

#include "wsx/proto/errc.hpp"

namespace wsx::proto {
namespace {

constexpr std::array<std::string_view, 7> kHopByHop = {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE",
        "Trailer",    "Upgrade",    "Proxy-Connection"};

bool is_field_value_char(char c) noexcept {
    // RFC 9110 §5.5: VCHAR, SP, HTAB and obs-text; never CR, LF, NUL or other controls.
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

}  // namespace

CgiHeadReader::Status CgiHeadReader::feed(std::span<const char>& input) {
    if (error_) {
        return Status::error;
    }
    if (done_) {
        return Status::complete;
    }
    while (!input.empty()) {
        const auto* begin = input.data();
        const auto* lf = std::find(begin, begin + input.size(), '\n');
        const auto take = static_cast<std::size_t>(lf - begin) + (lf != begin + input.size());
        consumed_ += take;
        // Both limits are checked before anything is stored (+2: the line's CR LF).
        if (consumed_ > limits_.max_head_size || line_.size() + take > limits_.max_line_size + 2) {
            error_ = Errc::cgi_head_too_large;
            return Status::error;
        }
        line_.append(begin, take);
        input = input.subspan(take);
        if (line_.back() != '\n') {
            return Status::need_more;
        }
        std::string_view line(line_);
        line.remove_suffix(1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > limits_.max_line_size) {
            error_ = Errc::cgi_head_too_large;
            return Status::error;
        }
        error_ = line.empty() ? finish() : parse_line(line);
        line_.clear();
        if (error_) {
            return Status::error;
        }
        if (done_) {
            return Status::complete;
        }
    }
    return Status::need_more;
}

std::error_code CgiHeadReader::parse_line(std::string_view line) {
    if (++fields_ > limits_.max_header_count) {
        return Errc::cgi_head_too_large;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
        return Errc::bad_cgi_response;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!std::all_of(value.begin(), value.end(), is_field_value_char)) {
        return Errc::bad_cgi_response;
    }
    if (iequals(name, "Status")) {
        // RFC 3875 §6.3.3: Status = "Status:" status-code SP reason-phrase. A 1xx is not a final
        // response, and a second Status is ambiguous.
        const auto code = parse_decimal(value.substr(0, 3));
        if (has_status_ || !code || *code < 200 || *code > 599
            || (value.size() > 3 && value[3] != ' ')) {
            return Errc::bad_cgi_response;
        }
        has_status_ = true;
        response_.status = static_cast<int>(*code);
        return {};
    }
    if (iequals(name, "Content-Length")) {
        const auto length = parse_decimal(value);
        if (!length || (response_.content_length && *response_.content_length != *length)) {
            return Errc::bad_cgi_response;
        }
        response_.content_length = length;
        return {};
    }
    if (std::any_of(kHopByHop.begin(), kHopByHop.end(),
                    [&](std::string_view h) { return iequals(name, h); })) {
        return {};  // the server frames the response itself
    }
    if (iequals(name, "Location")) {
        if (value.empty()) {
            return Errc::bad_cgi_response;
        }
        has_location_ = true;
    }
    response_.headers.emplace_back(std::string(name), std::string(value));
    return {};
}

std::error_code CgiHeadReader::finish() {
    // RFC 3875 §6.2: "The response comprises a message-header and a message-body ... The
    // message-header contains one or more header fields."
    if (fields_ == 0) {
        return Errc::bad_cgi_response;
    }
    if (has_location_ && !has_status_) {
        response_.status = 302;  // §6.2.3 client redirect; a local path is redirected the same way
    }
    done_ = true;
    return {};
}

}  // namespace wsx::proto
