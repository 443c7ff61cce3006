// CGI/1.1 scripts; see cgi.hpp. A CgiSession owns the script's process (through ChildIo) and
// refers to its connection by id only; the connection holds a small CgiResponder whose
// destruction tells the session that the client is gone. CgiScripts copies on several loop
// threads share one CgiState: its sessions table is locked, each session lives on the loop of
// the connection that started it.
#include "wsx/cgi.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <variant>

#include <sys/stat.h>
#include <unistd.h>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"
#include "wsx/proto/cgi_response.hpp"
#include "wsx/proto/errc.hpp"
#include "wsx/server.hpp"
#include "wsx/static_files.hpp"

#include "cgi_env.hpp"
#include "child_io.hpp"
#include "session_table.hpp"

namespace wsx {
namespace detail {

class CgiSession;

struct CgiState {
    CgiOptions options;
    SessionTable<const CgiSession*, CgiSession> sessions;
};

}  // namespace detail

namespace {

using detail::CgiSession;
using detail::CgiState;

struct Script {
    std::string file;         // the executable's real path
    std::string script_name;  // its URL path
    std::string path_info;    // what followed it in the URL path
};

// The parts of the decoded `path` below a CGI folder name a script and, after it, extra path.
// Folders are walked down until the first segment that is not one (RFC 3875 §4.1.5).
std::variant<Script, HttpResponse> resolve(const std::string& root, const std::string& path,
                                           std::size_t folder_end) {
    std::string url = path.substr(0, folder_end);
    std::size_t pos = folder_end;
    while (pos < path.size()) {
        const std::size_t next = std::min(path.find('/', pos + 1), path.size());
        const std::string candidate = url + path.substr(pos, next - pos);

        struct stat st {};

        if (::stat((root + candidate).c_str(), &st) != 0) {
            return HttpResponse::text(404, "no such script");
        }
        url = candidate;
        pos = next;
        if (S_ISDIR(st.st_mode)) {
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            return HttpResponse::text(403, "not a script");
        }
        std::array<char, PATH_MAX> real{};
        if (realpath((root + url).c_str(), real.data()) == nullptr
            || !is_beneath(root, real.data())) {
            return HttpResponse::text(403, "path leaves the document root");
        }
        if (::access(real.data(), X_OK) != 0) {
            return HttpResponse::text(403, "script is not executable");
        }
        return Script{real.data(), url, path.substr(pos)};
    }
    return HttpResponse::text(403, "no script named (folders are not listed)");
}

std::string env_name(std::string_view header) {
    std::string name = "HTTP_";
    for (char ch : header) {
        name += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return name;
}

std::vector<std::string> environment(const proto::HttpRequest& r, Connection& c, const Script& s,
                                     const std::string& root) {
    const Server& server = c.server();
    std::string host(r.header("Host").value_or("localhost"));
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.back() != ']') {
        host.resize(colon);
    }
    std::vector<std::string> env = {
            "GATEWAY_INTERFACE=CGI/1.1",
            "SERVER_SOFTWARE=wsx",
            "SERVER_PROTOCOL=" + r.version,
            "SERVER_NAME=" + host,
            "SERVER_PORT=" + std::to_string(server.port()),
            "REQUEST_METHOD=" + r.method,
            "REQUEST_URI=" + r.target,
            "QUERY_STRING=" + std::string(r.query()),
            "SCRIPT_NAME=" + s.script_name,
            "SCRIPT_FILENAME=" + s.file,
            "PATH_INFO=" + s.path_info,
            "DOCUMENT_ROOT=" + root,
            "REMOTE_ADDR=" + c.remote_address().host(),
            "REMOTE_PORT=" + std::to_string(c.remote_address().port()),
    };
    if (!s.path_info.empty()) {
        env.push_back("PATH_TRANSLATED=" + root + s.path_info);
    }
    if (!r.body.empty() || r.header("Content-Length")) {
        env.push_back("CONTENT_LENGTH=" + std::to_string(r.body.size()));
    }
    if (auto type = r.header("Content-Type")) {
        env.push_back("CONTENT_TYPE=" + std::string(*type));
    }
    const std::string& credential = server.options().basic_auth_credential;
    if (!credential.empty()) {  // the request passed Basic authentication to get here
        env.push_back("AUTH_TYPE=Basic");
        env.push_back("REMOTE_USER=" + credential.substr(0, credential.find(':')));
    }
    if (const char* path = std::getenv("PATH")) {
        env.push_back(std::string("PATH=") + path);
    }
    add_header_variables(r, env);
    add_tls_variables(c, env);
    return env;
}

}  // namespace

void add_header_variables(const proto::HttpRequest& request, std::vector<std::string>& env) {
    // RFC 3875 §4.1.18. Left out: credentials (Authorization, Proxy-Authorization, §4.1.18 "MAY"
    // and prudent), Content-Length and Content-Type (CONTENT_*), Proxy: HTTP_PROXY would steer
    // the script's own outgoing requests ("httpoxy", CVE-2016-5385), and names with '_', which
    // would pass for another field's variable (X_Forwarded_For for X-Forwarded-For), as Apache.
    std::vector<std::string> seen;
    for (const auto& h : request.headers) {
        if (h.name.find('_') != std::string::npos || proto::iequals(h.name, "Authorization")
            || proto::iequals(h.name, "Proxy-Authorization")
            || proto::iequals(h.name, "Content-Length") || proto::iequals(h.name, "Content-Type")
            || proto::iequals(h.name, "Proxy")) {
            continue;
        }
        std::string name = env_name(h.name);
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            continue;
        }
        seen.push_back(name);
        env.push_back(name + "=" + request.joined_header(h.name));
    }
}

namespace detail {

class CgiSession final : public ChildIo, public std::enable_shared_from_this<CgiSession> {
public:
    CgiSession(const std::shared_ptr<CgiState>& state, Connection& c, net::ChildProcess child,
               const std::string& name)
        : ChildIo(c.server().loop(), std::move(child),
                  c.remote_address().to_string() + " " + name + ": CGI",
                  state->options.kill_grace_ms),
          state_(state),
          server_(c.server()),
          id_(c.id()),
          head_(state->options.head_limits),
          timeout_ms_(state->options.timeout_ms) {
        arm_timeout();
    }

    ~CgiSession() override { loop_.cancel_timer(timeout_timer_); }

    void start(const std::string& body) {
        write_stdin(body);
        close_stdin_when_written();  // the script reads CONTENT_LENGTH bytes, then EOF
    }

    // The connection went away, or the response was given: the script's output is not wanted.
    void detach() {
        detached_ = true;
        if (!answered_) {
            answered_ = true;
            terminate();
        }
        maybe_done();
    }

    void resume() {
        arm_timeout();
        pause_stdout(false);
    }

private:
    // The script may go this long without output while we are ready to take it; time spent
    // waiting for a slow client does not count (the connection has its own stall limit).
    void arm_timeout() {
        loop_.cancel_timer(timeout_timer_);
        timeout_timer_ = loop_.add_timer(timeout_ms_, [this] {
            timeout_timer_ = 0;
            on_timeout();
        });
    }

    Connection* connection() const { return server_.find_connection(id_); }

    void answer_now(HttpResponse response) {
        answered_ = true;
        if (Connection* c = connection()) {
            (void)c->respond_http(std::move(response));
        }
        terminate();
    }

    void on_stdout(std::string_view data) override {
        if (answered_) {
            return;  // discarded: the answer is given, or nobody is listening
        }
        arm_timeout();
        std::span<const char> in(data);
        if (!head_done_) {
            const auto status = head_.feed(in);
            if (status == proto::CgiHeadReader::Status::need_more) {
                return;
            }
            if (status == proto::CgiHeadReader::Status::error) {
                net::log_warn(log_prefix(), ": ", head_.error().message(), " (502)");
                answer_now(HttpResponse::text(502, "the CGI script's response is malformed"));
                return;
            }
            head_done_ = true;
            const proto::CgiResponse& r = head_.response();
            Connection* c = connection();
            if (c == nullptr || !c->begin_http_response(r.status, r.headers, r.content_length)) {
                detach();
                return;
            }
        }
        write_body(std::string_view(in.data(), in.size()));
    }

    void write_body(std::string_view data) {
        Connection* c = connection();
        if (c == nullptr || data.empty()) {
            return;
        }
        // A client that does not read stops us reading the script (which then blocks on its
        // full pipe): memory stays bounded by the connection's watermarks.
        const SendStatus s = c->write_http_body(data);
        if (s == SendStatus::backpressure) {
            loop_.cancel_timer(timeout_timer_);
            timeout_timer_ = 0;
            pause_stdout(true);
        }
    }

    void on_stdout_end() override {
        if (!answered_) {
            if (!head_done_) {
                net::log_warn(log_prefix(), ": output ended before a complete header section");
                answer_now(HttpResponse::text(502, "the CGI script gave no response"));
            } else {
                answered_ = true;
                if (Connection* c = connection()) {
                    c->end_http_response(true);
                }
            }
        }
        maybe_done();
    }

    void on_exit(int status) override {
        if (status != 0) {
            net::log_warn(log_prefix(), ": process ", pid(), " exited with status ", status);
        }
        maybe_done();
    }

    void on_timeout() {
        if (answered_) {
            return;
        }
        net::log_warn(log_prefix(), ": no output for ", timeout_ms_, " ms; ending the script");
        if (!head_done_) {
            answer_now(HttpResponse::text(504, "the CGI script took too long"));
            return;
        }
        answered_ = true;
        if (Connection* c = connection()) {
            c->end_http_response(false);  // the body is cut short: the client must see it
        }
        terminate();
    }

    void maybe_done() {
        // Done once the process is reaped and its output is over or unwanted.
        if (!exited() || (stdout_open() && !answered_) || done_) {
            return;
        }
        done_ = true;
        // Its slot is free now (the next script may start at once); it is freed after this
        // iteration, as its watches may still be in the current batch of events.
        if (auto shared = state_.lock()) {
            loop_.defer([self = shared->sessions.take(this)] {});
        }
    }

    std::weak_ptr<CgiState> state_;  // weak: the state owns the sessions
    Server& server_;
    std::uint64_t id_;
    proto::CgiHeadReader head_;
    bool head_done_ = false;
    bool answered_ = false;  // the response is complete, failed or unwanted
    bool detached_ = false;
    bool done_ = false;
    net::TimeMs timeout_ms_;
    net::TimerId timeout_timer_ = 0;
};

}  // namespace detail

namespace {

// Held by the connection while it waits for or sends the script's response.
class CgiResponder final : public HttpResponder {
public:
    explicit CgiResponder(std::weak_ptr<CgiSession> session) : session_(std::move(session)) {}

    ~CgiResponder() override {
        if (auto s = session_.lock()) {
            s->detach();
        }
    }

    void on_drain() override {
        if (auto s = session_.lock()) {
            s->resume();
        }
    }

private:
    std::weak_ptr<CgiSession> session_;
};

std::string normalized_folder(std::string p) {
    if (p.empty() || p.front() != '/') {
        p.insert(p.begin(), '/');  // not insert(0, "/"): g++ 12 -O3 reports a false -Wrestrict
    }
    while (p.size() > 1 && p.back() == '/') {
        p.pop_back();
    }
    return p;
}

// The script's session, or null (logged) if it could not be run.
std::shared_ptr<CgiSession> start_script(const std::shared_ptr<CgiState>& state,
                                         const proto::HttpRequest& request, Connection& connection,
                                         const Script& script) {
    const CgiOptions& o = state->options;
    const std::string folder = script.file.substr(0, script.file.rfind('/'));
    auto child =
            net::spawn_process({.path = script.file,
                                .argv = {script.file},
                                .env = environment(request, connection, script, o.document_root),
                                .cwd = folder.empty() ? "/" : folder});
    if (!child) {
        net::log_error(connection.remote_address().to_string(), " ", script.script_name,
                       ": cannot run ", script.file, ": ", child.error().message());
        return nullptr;
    }
    return std::make_shared<CgiSession>(state, connection, std::move(*child), script.script_name);
}

}  // namespace

CgiScripts::CgiScripts(CgiOptions options) : state_(std::make_shared<CgiState>()) {
    for (auto& p : options.paths) {
        p = normalized_folder(std::move(p));
    }
    state_->options = std::move(options);
}

std::size_t CgiScripts::running() const {
    return state_->sessions.size();
}

bool CgiScripts::handles(const proto::HttpRequest& request) const {
    const auto decoded = percent_decode(request.path());
    if (!decoded) {
        return false;
    }
    return std::any_of(state_->options.paths.begin(), state_->options.paths.end(),
                       [&](const std::string& folder) {
                           const std::size_t n = folder == "/" ? 0 : folder.size();
                           return decoded->compare(0, n, folder, 0, n) == 0
                                  && (decoded->size() == n || (*decoded)[n] == '/');
                       });
}

HttpResponse CgiScripts::serve(const proto::HttpRequest& request, Connection& connection) const {
    const auto decoded = percent_decode(request.path());
    if (!decoded) {
        return HttpResponse::text(400, "malformed percent-encoding in the path");
    }
    if (has_dot_dot_segment(*decoded)) {
        return HttpResponse::text(403, "path leaves the document root");
    }
    const CgiOptions& o = state_->options;
    std::optional<std::size_t> folder_end;  // the longest CGI folder the path is in
    for (const auto& folder : o.paths) {
        const std::size_t n = folder == "/" ? 0 : folder.size();
        if (decoded->compare(0, n, folder, 0, n) == 0
            && (decoded->size() == n || (*decoded)[n] == '/')) {
            folder_end = std::max(folder_end.value_or(0), n);
        }
    }
    if (!folder_end) {
        return HttpResponse::text(404, "not a CGI path");
    }
    auto resolved = resolve(o.document_root, *decoded, *folder_end);
    if (auto* error = std::get_if<HttpResponse>(&resolved)) {
        return std::move(*error);
    }
    const Script& script = std::get<Script>(resolved);
    if (!state_->sessions.reserve(o.max_processes)) {  // the slot is settled below
        HttpResponse r = HttpResponse::text(503, "too many CGI scripts running");
        r.headers.emplace_back("Retry-After", "1");
        return r;
    }
    auto session = start_script(state_, request, connection, script);
    state_->sessions.settle(session.get(), session);
    if (!session) {
        return HttpResponse::text(500, "the CGI script did not start");
    }
    session->start(request.body);
    return HttpResponse::deferred(std::make_unique<CgiResponder>(session));
}

}  // namespace wsx
