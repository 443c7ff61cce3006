// pywebsocket handlers through a Python host process; see python_handler.hpp. The state shared by
// a handler file's connections on one loop thread (PyState) owns that loop's current host process
// and, per connection id, the flow-control counts; it is used on its loop thread only. PyLoops,
// shared by the handlers on every loop thread, finds (or makes) the PyState of a connection's
// loop; only that lookup is locked. Connections are referred to by id only: a frame for a
// connection that is gone is answered with G (gone), so the handler's thread ends.
#include "wsx/python_handler.hpp"

#include <algorithm>
#include <fstream>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"
#include "wsx/proto/extension_header.hpp"
#include "wsx/server.hpp"

#include "python_host.hpp"
#include "server/cgi_env.hpp"

namespace wsx {
namespace {

using detail::HostFrame;
using detail::PythonHost;

struct PyConn {
    std::size_t in_flight = 0;  // bytes given to the handler, not yet received by it
    std::size_t owed = 0;       // credit held back while the connection is over its watermark
};

class PyState : public std::enable_shared_from_this<PyState> {
public:
    PyState(PythonHandlerOptions options, Server& server)
        : options_(std::move(options)), server_(server) {}

    UpgradeDecision on_upgrade(const UpgradeContext& ctx);
    void on_message(Connection& c, std::string_view data, MessageType type);
    void on_peer_close(Connection& c, std::uint16_t code, std::string_view reason);
    void on_drain(Connection& c);
    void on_close(Connection& c);

private:
    bool ensure_host();
    void on_frame(const HostFrame& f);
    void on_output(Connection& c, const HostFrame& f);
    void on_close_frame(Connection& c, const HostFrame& f);
    void on_host_exit();
    void credit(Connection& c, PyConn& pc, std::size_t n);

    void send(char kind, std::uint64_t id, std::string_view payload = {}) {
        if (host_) {
            host_->send(kind, id, payload);
        }
    }

    PythonHandlerOptions options_;
    Server& server_;  // of the loop this state belongs to
    std::unique_ptr<PythonHost> host_;
    std::unordered_map<std::uint64_t, PyConn> conns_;
};

bool PyState::ensure_host() {
    if (host_ && !host_->exited()) {
        return true;
    }
    auto started = PythonHost::start(
            server_.loop(), options_, [this](const HostFrame& f) { on_frame(f); },
            [this](int) { on_host_exit(); });
    if (!started) {
        net::log_error(options_.path, ": cannot start ", options_.python, ": ",
                       started.error().message());
        return false;
    }
    host_ = std::move(*started);
    net::log_info(options_.path, ": python host started (pid ", host_->pid(), ")");
    return true;
}

UpgradeDecision PyState::on_upgrade(const UpgradeContext& ctx) {
    if (!ensure_host()) {
        return UpgradeDecision::reject(500, "the Python handler host did not start");
    }
    std::vector<std::string> tls;  // mod_ssl's variables, for request.is_https() and subprocess_env
    add_tls_variables(ctx.connection, tls);
    std::vector<std::string> fields = {ctx.request.target, ctx.remote.host(),
                                       std::to_string(ctx.remote.port()),
                                       std::to_string(tls.size())};
    fields.insert(fields.end(), tls.begin(), tls.end());
    for (const auto& h : ctx.request.headers) {
        fields.push_back(h.name);
        fields.push_back(h.value);
    }
    conns_[ctx.connection.id()] = PyConn{};
    send('H', ctx.connection.id(), detail::join_fields(fields));
    return UpgradeDecision::defer();  // the host answers with A, R or D
}

void PyState::on_message(Connection& c, std::string_view data, MessageType type) {
    auto it = conns_.find(c.id());
    if (it == conns_.end()) {
        return;
    }
    send(type == MessageType::binary ? 'B' : 'T', c.id(), data);
    it->second.in_flight += data.size();
    if (it->second.in_flight > options_.input_window) {
        c.set_reading_paused(true);  // the handler is not receiving: stop reading its peer
    }
}

void PyState::on_peer_close(Connection& c, std::uint16_t code, std::string_view reason) {
    if (conns_.count(c.id()) == 0 || !host_) {
        return;  // the default: the peer's code echoed
    }
    c.defer_close_reply();  // web_socket_passive_closing_handshake chooses it (Q)
    send('P', c.id(), code == 1005 ? std::string() : detail::close_body(code, reason));
    // A handler that never answers: the peer's code is echoed after the closing timeout.
    Server& server = c.server();
    server.loop().add_timer(server.options().limits.closing_timeout_ms, [&server, id = c.id()] {
        if (Connection* held = server.find_connection(id)) {
            held->release_close_reply();
        }
    });
}

void PyState::on_drain(Connection& c) {
    auto it = conns_.find(c.id());
    if (it != conns_.end() && it->second.owed > 0) {
        send('K', c.id(), detail::be32(static_cast<std::uint32_t>(it->second.owed)));
        it->second.owed = 0;
    }
}

void PyState::on_close(Connection& c) {
    if (conns_.erase(c.id()) > 0) {
        send('G', c.id());
    }
}

// The host's A: the handler's ws_protocol, whether it kept ws_extension_processors'
// permessage-deflate, and its extra_headers. A client that offered subprotocols
// to a handler that chose none gets the first offered one of --subprotocol, as every wsx resource,
// or, when there is none, pywebsocket's 400.
UpgradeDecision accept_decision(Connection& c, std::string_view payload) {
    const auto fields = detail::split_fields(payload);
    std::string protocol(fields[0]);
    const proto::HttpRequest* request = c.request();
    const std::string header =
            request != nullptr ? request->joined_header("Sec-WebSocket-Protocol") : std::string();
    if (protocol.empty() && !header.empty()) {
        const auto offered =
                proto::parse_token_list(header).value_or(std::vector<std::string_view>{});
        const auto& supported = c.server().options().subprotocols;
        const auto it = std::find_first_of(offered.begin(), offered.end(), supported.begin(),
                                           supported.end());
        if (it == offered.end()) {
            net::log_info(c.remote_address().to_string(),
                          ": subprotocols offered, none chosen by web_socket_do_extra_handshake");
            return UpgradeDecision::reject(400, "do_extra_handshake must choose one subprotocol");
        }
        protocol = std::string(*it);
    }
    UpgradeDecision d = UpgradeDecision::accept(protocol);
    d.extensions = fields.size() < 2 || fields[1] != "0";
    for (std::size_t i = 2; i + 1 < fields.size(); i += 2) {
        d.headers.emplace_back(std::string(fields[i]), std::string(fields[i + 1]));
    }
    return d;
}

void PyState::credit(Connection& c, PyConn& pc, std::size_t n) {
    // The handler's sends are released only while its peer keeps up (below the high watermark).
    if (c.buffered_amount() <= c.server().options().buffer.high_watermark) {
        send('K', c.id(), detail::be32(static_cast<std::uint32_t>(n)));
    } else {
        pc.owed += n;
    }
}

// A, R, D, T, B, F, C, Q, I, K, E from the host (see wsx_pyhost.py).
void PyState::on_frame(const HostFrame& f) {
    Connection* c = server_.find_connection(f.id);
    auto it = conns_.find(f.id);
    if (c == nullptr || it == conns_.end()) {
        if (f.kind != 'E' && f.kind != 'K') {
            send('G', f.id);  // gone: the handler's thread ends
        }
        conns_.erase(f.id);
        return;
    }
    switch (f.kind) {
        case 'A':
            (void)c->resolve_upgrade(accept_decision(*c, f.payload));
            break;
        case 'R': {
            const auto fields = detail::split_fields(f.payload);
            const int status = std::atoi(std::string(fields[0]).c_str());
            (void)c->resolve_upgrade(UpgradeDecision::reject(
                    status, fields.size() > 1 ? std::string(fields[1]) : std::string()));
            break;
        }
        case 'D':
            if (!c->resolve_upgrade(UpgradeDecision::drop_connection())) {
                c->drop("dropped by the handler (AbortedByUserException)");
            }
            break;
        case 'K': {
            PyConn& pc = it->second;
            pc.in_flight -= std::min<std::size_t>(pc.in_flight, detail::read_u32(f.payload));
            if (pc.in_flight <= options_.input_window / 2) {
                c->set_reading_paused(false);
            }
            break;
        }
        case 'C':
        case 'Q':
            c->set_reading_paused(false);  // the peer's close must be read, whatever is unread
            on_close_frame(*c, f);
            break;
        case 'I':
            (void)c->ping(f.payload);
            break;
        case 'E':
            conns_.erase(it);  // the handler's thread ended; nothing more comes for this id
            c->set_reading_paused(false);
            if (c->is_open()) {
                // Ended without a close: ConnectionTerminatedException, which pywebsocket ends
                // by closing the TCP connection, silently.
                c->drop("handler ended without closing");
            }
            break;
        default:
            on_output(*c, f);
    }
}

void PyState::on_output(Connection& c, const HostFrame& f) {
    PyConn& pc = conns_[f.id];
    if (f.kind == 'T' || f.kind == 'B') {
        (void)c.send(f.payload, f.kind == 'B' ? MessageType::binary : MessageType::text);
        credit(c, pc, f.payload.size());
    } else if (f.kind == 'F' && !f.payload.empty()) {
        const auto flags = static_cast<unsigned char>(f.payload[0]);
        const auto type = (flags & 1U) != 0 ? MessageType::binary : MessageType::text;
        (void)c.send_fragment(f.payload.substr(1), type, (flags & 2U) != 0);
        credit(c, pc, f.payload.size() - 1);
    } else {
        net::log_error(options_.path, ": unknown frame '", f.kind, "' from the python host");
    }
}

void PyState::on_close_frame(Connection& c, const HostFrame& f) {
    if (f.payload.size() < 2) {
        if (f.kind == 'Q') {
            c.release_close_reply();  // an empty close: the peer's (empty) one echoed
        } else {
            (void)c.close(1000);
        }
        return;
    }
    const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(f.payload[0]) << 8)
                                                 | static_cast<unsigned char>(f.payload[1]));
    if (auto ec = c.close(code, f.payload.substr(2))) {
        net::log_warn(options_.path, ": close(", code, "): ", ec.message());
        c.release_close_reply();
        (void)c.close(1011, "handler chose an invalid close");
    }
}

void PyState::on_host_exit() {
    // Every connection of this host ends: an upgrade waiting gets 500, an open one 1011.
    std::vector<std::uint64_t> ids;
    ids.reserve(conns_.size());
    for (const auto& [id, pc] : conns_) {
        ids.push_back(id);
    }
    conns_.clear();
    for (const std::uint64_t id : ids) {
        Connection* c = server_.find_connection(id);
        if (c == nullptr) {
            continue;
        }
        if (!c->resolve_upgrade(UpgradeDecision::reject(500, "the Python handler host died"))) {
            c->release_close_reply();
            (void)c->close(1011, "handler process died");
        }
    }
    // Freed after this iteration: we are inside its exit callback.
    server_.loop().defer([dead = std::shared_ptr<PythonHost>(std::move(host_))] {});
}

// One PyState per loop thread, made at the first connection on that loop. Entries are never
// removed, so a PyState found stays valid while the handlers live; every loop the handlers are
// used on must outlive them. The last handler copy may go on any thread (routes replaced on
// SIGHUP go with the last connection that used them): each PyState is handed to its own loop to
// be destroyed there, or with that loop if it no longer runs.
class PyLoops {
public:
    explicit PyLoops(PythonHandlerOptions options) : options_(std::move(options)) {}

    PyLoops(const PyLoops&) = delete;
    PyLoops& operator=(const PyLoops&) = delete;

    ~PyLoops() {
        for (auto& [loop, state] : states_) {
            loop->defer([dead = std::move(state)] {});
        }
    }

    /// The PyState of `c`'s loop, for use on that loop thread only.
    PyState& of(Connection& c) {
        Server& server = c.server();
        const std::lock_guard lock(mutex_);
        std::shared_ptr<PyState>& state = states_[&server.loop()];
        if (!state) {
            state = std::make_shared<PyState>(options_, server);
        }
        return *state;
    }

private:
    const PythonHandlerOptions options_;
    std::mutex mutex_;
    std::unordered_map<net::Loop*, std::shared_ptr<PyState>> states_;
};

}  // namespace

Handlers make_python_handlers(PythonHandlerOptions options) {
    auto loops = std::make_shared<PyLoops>(std::move(options));
    Handlers h;
    h.on_upgrade = [loops](const UpgradeContext& ctx) {
        return loops->of(ctx.connection).on_upgrade(ctx);
    };
    h.on_message = [loops](Connection& c, std::string_view data, MessageType type) {
        loops->of(c).on_message(c, data, type);
    };
    h.on_peer_close = [loops](Connection& c, std::uint16_t code, std::string_view reason) {
        loops->of(c).on_peer_close(c, code, reason);
    };
    h.on_drain = [loops](Connection& c) {
        loops->of(c).on_drain(c);
    };
    h.on_close = [loops](Connection& c, std::uint16_t, std::string_view, bool) {
        loops->of(c).on_close(c);
    };
    return h;
}

bool is_pywebsocket_module(const std::string& path) {
    constexpr std::string_view kSuffix = "_wsh.py";
    if (path.size() < kSuffix.size()
        || path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
        return false;
    }
    std::ifstream in(path);
    std::string line;
    for (int n = 0; n < 100000 && std::getline(in, line); ++n) {
        if (line.rfind("def web_socket_transfer_data", 0) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace wsx
