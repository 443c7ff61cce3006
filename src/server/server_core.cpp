// The server's inside: listening, accepting, routing, counters and graceful shutdown; see
// server_core.hpp.
#include "server/server_core.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>

#include <openssl/crypto.h>

#include "wsx/net/errc.hpp"
#include "wsx/net/log.hpp"
#include "wsx/proto/frame_writer.hpp"
#include "wsx/proto/handshake.hpp"

namespace wsx::detail {
namespace {

constexpr int kAcceptsPerWake = 64;

bool is_wildcard(const net::SocketAddress& a) {
    return a.host() == "::" || a.host() == "0.0.0.0";
}

SessionConfig session_config_for(const ServerOptions& o) {
    return {.low_watermark = o.buffer.low_watermark,
            .high_watermark = o.buffer.high_watermark,
            .closing_timeout_ms = o.limits.closing_timeout_ms};
}

// Connection ids come from one counter for the process, not one per server, so they are unique
// across the servers of several loops: handlers shared by those loops key their state by id. The
// low kLoopIndexBits bits of an id name its loop within a ServerGroup, so work for a connection
// is sent to its loop without a lookup, and the next bits its slot in that loop's table
// (connection_table.hpp), so it is found there without a hash.
std::uint64_t next_connection_id() noexcept {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

class ServerCore::Listener final : public net::IoHandler {
public:
    Listener(ServerCore& server, net::UniqueFd fd, net::SocketAddress addr)
        : server_(server), fd_(std::move(fd)), addr_(addr) {}

    void on_io(bool, bool) override { server_.on_acceptable(fd_.get()); }

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

    [[nodiscard]] const net::SocketAddress& address() const noexcept { return addr_; }

private:
    ServerCore& server_;
    net::UniqueFd fd_;
    net::SocketAddress addr_;
};

ServerCore::ServerCore(Server& handle, net::Loop& loop, ServerOptions options,
                       std::vector<std::shared_ptr<const Route>> routes, GroupMember member)
    : handle_(handle),
      loop_(loop),
      options_(std::move(options)),
      session_config_(session_config_for(options_)),
      zlib_memory_(std::make_unique<proto::ZlibMemory>(options_.max_zlib_memory)),
      shared_deflater_(std::make_unique<proto::SharedDeflater>(
              options_.deflate.mem_level, options_.deflate.level, zlib_memory_.get())),
      routes_(std::move(routes)),
      connections_(static_cast<ServerContext*>(this)),
      member_(member) {
    proto::prepare_accept_keys();  // OpenSSL's provider loaded now, not in a client's handshake
    if (!options_.transport) {
        options_.transport = net::tcp_transports();
    }
    if (!options_.basic_auth_credential.empty()) {
        expected_authorization_ = "Basic " + proto::base64_encode(options_.basic_auth_credential);
    }
    if (Broker* broker = options_.broker.get()) {
        topics().set_observer([broker](std::string_view topic, bool listened) {
            listened ? broker->subscribe(topic) : broker->unsubscribe(topic);
        });
        if (member_.group == nullptr) {  // a group attaches itself, for all of its loops
            broker->attach([this, alive = alive_](std::string_view topic, std::string_view data,
                                                  MessageType type) {
                loop_.defer([this, alive, p = make_publication(topic, data, type)] {
                    if (*alive) {
                        (void)publish_local(*p);
                    }
                });
            });
        }
    }
}

ServerCore::~ServerCore() {
    if (options_.broker && member_.group == nullptr) {
        options_.broker->attach({});
    }
    loop_.cancel_timer(accept_retry_timer_);
    loop_.cancel_timer(shutdown_timer_);
    *alive_ = false;
    for (auto& listener : listeners_) {
        loop_.remove(listener->fd());
    }
    connections_.clear();  // each deregisters its descriptor
}

std::error_code ServerCore::listen() {
    auto addrs = net::resolve_listen(options_.host, options_.port);
    if (!addrs) {
        return addrs.error();
    }
    std::error_code first_error;
    bool wildcard_bound = false;
    for (auto addr : *addrs) {
        if (wildcard_bound && is_wildcard(addr)) {
            continue;  // "::" already takes IPv4
        }
        if (port_ != 0) {
            addr = addr.with_port(port_);  // port 0: every address on the same port
        }
        if (auto ec = check_port_free(addr)) {
            return ec;
        }
        auto fd = net::listen_tcp(
                addr, {.backlog = options_.backlog, .reuse_port = member_.group != nullptr});
        if (!fd) {
            net::log_debug("bind ", addr.to_string(), ": ", fd.error().message());
            first_error = first_error ? first_error : fd.error();
            continue;
        }
        auto bound = net::local_address(fd->get());
        if (!bound) {
            return bound.error();
        }
        port_ = bound->port();
        wildcard_bound = wildcard_bound || is_wildcard(*bound);
        auto listener = std::make_unique<Listener>(*this, std::move(*fd), *bound);
        if (auto ec = loop_.add(listener->fd(), {.read = true}, *listener)) {
            return ec;
        }
        listeners_.push_back(std::move(listener));
    }
    if (listeners_.empty()) {
        return first_error ? first_error : make_error_code(net::Errc::no_address);
    }
    return {};
}

std::error_code ServerCore::check_port_free(const net::SocketAddress& addr) const {
    // SO_REUSEPORT would let a group share its port with another process of the same user (a
    // second `wsx serve` started by mistake): the group's first server binds without it first.
    if (member_.group == nullptr || member_.index != 0 || addr.port() == 0) {
        return {};
    }
    auto probe = net::listen_tcp(addr, {.backlog = 1, .reuse_port = false});
    return probe || probe.error() != std::errc::address_in_use ? std::error_code() : probe.error();
}

std::vector<std::string> ServerCore::listening_addresses() const {
    std::vector<std::string> out;
    for (const auto& l : listeners_) {
        out.push_back(l->address().to_string());
    }
    return out;
}

Connection* ServerCore::find_connection(std::uint64_t id) const noexcept {
    return connections_.find(id);
}

bool ServerCore::authorized(const proto::HttpRequest& request) const noexcept {
    if (expected_authorization_.empty()) {
        return true;
    }
    const auto given = request.header("Authorization");
    // Compared in constant time: the length leaks, the credential does not.
    return given && given->size() == expected_authorization_.size()
           && CRYPTO_memcmp(given->data(), expected_authorization_.data(), given->size()) == 0;
}

std::vector<std::shared_ptr<const Route>> share_routes(std::vector<Route> routes) {
    std::vector<std::shared_ptr<const Route>> shared;
    shared.reserve(routes.size());
    for (auto& r : routes) {
        shared.push_back(std::make_shared<const Route>(std::move(r)));
    }
    return shared;
}

std::shared_ptr<const Route> ServerCore::shared_route(const Route& route) const {
    for (const auto& r : routes_) {
        if (r.get() == &route) {
            return r;
        }
    }
    return {std::shared_ptr<const Route>(), &route};  // aliasing an empty owner: not owned
}

std::shared_ptr<const Route> ServerCore::find_route(std::string_view path) const noexcept {
    for (const auto& r : routes_) {
        if (r->path == path) {
            return r;
        }
    }
    return nullptr;
}

void ServerCore::on_acceptable(int listen_fd) {
    for (int i = 0; i < kAcceptsPerWake; ++i) {
        auto accepted = net::accept_tcp(listen_fd);
        if (!accepted) {
            net::log_warn("accept4: ", accepted.error().message());
            if (accepted.error().value() == EMFILE || accepted.error().value() == ENFILE) {
                pause_accepting();
            }
            return;
        }
        if (!accepted->fd.valid()) {
            return;
        }
        accept_one(std::move(*accepted));
    }
}

void ServerCore::pause_accepting() {
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

void ServerCore::accept_one(net::Accepted accepted) {
    ++stats_.accepted;
    // Handshakes beyond this many are refused at accept: each costs a socket and up to a head's
    // worth of memory until its timeout, so they are bounded too.
    const std::size_t hard_cap = options_.max_connections + options_.max_connections / 8 + 64;
    if (connections_.size() >= hard_cap || connections_.full()) {
        net::log_warn(accepted.peer.to_string(), ": refused, ", connections_.size(),
                      " connections open");
        return;  // the socket closes here
    }
    auto transport = options_.transport(std::move(accepted.fd));
    if (!transport) {
        net::log_error(accepted.peer.to_string(), ": transport: ", transport.error().message());
        return;
    }
    const std::uint64_t id = connections_.next_id(next_connection_id(), member_.index);
    ServerConnection& c = connections_.emplace(id, *this, id, std::move(*transport), accepted.peer);
    if (auto ec = c.start()) {
        net::log_error("epoll_ctl: ", ec.message());
        connections_.destroy(connections_.retire(id));
    }
}

void ServerCore::release(ServerConnection& c) {
    ServerConnection* retired = connections_.retire(c.connection_id());
    if (retired == nullptr) {
        return;
    }
    if (graveyard_.empty()) {
        loop_.defer([this, alive = alive_] {
            if (*alive) {
                bury();
                check_shutdown_done();
            }
        });
    }
    graveyard_.push_back(retired);
}

void ServerCore::bury() noexcept {
    for (ServerConnection* c : graveyard_) {
        connections_.destroy(c);
    }
    graveyard_.clear();
}

std::vector<ServerConnection*> ServerCore::all_connections() const {
    // Collected first: acting on one may finish it, which moves it out of the table.
    return connections_.all();
}

void ServerCore::count_open(int delta) noexcept {
    open_count_ += static_cast<std::size_t>(delta);  // -1 wraps back, as unsigned arithmetic does
    if (member_.open_total != nullptr) {
        member_.open_total->fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
    }
}

bool ServerCore::full() const noexcept {
    const std::size_t open = member_.open_total != nullptr
                                     ? member_.open_total->load(std::memory_order_relaxed)
                                     : open_count_;
    return open >= options_.max_connections;
}

std::size_t ServerCore::broadcast(const std::shared_ptr<const Route>& route, std::string_view data,
                                  MessageType type) {
    if (member_.group != nullptr) {
        member_.group->broadcast_others(member_.index, route, data, type);
    }
    return broadcast_local(*route, data, type);
}

std::size_t ServerCore::broadcast_local(const Route& route, std::string_view data,
                                        MessageType type) {
    std::size_t sent = 0;
    for (ServerConnection* c : all_connections()) {
        if (c->route() != &route || !c->open_now()) {
            continue;
        }
        const SendStatus s = c->send_message(data, type);
        sent += s == SendStatus::queued || s == SendStatus::backpressure ? 1 : 0;
    }
    return sent;
}

std::shared_ptr<const Publication> make_publication(std::string_view topic, std::string_view data,
                                                    MessageType type) {
    auto p = std::make_shared<Publication>();
    p->topic = topic;
    p->opcode = type == MessageType::text ? proto::Opcode::text : proto::Opcode::binary;
    p->frame = proto::frame_bytes(p->opcode, data);
    p->payload_size = data.size();
    return p;
}

std::size_t ServerCore::publish(std::string_view topic, std::string_view data, MessageType type) {
    auto publication = make_publication(topic, data, type);
    if (member_.group != nullptr) {
        member_.group->publish_others(member_.index, publication);
    }
    if (options_.broker) {
        options_.broker->publish(topic, data, type);  // for the other nodes
    }
    return publish_local(*publication);
}

std::size_t ServerCore::publish_local(const Publication& publication) {
    ++stats_.publications;
    // A copy of the list: a send may close its connection, and a handler told of that may
    // subscribe or unsubscribe while the list is walked.
    const auto subscribers = topics().subscribers(publication.topic);
    const std::vector<ServerConnection*> recipients(subscribers.begin(), subscribers.end());
    // Compressed once per window size for the connections whose messages go through the
    // loop's shared compressor (no context kept, so the bytes are the same for each of them).
    std::array<std::optional<std::string>, proto::kMaxWindowBits + 1> compressed;
    std::size_t delivered = 0;
    for (ServerConnection* c : recipients) {
        std::string_view frame = publication.frame;
        if (const int bits = c->shared_window_for(publication.payload_size); bits > 0) {
            auto& z = compressed[static_cast<std::size_t>(bits)];
            if (!z) {
                z = compressed_frame(publication, bits);
            }
            frame = z->empty() ? frame : std::string_view(*z);
        }
        const SendStatus s = c->send_framed(frame, publication.payload_size);
        if (s == SendStatus::queued || s == SendStatus::backpressure) {
            ++delivered;
        } else if (s == SendStatus::dropped) {
            ++stats_.deliveries_dropped;
        }
    }
    stats_.deliveries += delivered;
    return delivered;
}

std::string ServerCore::compressed_frame(const Publication& publication, int window_bits) {
    if (!shared_deflater_) {
        return {};
    }
    std::string& z = shared_deflater_->scratch();
    if (shared_deflater_->for_window(window_bits).compress(publication.payload(), z, true)) {
        return {};  // zlib's memory cap: this one goes out uncompressed
    }
    return proto::frame_bytes(publication.opcode, z, true);  // RFC 7692 §6: RSV1
}

void ServerCore::shutdown(std::uint16_t code, std::function<void()> done) {
    shutdown_done_ = std::move(done);
    for (auto& l : listeners_) {
        loop_.remove(l->fd());
    }
    listeners_.clear();
    loop_.cancel_timer(accept_retry_timer_);
    for (ServerConnection* c : all_connections()) {
        if (c->open_now()) {
            (void)c->close_websocket(code, "server shutting down");
        } else if (!c->opened()) {
            c->abort("server shutting down");
        }
    }
    shutdown_timer_ = loop_.add_timer(options_.limits.closing_timeout_ms + 100, [this] {
        shutdown_timer_ = 0;
        for (ServerConnection* c : all_connections()) {
            c->abort("server shutting down");
        }
        bury();
        check_shutdown_done();
    });
    check_shutdown_done();
}

void ServerCore::check_shutdown_done() {
    if (shutdown_done_ && connections_.empty()) {
        loop_.cancel_timer(shutdown_timer_);
        auto done = std::move(shutdown_done_);
        shutdown_done_ = nullptr;
        done();
    }
}

}  // namespace wsx::detail
