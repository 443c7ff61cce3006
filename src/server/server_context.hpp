// What a server connection gets from its server, and nothing more: the loop, the options and
// limits, the counters, route lookup, the check of credentials, broadcasting, topics, and a way
// to be released. Rule: connections see the server only through this; the server sees connections
// only through ServerConnection's public members.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wsx/net/loop.hpp"
#include "wsx/proto/deflate_codec.hpp"
#include "wsx/proto/handshake.hpp"
#include "wsx/server.hpp"

#include "engine/session.hpp"
#include "server/route_holds.hpp"
#include "server/topic_table.hpp"

namespace wsx::detail {

class ServerConnection;

class ServerContext {
public:
    /// The public handle (Connection::server()).
    [[nodiscard]] virtual Server& server() noexcept = 0;

    [[nodiscard]] virtual net::Loop& loop() noexcept = 0;

    [[nodiscard]] virtual const ServerOptions& options() const noexcept = 0;

    /// Watermarks and lingering, shared by every connection.
    [[nodiscard]] virtual const SessionConfig& session_config() const noexcept = 0;

    [[nodiscard]] virtual ServerStats& stats() noexcept = 0;

    /// Connections past the handshake count themselves in (+1) and out (-1).
    virtual void count_open(int delta) noexcept = 0;

    /// Whether max_connections are open (on every loop of a group, together).
    [[nodiscard]] virtual bool full() const noexcept = 0;

    [[nodiscard]] virtual std::shared_ptr<const Route> find_route(
            std::string_view path) const noexcept = 0;

    /// HTTP Basic credentials, when the server asks for them.
    [[nodiscard]] virtual bool authorized(const proto::HttpRequest& request) const noexcept = 0;

    /// Sends to the open connections of `route` (of every loop, in a group); returns how many of
    /// this loop's were sent to.
    virtual std::size_t broadcast(const std::shared_ptr<const Route>& route, std::string_view data,
                                  MessageType type) = 0;

    /// Publishes to `topic`'s subscribers on every loop (Server::publish); returns how many of
    /// this loop's got it.
    virtual std::size_t publish(std::string_view topic, std::string_view data,
                                MessageType type) = 0;

    /// permessage-deflate for this request, as the options allow (none past the zlib memory
    /// cap); its resources are the server's and outlive the connection.
    [[nodiscard]] virtual std::optional<proto::DeflateSetup> deflate_setup(
            const proto::UpgradeRequest& request) = 0;

    /// The connection is over: free it after the current loop batch.
    virtual void release(ServerConnection& connection) = 0;

    /// The connection whose on_open runs now on this loop, and its request, when its route does
    /// not keep the request (Route::keep_request): one per loop, since hooks of one loop never
    /// overlap, rather than a pointer in every connection.
    struct Opening {
        const ServerConnection* connection = nullptr;
        const proto::HttpRequest* request = nullptr;
    };

    [[nodiscard]] Opening& opening() noexcept { return opening_; }

    [[nodiscard]] const Opening& opening() const noexcept { return opening_; }

    /// The routes this loop's open connections are on.
    [[nodiscard]] RouteHolds& routes_held() noexcept { return routes_held_; }

    /// This loop's topics and their subscribers. After a change, topics_changed() keeps the
    /// counters' figures of them current.
    [[nodiscard]] TopicTable<ServerConnection>& topics() noexcept { return topics_; }

    void topics_changed() noexcept {
        stats().topics = topics_.topic_count();
        stats().subscriptions = topics_.subscription_count();
    }

protected:
    ServerContext() = default;
    ServerContext(const ServerContext&) = default;
    ServerContext& operator=(const ServerContext&) = default;
    ~ServerContext() = default;

private:
    Opening opening_;
    RouteHolds routes_held_;
    TopicTable<ServerConnection> topics_;
};

}  // namespace wsx::detail
