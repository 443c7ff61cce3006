// The header section a CGI script writes before its body (RFC 3875 §6), read incrementally and
// turned into what the HTTP response needs: a status, header fields to pass on, and the body's
// length if the script gave one. Lines end in LF or CRLF (scripts write either); every limit is
// checked before more is stored; anything malformed is an error (the server answers 502), never a
// guess, so a script cannot smuggle a second response or a bare CR into ours.
//
//     CgiHeadReader reader(limits);
//     std::span<const char> in = bytes_from_stdout;
//     if (reader.feed(in) == CgiHeadReader::Status::complete) send(reader.response(), in);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "wsx/proto/handshake.hpp"
#include "wsx/proto/limits.hpp"

namespace wsx::proto {

struct CgiResponse {
    /// From "Status: 404 Not Found"; 302 for a Location without Status (RFC 3875 §6.2.3); else 200.
    int status = 200;
    /// The script's fields in order, without Status, Content-Length and hop-by-hop fields
    /// (Connection, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade, Proxy-Connection).
    HeaderList headers;
    /// From Content-Length, if the script sent one.
    std::optional<std::uint64_t> content_length;
};

/// Incremental reader of a CGI response's header section. Plain movable value; failure is sticky.
/// Limits used: max_head_size (whole section), max_line_size, max_header_count.
class CgiHeadReader {
public:
    enum class Status { need_more, complete, error };

    explicit CgiHeadReader(const Limits& limits) : limits_(limits) {}

    /// Consumes bytes from the front of `input` up to and including the blank line that ends
    /// the header section; the body's first bytes stay in `input`.
    [[nodiscard]] Status feed(std::span<const char>& input);

    /// Valid after feed() returned complete.
    [[nodiscard]] const CgiResponse& response() const noexcept { return response_; }

    /// Errors: cgi_head_too_large, bad_cgi_response.
    [[nodiscard]] std::error_code error() const noexcept { return error_; }

private:
    [[nodiscard]] std::error_code parse_line(std::string_view line);
    [[nodiscard]] std::error_code finish();

    Limits limits_;
    std::string line_;
    std::size_t consumed_ = 0;
    std::size_t fields_ = 0;
    bool has_status_ = false;
    bool has_location_ = false;
    bool done_ = false;
    CgiResponse response_;
    std::error_code error_;
};

}  // namespace wsx::proto
