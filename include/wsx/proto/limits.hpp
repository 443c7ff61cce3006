// Limits and timeouts of one protocol endpoint, with their documented defaults. Every buffer the
// core keeps is bounded by one of these.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsx::proto {

/// Milliseconds on a monotonic clock the caller reads; the core never reads a clock itself.
using TimeMs = std::int64_t;

/// Limits of one endpoint. Fill with designated initialisers; every field has a sane default.
struct Limits {
    /// Request head (request line + header fields + blank line) in bytes; past it: 431.
    std::size_t max_head_size = 16 * 1024;
    /// One line of the request head, CRLF excluded; past it: 431.
    std::size_t max_line_size = 8 * 1024;
    /// Header fields in the request head; past it: 431.
    std::size_t max_header_count = 100;
    /// One message, counted across its fragments and checked against each announced frame
    /// length before anything is stored; past it: close 1009.
    std::size_t max_message_size = 16 * 1024 * 1024;
    /// The body of a plain HTTP request (a form posted to a CGI script), announced by
    /// Content-Length; past it: 413 before any of it is read.
    std::size_t max_request_body = 1024 * 1024;
    /// From creation (or the end of the previous response on a kept-alive connection) until a
    /// request head and its body are read; then the connection is dropped (server) or failed
    /// (client). The time the application takes to answer is its own.
    TimeMs handshake_timeout_ms = 10'000;
    /// Nothing received for this long closes the connection with 1001; after half of it in
    /// silence a keepalive ping goes out. 0 disables both.
    TimeMs idle_timeout_ms = 60'000;
    /// After a close frame is sent, how long to wait for the peer's one.
    TimeMs closing_timeout_ms = 5'000;
};

}  // namespace wsx::proto
