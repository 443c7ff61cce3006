// What a Server is inside: its listening sockets, accepting, the connections by id, routes,
// counters and graceful shutdown. It is each connection's ServerContext. Connections live in a
// map keyed by id; a finished one moves to a graveyard emptied after the current loop batch, so
// readiness already fetched for it finds live memory. Rule: the server knows connections only by
// ServerConnection's public members; it reads and writes no socket but its listeners. In a
// ServerGroup each loop has its own ServerCore (own listeners on the shared port, SO_REUSEPORT,
// own connections); the GroupLink reaches the others for a broadcast.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wsx/net/tcp.hpp"
#include "wsx/server.hpp"

#include "engine/session.hpp"
#include "server/connection_table.hpp"
#include "server/server_connection.hpp"
#include "server/server_context.hpp"

namespace wsx::detail {

/// A publication as the loops share it: its topic and its message, framed once for all.
struct Publication {
    std::string topic;
    std::string frame;  // proto::frame_bytes, uncompressed
    std::size_t payload_size = 0;
    proto::Opcode opcode = proto::Opcode::text;

    [[nodiscard]] std::string_view payload() const noexcept {
        return std::string_view(frame).substr(frame.size() - payload_size);
    }
};

[[nodiscard]] std::shared_ptr<const Publication> make_publication(std::string_view topic,
                                                                  std::string_view data,
                                                                  MessageType type);

/// The group of loops a server belongs to, as a server sees it.
class GroupLink {
public:
    /// Sends to `route`'s open connections on every loop but `from`, each on its own thread.
    virtual void broadcast_others(unsigned from, const std::shared_ptr<const Route>& route,
                                  std::string_view data, MessageType type) = 0;

    /// Hands `publication` to every loop but `from`, each on its own thread.
    virtual void publish_others(unsigned from,
                                const std::shared_ptr<const Publication>& publication) = 0;

protected:
    GroupLink() = default;
    GroupLink(const GroupLink&) = default;
    GroupLink& operator=(const GroupLink&) = default;
    ~GroupLink() = default;
};

/// A server's place in a group: its loop's index (the low 8 bits of its connection ids) and the
/// group, or none for a server on its own.
struct GroupMember {
    GroupLink* group = nullptr;
    unsigned index = 0;
    std::atomic<std::size_t>* open_total = nullptr;  // the group's open connections
};

/// Connection ids: a sequence number above 8 bits of loop index, unique across a group.
inline constexpr unsigned kLoopIndexBits = 8;
inline constexpr unsigned kMaxLoops = 1U << kLoopIndexBits;

/// Routes as the cores hold them: each made once, shared by every loop of a group.
[[nodiscard]] std::vector<std::shared_ptr<const Route>> share_routes(std::vector<Route> routes);

class ServerCore final : public ServerContext {
public:
    ServerCore(Server& handle, net::Loop& loop, ServerOptions options,
               std::vector<std::shared_ptr<const Route>> routes, GroupMember member = {});
    ServerCore(const ServerCore&) = delete;
    ServerCore& operator=(const ServerCore&) = delete;
    ~ServerCore();

    /// Binds every address of options().host and starts accepting; in a group, with
    /// SO_REUSEPORT on options().port, which another loop's server may hold already.
    [[nodiscard]] std::error_code listen();

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    [[nodiscard]] std::vector<std::string> listening_addresses() const;

    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }

    [[nodiscard]] Connection* find_connection(std::uint64_t id) const noexcept;

    void set_routes(std::vector<std::shared_ptr<const Route>> routes) noexcept {
        routes_ = std::move(routes);
    }

    /// Sends to this loop's open connections of `route`; returns how many.
    std::size_t broadcast_local(const Route& route, std::string_view data, MessageType type);

    /// Queues `publication` on this loop's subscribers of its topic; returns how many.
    std::size_t publish_local(const Publication& publication);

    /// The shared route object for `route` if it is one of the current routes; else one that
    /// does not own it.
    [[nodiscard]] std::shared_ptr<const Route> shared_route(const Route& route) const;

    void shutdown(std::uint16_t code, std::function<void()> done);

    [[nodiscard]] const ServerStats& counters() const noexcept;

    // ServerContext
    [[nodiscard]] Server& server() noexcept override { return handle_; }

    [[nodiscard]] net::Loop& loop() noexcept override { return loop_; }

    [[nodiscard]] const ServerOptions& options() const noexcept override { return options_; }

    [[nodiscard]] const SessionConfig& session_config() const noexcept override {
        return session_config_;
    }

    [[nodiscard]] ServerStats& stats() noexcept override { return stats_; }

    void count_open(int delta) noexcept override;
    [[nodiscard]] bool full() const noexcept override;

    [[nodiscard]] std::shared_ptr<const Route> find_route(
            std::string_view path) const noexcept override;
    [[nodiscard]] bool authorized(const proto::HttpRequest& request) const noexcept override;
    std::size_t broadcast(const std::shared_ptr<const Route>& route, std::string_view data,
                          MessageType type) override;
    std::size_t publish(std::string_view topic, std::string_view data, MessageType type) override;
    void release(ServerConnection& connection) override;
    [[nodiscard]] std::optional<proto::DeflateSetup> deflate_setup(
            const proto::UpgradeRequest& request) override;

private:
    void bury() noexcept;  // destroys the retired connections
    // The publication compressed by this loop's shared compressor for `window_bits`, framed
    // with RSV1; empty if it did not compress.
    [[nodiscard]] std::string compressed_frame(const Publication& publication, int window_bits);
    class Listener;

    [[nodiscard]] std::error_code check_port_free(const net::SocketAddress& addr) const;
    void on_acceptable(int listen_fd);
    void accept_one(net::Accepted accepted);
    void pause_accepting();
    [[nodiscard]] std::vector<ServerConnection*> all_connections() const;
    void check_shutdown_done();

    Server& handle_;
    net::Loop& loop_;
    ServerOptions options_;
    SessionConfig session_config_;
    // zlib's memory and the loop's shared compressor: declared before the connections, so they
    // outlive every endpoint that points to them.
    std::unique_ptr<proto::ZlibMemory> zlib_memory_;
    std::unique_ptr<proto::SharedDeflater> shared_deflater_;
    std::vector<std::shared_ptr<const Route>> routes_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::uint16_t port_ = 0;
    ConnectionTable<ServerConnection, kLoopIndexBits> connections_;
    std::vector<ServerConnection*> graveyard_;  // retired; destroyed after the current batch
    GroupMember member_;
    std::size_t open_count_ = 0;          // connections past the handshake
    std::string expected_authorization_;  // "Basic <base64(credential)>", empty for none
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for deferred calls
    net::TimerId accept_retry_timer_ = 0;
    mutable ServerStats stats_;  // the zlib figures are read in when asked
    std::function<void()> shutdown_done_;
    net::TimerId shutdown_timer_ = 0;
};

}  // namespace wsx::detail
