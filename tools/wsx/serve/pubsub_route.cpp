// The built-in pub/sub resource's options and route; see pubsub_route.hpp.
#include "serve/pubsub_route.hpp"

#include <algorithm>

#include "wsx/net/log.hpp"
#include "wsx/redis_broker.hpp"

namespace wsx::tools {

void add_pubsub_options(CLI::App* serve, PubSubFlags& flags) {
    serve->add_option("--pubsub", flags.path,
                      "Path of the built-in pub/sub resource (JSON subscribe, unsubscribe, "
                      "publish; a handler with the same path wins)")
            ->capture_default_str();
    serve->add_flag("--no-pubsub", flags.off, "No built-in pub/sub resource");
    serve->add_option("--pubsub-publish", flags.publishers,
                      "Who may publish through it: clients, or handlers only (clients then "
                      "only subscribe)")
            ->check(CLI::IsMember({"clients", "handlers"}))
            ->capture_default_str();
    serve->add_option("--pubsub-token", flags.options.token,
                      "A client's publish must carry \"token\" equal to this");
    serve->add_option("--pubsub-max-subscriptions", flags.options.max_subscriptions,
                      "Topics one connection may subscribe to")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
    serve->add_option("--redis", flags.redis_url,
                      "Join other nodes through Redis pub/sub: every topic's publications reach "
                      "the subscribers of every node with the same Redis and prefix "
                      "(redis://[[user]:password@]host[:port][/db])");
    serve->add_option("--redis-prefix", flags.redis_prefix,
                      "Prefix of the Redis channels (one per topic): groups of nodes sharing a "
                      "Redis keep apart by prefix")
            ->capture_default_str();
}

bool add_redis_broker(ServerOptions& server, const PubSubFlags& flags) {
    if (flags.redis_url.empty()) {
        return true;
    }
    auto broker =
            RedisBroker::create({.url = flags.redis_url, .channel_prefix = flags.redis_prefix});
    if (!broker) {
        return false;  // the reason is logged
    }
    net::log_info("topics span every node of ", flags.redis_url, " (channels ", flags.redis_prefix,
                  "<topic>, node ", (*broker)->node_id(), ")");
    server.broker = *broker;
    return true;
}

void log_redis_figures(const ServerOptions& server) {
    const auto* redis = dynamic_cast<const RedisBroker*>(server.broker.get());
    if (redis == nullptr) {
        return;
    }
    const RedisStats s = redis->stats();
    net::log_info("redis: ", s.published, " publications sent, ", s.received, " received, ", s.lost,
                  " reached this node only; ", s.reconnects, " reconnects");
}

void add_pubsub_route(std::vector<Route>& routes, const PubSubFlags& flags) {
    if (flags.off || flags.path.empty()) {
        return;
    }
    const bool taken = std::any_of(routes.begin(), routes.end(),
                                   [&](const Route& r) { return r.path == flags.path; });
    if (taken) {
        net::log_info("handler ", flags.path, " from the handler directory (no built-in pub/sub)");
        return;
    }
    PubSubOptions options = flags.options;
    options.clients_publish = flags.publishers == "clients";
    const char* who = !options.clients_publish ? "handlers only publish"
                      : !options.token.empty() ? "clients publish with the token"
                                               : "clients publish";
    routes.push_back(Route{.path = flags.path,
                           .handlers = make_pubsub_handlers(std::move(options)),
                           .keep_request = false});
    net::log_info("handler ", flags.path, " built in: pub/sub (", who, ")");
}

}  // namespace wsx::tools
