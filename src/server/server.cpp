// wsx::Server, the public handle: every member forwards to the server's inside (ServerCore).
// Rule: no state and no logic here.
#include "wsx/server.hpp"

#include "server/server_core.hpp"

namespace wsx {

Result<std::unique_ptr<Server>> Server::create(net::Loop& loop, ServerOptions options,
                                               std::vector<Route> routes) {
    return create_member(loop, std::move(options), detail::share_routes(std::move(routes)), {});
}

Result<std::unique_ptr<Server>> Server::create_member(
        net::Loop& loop, ServerOptions options, std::vector<std::shared_ptr<const Route>> routes,
        const detail::GroupMember& member) {
    std::unique_ptr<Server> server(new Server());
    server->core_ = std::make_unique<detail::ServerCore>(*server, loop, std::move(options),
                                                         std::move(routes), member);
    if (auto ec = server->core_->listen()) {
        return ec;
    }
    return server;
}

Server::~Server() = default;

std::uint16_t Server::port() const noexcept {
    return core_->port();
}

std::vector<std::string> Server::listening_addresses() const {
    return core_->listening_addresses();
}

std::size_t Server::connection_count() const noexcept {
    return core_->connection_count();
}

Connection* Server::find_connection(std::uint64_t id) const noexcept {
    return core_->find_connection(id);
}

net::Loop& Server::loop() noexcept {
    return core_->loop();
}

const ServerOptions& Server::options() const noexcept {
    return core_->options();
}

const ServerStats& Server::stats() const noexcept {
    return core_->counters();
}

void Server::set_routes(std::vector<Route> routes) {
    core_->set_routes(detail::share_routes(std::move(routes)));
}

std::size_t Server::broadcast(const Route& route, std::string_view data, MessageType type) {
    return core_->broadcast(core_->shared_route(route), data, type);
}

std::size_t Server::publish(std::string_view topic, std::string_view data, MessageType type) {
    return core_->publish(topic, data, type);
}

void Server::shutdown(std::uint16_t code, std::function<void()> done) {
    core_->shutdown(code, std::move(done));
}

}  // namespace wsx
