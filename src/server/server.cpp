// The server: listening sockets, accepting, routing, the timer sweep and graceful shutdown.
// Connections live in a map keyed by id; a finished one moves to a graveyard that is emptied
// after the current loop iteration, so events already fetched for it find live memory.
#include "wsx/server.hpp"

#include <algorithm>
#include <cerrno>

#include <openssl/crypto.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"
#include "wsx/net/tcp.hpp"

namespace wsx {
namespace {

constexpr std::size_t kReadBufferSize = 256 * 1024;
constexpr int kAcceptsPerWake = 64;

bool is_wildcard(const net::SocketAddress& a) {
    return a.host() == "::" || a.host() == "0.0.0.0";
}

}  // namespace

class Server::Listener final : public net::IoHandler {
public:
    Listener(Server& server, net::UniqueFd fd, net::SocketAddress addr)
        : server_(server), fd_(std::move(fd)), addr_(addr) {}

    void on_io(bool, bool) override { server_.on_acceptable(fd_.get()); }

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

    [[nodiscard]] const net::SocketAddress& address() const noexcept { return addr_; }

private:
    Server& server_;
    net::UniqueFd fd_;
    net::SocketAddress addr_;
};

Server::Server(net::Loop& loop, ServerOptions options, std::vector<Route> routes)
    : loop_(loop), options_(std::move(options)), read_buffer_(kReadBufferSize) {
    set_routes(std::move(routes));
    if (!options_.basic_auth_credential.empty()) {
        expected_authorization_ = "Basic " + proto::base64_encode(options_.basic_auth_credential);
    }
    // The sweep runs often enough to keep every deadline within a tenth of its length.
    const auto& l = options_.limits;
    net::TimeMs shortest = std::min(l.handshake_timeout_ms, l.closing_timeout_ms);
    if (l.idle_timeout_ms > 0) {
        shortest = std::min(shortest, l.idle_timeout_ms / 2);
    }
    sweep_interval_ms_ = std::clamp<net::TimeMs>(shortest / 10, 5, 250);
}

Server::~Server() {
    loop_.cancel_timer(sweep_timer_);
    loop_.cancel_timer(accept_retry_timer_);
    loop_.cancel_timer(shutdown_timer_);
    *alive_ = false;
    for (auto& listener : listeners_) {
        loop_.remove(listener->fd());
    }
    for (auto& [id, c] : connections_) {
        loop_.remove(c->transport_.fd());
    }
}

Result<std::unique_ptr<Server>> Server::create(net::Loop& loop, ServerOptions options,
                                               std::vector<Route> routes) {
    auto addrs = net::resolve_listen(options.host, options.port);
    if (!addrs) {
        return addrs.error();
    }
    std::unique_ptr<Server> server(new Server(loop, std::move(options), std::move(routes)));
    std::error_code first_error;
    bool wildcard_bound = false;
    for (auto addr : *addrs) {
        if (wildcard_bound && is_wildcard(addr)) {
            continue;  // "::" already takes IPv4
        }
        if (server->port_ != 0) {
            addr = addr.with_port(server->port_);  // port 0: every address on the same port
        }
        auto fd = net::listen_tcp(addr, server->options_.backlog);
        if (!fd) {
            net::log_debug("bind ", addr.to_string(), ": ", fd.error().message());
            first_error = first_error ? first_error : fd.error();
            continue;
        }
        auto bound = net::local_address(fd->get());
        if (!bound) {
            return bound.error();
        }
        server->port_ = bound->port();
        wildcard_bound = wildcard_bound || is_wildcard(*bound);
        auto listener = std::make_unique<Listener>(*server, std::move(*fd), *bound);
        if (auto ec = loop.add(listener->fd(), {.read = true}, *listener)) {
            return ec;
        }
        server->listeners_.push_back(std::move(listener));
    }
    if (server->listeners_.empty()) {
        return first_error ? first_error : make_error_code(net::Errc::no_address);
    }
    server->schedule_sweep();
    return server;
}

std::vector<std::string> Server::listening_addresses() const {
    std::vector<std::string> out;
    for (const auto& l : listeners_) {
        out.push_back(l->address().to_string());
    }
    return out;
}

bool Server::authorized(const proto::HttpRequest& request) const noexcept {
    if (expected_authorization_.empty()) {
        return true;
    }
    const auto given = request.header("Authorization");
    // Compared in constant time: the length leaks, the credential does not.
    return given && given->size() == expected_authorization_.size()
           && CRYPTO_memcmp(given->data(), expected_authorization_.data(), given->size()) == 0;
}

void Server::set_routes(std::vector<Route> routes) {
    routes_.clear();
    for (auto& r : routes) {
        routes_.push_back(std::make_shared<const Route>(std::move(r)));
    }
}

std::shared_ptr<const Route> Server::find_route(std::string_view path) const noexcept {
    for (const auto& r : routes_) {
        if (r->path == path) {
            return r;
        }
    }
    return nullptr;
}

void Server::on_acceptable(int listen_fd) {
    // Handshakes beyond this many are refused at accept: each costs a socket and up to a head's
    // worth of memory until its timeout, so they are bounded too.
    const std::size_t hard_cap = options_.max_connections + options_.max_connections / 8 + 64;
    for (int i = 0; i < kAcceptsPerWake; ++i) {
        auto accepted = net::accept_tcp(listen_fd);
        if (!accepted) {
            net::log_warn("accept4: ", accepted.error().message());
            if (accepted.error().value() == EMFILE || accepted.error().value() == ENFILE) {
                // Out of descriptors: stop accepting for a moment instead of spinning.
                for (auto& l : listeners_) {
                    loop_.remove(l->fd());
                }
                accept_retry_timer_ = loop_.add_timer(100, [this] {
                    accept_retry_timer_ = 0;
                    for (auto& l : listeners_) {
                        (void)loop_.add(l->fd(), {.read = true}, *l);
                    }
                });
            }
            return;
        }
        if (!accepted->fd.valid()) {
            return;
        }
        ++stats_.accepted;
        if (connections_.size() >= hard_cap) {
            net::log_warn(accepted->peer.to_string(), ": refused, ", connections_.size(),
                          " connections open");
            continue;  // the socket closes here
        }
        const std::uint64_t id = next_id_++;
        std::unique_ptr<Connection> c(
                new Connection(*this, id, std::move(accepted->fd), accepted->peer));
        if (auto ec = loop_.add(c->transport_.fd(), c->interest_, *c)) {
            net::log_error("epoll_ctl: ", ec.message());
            continue;
        }
        connections_.emplace(id, std::move(c));
    }
}

void Server::schedule_sweep() {
    sweep_timer_ = loop_.add_timer(sweep_interval_ms_, [this] {
        sweep();
        schedule_sweep();
    });
}

void Server::sweep() {
    const net::TimeMs now = loop_.now();
    std::vector<Connection*> all;
    all.reserve(connections_.size());
    for (auto& [id, c] : connections_) {
        all.push_back(c.get());
    }
    for (Connection* c : all) {
        c->on_timer(now);  // may finish c, which moves it to the graveyard: still alive here
    }
}

void Server::release(Connection& c) {
    auto it = connections_.find(c.id());
    if (it == connections_.end()) {
        return;
    }
    if (graveyard_.empty()) {
        loop_.defer([this, alive = alive_] {
            if (*alive) {
                graveyard_.clear();
                check_shutdown_done();
            }
        });
    }
    graveyard_.push_back(std::move(it->second));
    connections_.erase(it);
}

std::size_t Server::broadcast(const Route& route, std::string_view data, MessageType type) {
    std::vector<Connection*> targets;
    for (auto& [id, c] : connections_) {
        if (c->route_.get() == &route && c->is_open()) {
            targets.push_back(c.get());  // a send may finish a connection: collect first
        }
    }
    std::size_t sent = 0;
    for (Connection* c : targets) {
        const SendStatus s = c->send(data, type);
        sent += s == SendStatus::queued || s == SendStatus::backpressure ? 1 : 0;
    }
    return sent;
}

void Server::shutdown(std::uint16_t code, std::function<void()> done) {
    shutdown_done_ = std::move(done);
    for (auto& l : listeners_) {
        loop_.remove(l->fd());
    }
    listeners_.clear();
    loop_.cancel_timer(accept_retry_timer_);
    std::vector<Connection*> all;
    for (auto& [id, c] : connections_) {
        all.push_back(c.get());
    }
    for (Connection* c : all) {
        if (c->is_open()) {
            (void)c->close(code, "server shutting down");
        } else if (!c->opened_) {
            c->finish("server shutting down");
        }
    }
    shutdown_timer_ = loop_.add_timer(options_.limits.closing_timeout_ms + 100, [this] {
        shutdown_timer_ = 0;
        std::vector<Connection*> left;
        for (auto& [id, c] : connections_) {
            left.push_back(c.get());
        }
        for (Connection* c : left) {
            c->finish("server shutting down");
        }
        graveyard_.clear();
        check_shutdown_done();
    });
    check_shutdown_done();
}

void Server::check_shutdown_done() {
    if (shutdown_done_ && connections_.empty()) {
        loop_.cancel_timer(shutdown_timer_);
        auto done = std::move(shutdown_done_);
        shutdown_done_ = nullptr;
        done();
    }
}

}  // namespace wsx
