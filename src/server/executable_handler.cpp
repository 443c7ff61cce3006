// Executable handlers; see executable_handler.hpp. A Session owns the child process and watches
// its four descriptors (stdin, stdout, stderr, pidfd) on the loop. It refers to its connection by
// id only, so it can outlive it: a session ends when its process has been reaped.
#include "wsx/executable_handler.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <memory>
#include <unordered_map>

#include <sys/wait.h>
#include <unistd.h>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"
#include "wsx/net/process.hpp"
#include "wsx/server.hpp"

namespace wsx {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxStderrLine = 4096;

class Session;

struct SharedState {
    ExecutableOptions options;
    std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;  // by connection id
};

// Calls a Session member when its descriptor is ready.
class Watch final : public net::IoHandler {
public:
    using Fn = void (Session::*)();

    Watch(Session& s, Fn fn) : session_(s), fn_(fn) {}

    void on_io(bool, bool) override;

private:
    Session& session_;
    Fn fn_;
};

std::vector<std::string> environment(Connection& c, const std::string& script) {
    std::vector<std::string> env = {"GATEWAY_INTERFACE=CGI/1.1",
                                    "SERVER_SOFTWARE=wsx",
                                    "SERVER_PROTOCOL=HTTP/1.1",
                                    "REQUEST_METHOD=GET",
                                    "REMOTE_ADDR=" + c.remote_address().host(),
                                    "REMOTE_PORT=" + std::to_string(c.remote_address().port()),
                                    "SCRIPT_NAME=" + script,
                                    "SERVER_PORT=" + std::to_string(c.server().port()),
                                    "WEBSOCKET_PROTOCOL=" + c.subprotocol()};
    if (const char* path = std::getenv("PATH")) {
        env.push_back(std::string("PATH=") + path);
    }
    if (const proto::HttpRequest* r = c.request()) {
        env.push_back("REQUEST_URI=" + r->target);
        env.push_back("QUERY_STRING=" + std::string(r->query()));
        for (const auto& h : r->headers) {
            std::string name = "HTTP_" + h.name;
            std::transform(name.begin(), name.end(), name.begin(), [](char ch) {
                return ch == '-' ? '_'
                                 : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            });
            env.push_back(name + "=" + h.value);
        }
    }
    return env;
}

class Session {
public:
    Session(const std::shared_ptr<SharedState>& state, Connection& c, net::ChildProcess child)
        : state_(state),
          options_(state->options),
          server_(c.server()),
          loop_(c.server().loop()),
          id_(c.id()),
          peer_(c.remote_address().to_string() + " " + std::string(c.path())),
          child_(std::move(child)) {
        watch(child_.stdout_fd.get(), {.read = true}, stdout_watch_);
        watch(child_.stderr_fd.get(), {.read = true}, stderr_watch_);
        watch(child_.pidfd.get(), {.read = true}, exit_watch_);
        stdin_registered_ = watch(child_.stdin_fd.get(), {}, stdin_watch_);
    }

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    ~Session() {
        for (int fd : {child_.stdin_fd.get(), child_.stdout_fd.get(), child_.stderr_fd.get(),
                       child_.pidfd.get()}) {
            if (fd >= 0) {
                loop_.remove(fd);
            }
        }
        loop_.cancel_timer(kill_timer_);
        if (!exited_) {
            // The server is going away with the process still running: it must not outlive us.
            net::signal_process(child_, SIGKILL);
            int status = 0;
            while (::waitpid(child_.pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }

    void to_stdin(std::string_view data, MessageType type) {
        if (!child_.stdin_fd.valid()) {
            return;
        }
        if (options_.binary_mode) {
            // One frame per message: type byte (1 text, 2 binary), 4-byte big-endian length.
            const auto n = static_cast<std::uint32_t>(data.size());
            const char head[5] = {static_cast<char>(type == MessageType::binary ? 2 : 1),
                                  static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                  static_cast<char>(n >> 8), static_cast<char>(n)};
            stdin_queue_.append(head, sizeof head);
            stdin_queue_.append(data);
        } else {
            stdin_queue_.append(data);
            stdin_queue_.push_back('\n');
        }
        write_stdin();
    }

    // The WebSocket is gone: end the process (stdin EOF, SIGTERM, then SIGKILL).
    void end() {
        close_fd(child_.stdin_fd, stdin_registered_);
        if (!exited_) {
            net::signal_process(child_, SIGTERM);
            kill_timer_ = loop_.add_timer(options_.kill_grace_ms, [this] {
                kill_timer_ = 0;
                net::log_warn(peer_, ": handler process ", child_.pid, " ignored SIGTERM; SIGKILL");
                net::signal_process(child_, SIGKILL);
            });
        }
    }

    void resume_stdout() {
        if (stdout_paused_ && child_.stdout_fd.valid()) {
            stdout_paused_ = false;
            (void)loop_.modify(child_.stdout_fd.get(), {.read = true}, stdout_watch_);
            on_stdout();
        }
    }

private:
    bool watch(int fd, net::Interest interest, Watch& w) { return !loop_.add(fd, interest, w); }

    void close_fd(net::UniqueFd& fd, bool registered = true) {
        if (fd.valid()) {
            if (registered) {
                loop_.remove(fd.get());
            }
            fd.reset();
        }
    }

    Connection* connection() const { return server_.find_connection(id_); }

    void write_stdin() {
        while (!stdin_queue_.empty()) {
            const ssize_t n =
                    ::write(child_.stdin_fd.get(), stdin_queue_.data(), stdin_queue_.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                break;
            }
            if (n < 0) {  // EPIPE: the process closed its stdin; drop what it will not read
                stdin_queue_.clear();
                close_fd(child_.stdin_fd, stdin_registered_);
                if (Connection* c = connection()) {
                    c->set_reading_paused(false);
                }
                return;
            }
            stdin_queue_.erase(0, static_cast<std::size_t>(n));
        }
        (void)loop_.modify(child_.stdin_fd.get(), {.write = !stdin_queue_.empty()}, stdin_watch_);
        // Backpressure toward the peer: stop reading it while the process does not keep up.
        if (Connection* c = connection()) {
            const std::size_t limit = options_.stdin_limit;
            if (stdin_queue_.size() > limit) {
                c->set_reading_paused(true);
            } else if (stdin_queue_.size() <= limit / 2) {
                c->set_reading_paused(false);
            }
        }
    }

    void on_stdin() { write_stdin(); }

    void on_stdout() {
        char buf[kReadChunk];
        while (!stdout_paused_ && child_.stdout_fd.valid()) {
            const ssize_t n = ::read(child_.stdout_fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                if (n == 0 || errno != EAGAIN) {
                    close_fd(child_.stdout_fd);
                }
                return;
            }
            stdout_buf_.append(buf, static_cast<std::size_t>(n));
            send_output();
        }
    }

    void send_output() {
        if (options_.binary_mode) {
            send_frames();
        } else {
            send_lines();
        }
        // Backpressure toward the process: a peer that does not read stops us reading stdout.
        Connection* c = connection();
        if (c != nullptr && c->buffered_amount() > server_.options().buffer.high_watermark) {
            stdout_paused_ = true;
            (void)loop_.modify(child_.stdout_fd.get(), {}, stdout_watch_);
        }
    }

    void too_long(Connection* c) {
        if (c != nullptr) {
            net::log_warn(peer_, ": handler output message over ", options_.max_line,
                          " bytes (close 1009)");
            (void)c->close(1009, "handler output too long");
        }
        stdout_buf_.clear();
    }

    // Binary mode: frames of type byte, 4-byte big-endian length, payload.
    void send_frames() {
        Connection* c = connection();
        std::size_t pos = 0;
        while (stdout_buf_.size() - pos >= 5) {
            const auto* h = reinterpret_cast<const unsigned char*>(stdout_buf_.data() + pos);
            const std::size_t n = (std::size_t{h[1]} << 24) | (std::size_t{h[2]} << 16)
                                  | (std::size_t{h[3]} << 8) | h[4];
            if (n > options_.max_line || (h[0] != 1 && h[0] != 2)) {
                too_long(c);  // or malformed: either way the stream cannot continue
                return;
            }
            if (stdout_buf_.size() - pos - 5 < n) {
                break;
            }
            if (c != nullptr) {
                (void)c->send(std::string_view(stdout_buf_).substr(pos + 5, n),
                              h[0] == 2 ? MessageType::binary : MessageType::text);
            }
            pos += 5 + n;
        }
        stdout_buf_.erase(0, pos);
    }

    void send_lines() {
        Connection* c = connection();
        std::size_t start = 0;
        for (auto nl = stdout_buf_.find('\n'); nl != std::string::npos;
             nl = stdout_buf_.find('\n', start)) {
            if (c != nullptr) {
                (void)c->send_text(std::string_view(stdout_buf_).substr(start, nl - start));
            }
            start = nl + 1;
        }
        stdout_buf_.erase(0, start);
        if (stdout_buf_.size() > options_.max_line) {
            too_long(c);
        }
    }

    void on_stderr() {
        char buf[kReadChunk];
        for (;;) {
            const ssize_t n = ::read(child_.stderr_fd.get(), buf, sizeof buf);
            if (n <= 0) {
                if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close_fd(child_.stderr_fd);
                }
                return;
            }
            stderr_buf_.append(buf, static_cast<std::size_t>(n));
            for (auto nl = stderr_buf_.find('\n'); nl != std::string::npos;
                 nl = stderr_buf_.find('\n')) {
                net::log_warn(peer_,
                              ": handler stderr: ", std::string_view(stderr_buf_).substr(0, nl));
                stderr_buf_.erase(0, nl + 1);
            }
            if (stderr_buf_.size() > kMaxStderrLine) {
                net::log_warn(peer_, ": handler stderr: ", stderr_buf_);
                stderr_buf_.clear();
            }
        }
    }

    void on_exit() {
        const int status = net::reap_process(child_);
        if (status < 0) {
            return;
        }
        exited_ = true;
        close_fd(child_.pidfd);
        stdout_paused_ = false;
        on_stdout();  // what it wrote before exiting still goes out
        on_stderr();
        if (Connection* c = connection()) {
            (void)c->close(status == 0 ? 1000 : 1011, status == 0 ? "" : "handler failed");
        }
        if (status != 0) {
            net::log_warn(peer_, ": handler process ", child_.pid, " exited with status ", status);
        }
        // Freed after this iteration: its watches may still be in the current batch of events.
        loop_.defer([state = state_, id = id_] {
            if (auto shared = state.lock()) {
                shared->sessions.erase(id);
            }
        });
    }

    std::weak_ptr<SharedState> state_;  // weak: the state owns the sessions
    const ExecutableOptions& options_;
    Server& server_;
    net::Loop& loop_;
    std::uint64_t id_;
    std::string peer_;
    net::ChildProcess child_;
    Watch stdin_watch_{*this, &Session::on_stdin};
    Watch stdout_watch_{*this, &Session::on_stdout};
    Watch stderr_watch_{*this, &Session::on_stderr};
    Watch exit_watch_{*this, &Session::on_exit};
    bool stdin_registered_ = false;
    bool stdout_paused_ = false;
    bool exited_ = false;
    std::string stdin_queue_;
    std::string stdout_buf_;
    std::string stderr_buf_;
    net::TimerId kill_timer_ = 0;
};

void Watch::on_io(bool, bool) {
    (session_.*fn_)();
}

}  // namespace

Handlers make_executable_handlers(ExecutableOptions options) {
    auto state = std::make_shared<SharedState>();
    state->options = std::move(options);
    Handlers h;
    h.on_upgrade = [state](const UpgradeContext& ctx) {
        if (state->sessions.size() >= state->options.max_processes) {
            return UpgradeDecision::reject(503, "too many handler processes");
        }
        const auto& supported = ctx.connection.server().options().subprotocols;
        for (const auto& offered : ctx.subprotocols) {
            if (std::find(supported.begin(), supported.end(), offered) != supported.end()) {
                return UpgradeDecision::accept(offered);
            }
        }
        return UpgradeDecision::accept();
    };
    h.on_open = [state](Connection& c) {
        const std::string& path = state->options.path;
        auto child = net::spawn_process(
                {.path = path, .argv = {path}, .env = environment(c, std::string(c.path()))});
        if (!child) {
            net::log_error(c.remote_address().to_string(), " ", c.path(), ": cannot run ", path,
                           ": ", child.error().message());
            (void)c.close(1011, "handler did not start");
            return;
        }
        state->sessions[c.id()] = std::make_shared<Session>(state, c, std::move(*child));
    };
    h.on_message = [state](Connection& c, std::string_view data, MessageType type) {
        if (type == MessageType::binary && !state->options.binary_mode) {
            (void)c.close(1003, "this handler takes text lines only");
            return;
        }
        if (auto it = state->sessions.find(c.id()); it != state->sessions.end()) {
            it->second->to_stdin(data, type);
        }
    };
    h.on_drain = [state](Connection& c) {
        if (auto it = state->sessions.find(c.id()); it != state->sessions.end()) {
            it->second->resume_stdout();
        }
    };
    h.on_close = [state](Connection& c, std::uint16_t, std::string_view, bool) {
        if (auto it = state->sessions.find(c.id()); it != state->sessions.end()) {
            it->second->end();
        }
    };
    return h;
}

}  // namespace wsx
