// A document root served over HTTP: GET and HEAD, Content-Type by extension, index.html for
// folders (with a redirect to the slash form), Content-Length, Last-Modified/If-Modified-Since and
// ETag/If-None-Match (304), 404/403/405 with small bodies. Nothing outside the root is ever
// served: the percent-decoded path may not contain ".." segments or NUL, its real path (after
// symlinks) must stay under the root's, and the file is then opened beneath the root with no
// symlink allowed, so one swapped in after the check cannot lead elsewhere.
//
//     auto files = wsx::StaticFiles::open("examples/www");
//     options.on_http = [f = std::move(*files)](const auto& req, wsx::Connection&) {
//         return f.serve(req);
//     };
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wsx/http_response.hpp"
#include "wsx/net/unique_fd.hpp"
#include "wsx/proto/url.hpp"
#include "wsx/result.hpp"

namespace wsx {

class StaticFiles {
public:
    /// Opens a document root. Error: the realpath() failure (no such folder).
    [[nodiscard]] static Result<StaticFiles> open(const std::string& root);

    /// Answers one request. Thread-safe (reads the file system only).
    [[nodiscard]] HttpResponse serve(const proto::HttpRequest& request) const;

    [[nodiscard]] const std::string& root() const noexcept { return root_; }

private:
    StaticFiles(std::string root, std::shared_ptr<net::UniqueFd> root_fd)
        : root_(std::move(root)), root_fd_(std::move(root_fd)) {}

    std::string root_;                        // real path, no trailing slash
    std::shared_ptr<net::UniqueFd> root_fd_;  // O_PATH; files are opened beneath it
};

/// "text/html; charset=utf-8" and the like for a file name; application/octet-stream if unknown.
[[nodiscard]] std::string_view content_type_for(std::string_view path) noexcept;

/// True if a segment of `path` is "..".
[[nodiscard]] bool has_dot_dot_segment(std::string_view path) noexcept;

/// True if `path` is `root` or lies under it (both real paths, no trailing slash on `root`).
[[nodiscard]] bool is_beneath(std::string_view root, std::string_view path) noexcept;

using proto::percent_decode;  // the core's (wsx/proto/url.hpp)

}  // namespace wsx
