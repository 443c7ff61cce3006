// HTTP/1.1 request head reader (RFC 9112 §2-§5) for the opening handshake. Incremental and
// linear: each byte is looked at once as it arrives, and every limit (head size, line size,
// header count) is enforced before more is stored. Strict: bare CR or LF, NUL and other control
// bytes, obs-fold and malformed field lines are errors, never guesses.
//
//     HttpHeadReader reader(limits);
//     std::span<char> in = bytes;
//     if (reader.feed(in) == HttpHeadReader::Status::complete) use(reader.request());
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "wsx/proto/limits.hpp"
#include "wsx/result.hpp"

namespace wsx::proto {

struct HttpHeader {
    std::string name;   // as received; compare case-insensitively
    std::string value;  // OWS trimmed
};

/// Header fields of a request or a response.
struct HttpFields {
    std::vector<HttpHeader> headers;

    /// The value of the first field named `name` (case-insensitive), if any.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;

    /// How many fields are named `name`.
    [[nodiscard]] std::size_t header_count(std::string_view name) const noexcept;

    /// All fields named `name`, joined with ", " as RFC 9110 §5.3 allows for list fields.
    [[nodiscard]] std::string joined_header(std::string_view name) const;
};

/// A parsed request head.
struct HttpRequest : HttpFields {
    std::string method;
    std::string target;   // origin-form: path and optional query
    std::string version;  // "HTTP/1.1"
    std::string body;     // a plain request's body (Content-Length bytes); empty for none

    /// The target up to '?'.
    [[nodiscard]] std::string_view path() const noexcept;

    /// The target after '?', empty if none.
    [[nodiscard]] std::string_view query() const noexcept;
};

/// A parsed response head (the client side of the handshake, a proxy's answer to CONNECT).
struct HttpResponseHead : HttpFields {
    std::string version;  // "HTTP/1.1"
    int status = 0;
    std::string reason;
};

/// RFC 9110 §5.6.2 tchar.
[[nodiscard]] bool is_token_char(char c) noexcept;

/// Non-empty and all tchar.
[[nodiscard]] bool is_token(std::string_view s) noexcept;

/// `s` without leading and trailing spaces and tabs (RFC 9110 OWS).
[[nodiscard]] std::string_view trim_ows(std::string_view s) noexcept;

/// 1 to `max_digits` ASCII digits as a number (no sign, no blanks); nullopt otherwise. The default
/// bound keeps any value far below overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_decimal(std::string_view s,
                                                         std::size_t max_digits = 15) noexcept;

/// ASCII case-insensitive equality.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// `request`'s head as a client would send it: request line, fields, blank line (no body).
/// Parsing it again (parse_request_head) gives the same request, so a connection can keep a
/// request in this one string long after its parse, and parse it again only when asked.
[[nodiscard]] std::string format_request_head(const HttpRequest& request);

/// Parses one complete request head, within `limits`: HttpHeadReader's errors, bad_line_ending
/// if the blank line that ends it is missing. Bytes after it are ignored.
[[nodiscard]] Result<HttpRequest> parse_request_head(std::string_view head, const Limits& limits);

/// Incremental request head reader. Plain movable value; failure is sticky.
class HttpHeadReader {
public:
    enum class Status { need_more, complete, error };

    enum class Kind { request, response };

    explicit HttpHeadReader(const Limits& limits, Kind kind = Kind::request)
        : limits_(limits), kind_(kind) {}

    /// Consumes bytes from the front of `input` up to and including the blank line that ends
    /// the head; bytes after it stay in `input`.
    [[nodiscard]] Status feed(std::span<char>& input);

    /// The request; valid after feed() returned complete.
    [[nodiscard]] const HttpRequest& request() const noexcept { return request_; }

    [[nodiscard]] HttpRequest take_request() noexcept { return std::move(request_); }

    /// The response (Kind::response); valid after feed() returned complete.
    [[nodiscard]] const HttpResponseHead& response() const noexcept { return response_; }

    [[nodiscard]] std::error_code error() const noexcept { return error_; }

private:
    [[nodiscard]] std::error_code scan(char c);
    [[nodiscard]] std::error_code parse_head();
    [[nodiscard]] std::error_code parse_request_line(std::string_view line);
    [[nodiscard]] std::error_code parse_status_line(std::string_view line);
    [[nodiscard]] std::error_code parse_field_line(std::string_view line);

    Limits limits_;
    Kind kind_;
    std::string buf_;
    std::size_t line_start_ = 0;
    std::size_t lines_ = 0;
    bool after_cr_ = false;
    bool done_ = false;
    HttpRequest request_;
    HttpResponseHead response_;
    std::error_code error_;
};

}  // namespace wsx::proto
