// CGI/1.1 (RFC 3875) for executables under the document root's CGI folders, the way pywebsocket's
// `-x/--cgi-paths /cgi-bin,/htbin` works: a request for /cgi-bin/app.py/extra?x=1 runs
// DOCROOT/cgi-bin/app.py with PATH_INFO=/extra, QUERY_STRING=x=1 and the request body on stdin,
// and its output (header fields, a blank line, the body) becomes the response, streamed as it
// comes: with its Content-Length if it gave one, else chunked (HTTP/1.1) or ended by the
// connection's close (HTTP/1.0). Pipes are non-blocking; a client that does not read stops the
// server reading the script's output. A script that writes a malformed header gets 502, one that
// takes longer than the timeout is ended (SIGTERM, then SIGKILL) with 504, or its body cut short
// if it had begun; past the cap on running scripts, 503. A client that goes away ends its script.
//
//     wsx::CgiScripts cgi({.document_root = files.root(), .paths = {"/cgi-bin"}});
//     options.on_http = [cgi, files](const auto& req, wsx::Connection& c) {
//         return cgi.handles(req) ? cgi.serve(req, c) : files.serve(req);
//     };
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "wsx/http_response.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/proto/limits.hpp"

namespace wsx {

struct CgiOptions {
    std::string document_root;       // a real path, as StaticFiles::root() gives
    std::vector<std::string> paths;  // URL folders under the root: "/cgi-bin"
    /// From the start of the script until the end of its output.
    net::TimeMs timeout_ms = 30'000;
    std::size_t max_processes = 32;     // running at once; past it: 503
    net::TimeMs kill_grace_ms = 2'000;  // SIGTERM, then SIGKILL after this
    /// Limits of the script's header section (size, line, field count).
    proto::Limits head_limits;
};

namespace detail {
struct CgiState;
}

/// Copies share their running scripts and their cap, and may be used on different loop threads
/// at once (a script's session stays on the loop thread of the connection that started it).
class CgiScripts {
public:
    explicit CgiScripts(CgiOptions options);

    /// True if the request's path lies in one of the CGI folders.
    [[nodiscard]] bool handles(const proto::HttpRequest& request) const;

    /// Runs the script for `request`: a deferred response, or at once 400, 403 (not executable,
    /// a folder, outside the root), 404, 500 (could not start) or 503 (too many running).
    [[nodiscard]] HttpResponse serve(const proto::HttpRequest& request,
                                     Connection& connection) const;

    /// Scripts running now, on every loop thread.
    [[nodiscard]] std::size_t running() const;

private:
    std::shared_ptr<detail::CgiState> state_;
};

}  // namespace wsx
