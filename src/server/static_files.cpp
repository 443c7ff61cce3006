// Document root; see static_files.hpp. Rule: the path check happens on the decoded path and again
// on the real path, so neither an encoded ".." nor a symlink can leave the root.
#include "wsx/static_files.hpp"

#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wsx/net/errc.hpp"

namespace wsx {
namespace {

struct MimeType {
    std::string_view extension;
    std::string_view type;
};

constexpr MimeType kMimeTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".xml", "application/xml"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".wasm", "application/wasm"},
        {".pdf", "application/pdf"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".mp4", "video/mp4"},
        {".webm", "video/webm"},
        {".py", "text/plain; charset=utf-8"},
};

std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 64> buf{};
    const auto n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {buf.data(), n};
}

// RFC 9110 §5.6.7: IMF-fixdate only (the obsolete forms are treated as absent).
bool parse_http_date(std::string_view s, std::time_t& out) {
    std::tm tm{};
    const std::string str(s);
    const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
        return false;
    }
    out = timegm(&tm);
    return true;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match == "*") {
        return true;
    }
    // A list of entity tags; ours are unique strings, so containment is the comparison.
    return if_none_match.find(etag) != std::string_view::npos;
}

HttpResponse not_found() {
    return HttpResponse::text(404, "not found");
}

}  // namespace

std::string_view content_type_for(std::string_view path) noexcept {
    const auto dot = path.rfind('.');
    if (dot != std::string_view::npos) {
        const std::string_view ext = path.substr(dot);
        for (const auto& m : kMimeTypes) {
            if (proto::iequals(ext, m.extension)) {
                return m.type;
            }
        }
    }
    return "application/octet-stream";
}

bool has_dot_dot_segment(std::string_view path) noexcept {
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto segment = path.substr(
                start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (segment == "..") {
            return true;
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return false;
}

bool is_beneath(std::string_view root, std::string_view path) noexcept {
    return path.substr(0, root.size()) == root
           && (path.size() == root.size() || path[root.size()] == '/');
}

namespace {

// Opens `real` (a real path under `root`, checked) so that a symlink swapped in after the check
// cannot lead the open elsewhere: openat2 from the root's descriptor with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS (Linux 5.6). Where openat2 is missing or filtered, a plain open.
int open_beneath(int root_fd, std::string_view root, const std::string& real) {
    const std::string relative(real.size() > root.size() ? real.substr(root.size() + 1) : ".");
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
        return ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
    }
    return static_cast<int>(fd);
}

// A strong validator from size and modification time, which change whenever the content does.
std::string entity_tag(const struct stat& st) {
    char etag_buf[64];
    std::snprintf(etag_buf, sizeof etag_buf, "\"%llx-%llx\"",
                  static_cast<unsigned long long>(st.st_size),
                  static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1'000'000'000ULL
                          + static_cast<unsigned long long>(st.st_mtim.tv_nsec));
    return etag_buf;
}

// RFC 9110 §13.1.2/§13.1.3: If-None-Match wins over If-Modified-Since.
bool is_not_modified(const proto::HttpRequest& request, std::string_view etag,
                     std::time_t modified) {
    if (auto inm = request.header("If-None-Match")) {
        return etag_matches(*inm, etag);
    }
    if (auto ims = request.header("If-Modified-Since")) {
        std::time_t since = 0;
        return parse_http_date(*ims, since) && modified <= since;
    }
    return false;
}

// 200 with the open regular file `fd` (real path `resolved`), or 304 if the client's copy is
// current.
HttpResponse file_response(const proto::HttpRequest& request, std::string_view resolved,
                           net::UniqueFd fd, const struct stat& st) {
    const std::string etag = entity_tag(st);
    HttpResponse r;
    r.headers.emplace_back("Content-Type", std::string(content_type_for(resolved)));
    r.headers.emplace_back("Last-Modified", http_date(st.st_mtim.tv_sec));
    r.headers.emplace_back("ETag", etag);
    if (is_not_modified(request, etag, st.st_mtim.tv_sec)) {
        r.status = 304;
        return r;
    }
    r.file = std::move(fd);
    r.file_size = static_cast<std::uint64_t>(st.st_size);
    return r;
}

}  // namespace

Result<StaticFiles> StaticFiles::open(const std::string& root) {
    std::array<char, PATH_MAX> real{};
    if (realpath(root.c_str(), real.data()) == nullptr) {
        return net::last_system_error();
    }
    std::string r = real.data();
    while (r.size() > 1 && r.back() == '/') {
        r.pop_back();
    }
    auto fd = std::make_shared<net::UniqueFd>(::open(r.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd->valid()) {
        return net::last_system_error();
    }
    return StaticFiles(std::move(r), std::move(fd));
}

HttpResponse StaticFiles::serve(const proto::HttpRequest& request) const {
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = HttpResponse::text(405, "only GET and HEAD are served here");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    const auto decoded = percent_decode(request.path());
    if (!decoded) {
        return HttpResponse::text(400, "malformed percent-encoding in the path");
    }
    if (has_dot_dot_segment(*decoded)) {
        return HttpResponse::text(403, "path leaves the document root");
    }
    std::string path = root_ + *decoded;

    struct stat st {};

    if (::stat(path.c_str(), &st) != 0) {
        return not_found();
    }
    if (S_ISDIR(st.st_mode)) {
        if (decoded->empty() || decoded->back() != '/') {
            HttpResponse r = HttpResponse::text(301, "moved");
            r.headers.emplace_back("Location", std::string(request.path()) + "/");
            return r;
        }
        path += "index.html";
    }
    std::array<char, PATH_MAX> real{};
    if (realpath(path.c_str(), real.data()) == nullptr) {
        return not_found();
    }
    const std::string_view resolved = real.data();
    if (!is_beneath(root_, resolved)) {
        return HttpResponse::text(403, "path leaves the document root");
    }
    net::UniqueFd fd(open_beneath(root_fd_->get(), root_, real.data()));
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
        return HttpResponse::text(403, "not readable");
    }
    if (!S_ISREG(st.st_mode)) {
        return not_found();
    }
    return file_response(request, resolved, std::move(fd), st);
}

}  // namespace wsx
