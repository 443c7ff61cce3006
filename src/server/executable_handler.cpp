// Executable handlers; see executable_handler.hpp. A Session owns the child process and watches
// its four descriptors (stdin, stdout, stderr, pidfd) on the loop. It refers to its connection by
// id only, so it can outlive it: a session ends when its process has been reaped. The sessions
// table is shared by every loop thread serving the route (connection ids are unique across
// loops); each session lives on the loop of its connection.
#include "wsx/executable_handler.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <memory>

#include <sys/wait.h>
#include <unistd.h>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"
#include "wsx/net/process.hpp"
#include "wsx/server.hpp"

#include "cgi_env.hpp"
#include "child_io.hpp"
#include "session_table.hpp"

namespace wsx {
namespace {

class Session;

struct SharedState {
    ExecutableOptions options;
    detail::SessionTable<std::uint64_t, Session> sessions;  // by connection id
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
        add_header_variables(*r, env);
    }
    add_tls_variables(c, env);
    return env;
}

class Session final : public detail::ChildIo {
public:
    Session(const std::shared_ptr<SharedState>& state, Connection& c, net::ChildProcess child)
        : ChildIo(c.server().loop(), std::move(child),
                  c.remote_address().to_string() + " " + std::string(c.path()) + ": handler",
                  state->options.kill_grace_ms),
          state_(state),
          options_(state->options),
          server_(c.server()),
          id_(c.id()) {}

    void to_stdin(std::string_view data, MessageType type) {
        if (options_.binary_mode) {
            // One frame per message: type byte (1 text, 2 binary), 4-byte big-endian length.
            const auto n = static_cast<std::uint32_t>(data.size());
            const char head[5] = {static_cast<char>(type == MessageType::binary ? 2 : 1),
                                  static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                  static_cast<char>(n >> 8), static_cast<char>(n)};
            write_stdin(std::string_view(head, sizeof head));
            write_stdin(data);
        } else {
            write_stdin(data);
            write_stdin("\n");
        }
    }

    // The WebSocket is gone: end the process (stdin EOF, SIGTERM, then SIGKILL).
    void end() { terminate(); }

    void resume_stdout() { pause_stdout(false); }

private:
    [[nodiscard]] Connection* connection() const { return server_.find_connection(id_); }

    void on_stdin_level(std::size_t queued) override {
        // Backpressure toward the peer: stop reading it while the process does not keep up.
        if (Connection* c = connection()) {
            const std::size_t limit = options_.stdin_limit;
            if (queued > limit) {
                c->set_reading_paused(true);
            } else if (queued <= limit / 2) {
                c->set_reading_paused(false);
            }
        }
    }

    void on_stdout(std::string_view data) override {
        stdout_buf_.append(data);
        if (options_.binary_mode) {
            send_frames();
        } else {
            send_lines();
        }
        // Backpressure toward the process: a peer that does not read stops us reading stdout.
        Connection* c = connection();
        if (c != nullptr && c->buffered_amount() > server_.options().buffer.high_watermark) {
            pause_stdout(true);
        }
    }

    void too_long(Connection* c) {
        if (c != nullptr) {
            net::log_warn(log_prefix(), ": output message over ", options_.max_line,
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

    // The control channel (fd 3): one command per line; see executable_handler.hpp.
    void on_control(std::string_view data) override {
        control_buf_.append(data);
        std::size_t start = 0;
        for (auto nl = control_buf_.find('\n'); nl != std::string::npos;
             nl = control_buf_.find('\n', start)) {
            run_command(std::string_view(control_buf_).substr(start, nl - start));
            start = nl + 1;
        }
        control_buf_.erase(0, start);
        if (control_buf_.size() > options_.max_line) {
            net::log_warn(log_prefix(), ": control line over ", options_.max_line,
                          " bytes, dropped");
            control_buf_.clear();
        }
    }

    void run_command(std::string_view line) {
        const auto space = line.find(' ');
        const std::string_view verb = line.substr(0, space);
        std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
        const auto topic_end = rest.find(' ');
        const std::string_view topic = rest.substr(0, topic_end);
        const std::string_view text =
                topic_end == std::string_view::npos ? "" : rest.substr(topic_end + 1);
        Connection* c = connection();
        if (topic.empty() || (verb != "publish" && topic_end != std::string_view::npos)) {
            net::log_warn(log_prefix(), ": control: malformed line \"", line.substr(0, 80), "\"");
        } else if (verb == "publish") {
            (void)server_.publish(topic, text, MessageType::text);
        } else if (verb == "subscribe" && c != nullptr) {
            (void)c->subscribe(topic);
        } else if (verb == "unsubscribe" && c != nullptr) {
            (void)c->unsubscribe(topic);
        } else if (verb != "subscribe" && verb != "unsubscribe") {
            net::log_warn(log_prefix(), ": control: unknown command \"", verb.substr(0, 40), "\"");
        }
    }

    void on_exit(int status) override {
        pause_stdout(false);  // what it wrote before exiting still goes out
        if (Connection* c = connection()) {
            (void)c->close(status == 0 ? 1000 : 1011, status == 0 ? "" : "handler failed");
        }
        if (status == 128 + SIGTERM && sent_sigterm()) {
            // Ended by our SIGTERM after its connection closed: the normal end, not a failure.
            net::log_debug(log_prefix(), ": process ", pid(), " ended by SIGTERM");
        } else if (status != 0) {
            net::log_warn(log_prefix(), ": process ", pid(), " exited with status ", status);
        }
        // Its slot is free now (the next process may start at once); it is freed after this
        // iteration, as its watches may still be in the current batch of events.
        if (auto shared = state_.lock()) {
            loop_.defer([self = shared->sessions.take(id_)] {});
        }
    }

    std::weak_ptr<SharedState> state_;  // weak: the state owns the sessions
    const ExecutableOptions& options_;
    Server& server_;
    std::uint64_t id_;
    std::string stdout_buf_;
    std::string control_buf_;
};

// The process for `c`, or null (logged, `c` closed with 1011) if it could not be run.
std::shared_ptr<Session> start_session(const std::shared_ptr<SharedState>& state, Connection& c) {
    const std::string& path = state->options.path;
    auto env = environment(c, std::string(c.path()));
    if (state->options.control_channel) {
        env.emplace_back("WSX_CONTROL_FD=3");
    }
    auto child = net::spawn_process({.path = path,
                                     .argv = {path},
                                     .env = std::move(env),
                                     .control_pipe = state->options.control_channel});
    if (!child) {
        net::log_error(c.remote_address().to_string(), " ", c.path(), ": cannot run ", path, ": ",
                       child.error().message());
        (void)c.close(1011, "handler did not start");
        return nullptr;
    }
    return std::make_shared<Session>(state, c, std::move(*child));
}

}  // namespace

Handlers make_executable_handlers(ExecutableOptions options) {
    auto state = std::make_shared<SharedState>();
    state->options = std::move(options);
    Handlers h;
    h.on_upgrade = [state](const UpgradeContext& ctx) {
        if (state->sessions.full(state->options.max_processes)) {
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
        // Checked again with the slot taken: another loop may have filled the last one since
        // on_upgrade. 1013: try again later.
        if (!state->sessions.reserve(state->options.max_processes)) {
            (void)c.close(1013, "too many handler processes");
            return;
        }
        state->sessions.settle(c.id(), start_session(state, c));
    };
    h.on_message = [state](Connection& c, std::string_view data, MessageType type) {
        if (type == MessageType::binary && !state->options.binary_mode) {
            (void)c.close(1003, "this handler takes text lines only");
            return;
        }
        if (auto session = state->sessions.find(c.id())) {
            session->to_stdin(data, type);
        }
    };
    h.on_drain = [state](Connection& c) {
        if (auto session = state->sessions.find(c.id())) {
            session->resume_stdout();
        }
    };
    h.on_close = [state](Connection& c, std::uint16_t, std::string_view, bool) {
        if (auto session = state->sessions.find(c.id())) {
            session->end();
        }
    };
    return h;
}

}  // namespace wsx
