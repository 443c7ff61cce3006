// `wsx serve`'s built-in pub/sub resource (wsx/pubsub.hpp): its options and its route, added
// beside the handler directory's unless a handler serves the same path.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wsx/pubsub.hpp"
#include "wsx/server.hpp"

namespace wsx::tools {

struct PubSubFlags {
    std::string path = "/pubsub";        // --pubsub PATH
    bool off = false;                    // --no-pubsub
    std::string publishers = "clients";  // --pubsub-publish clients|handlers
    PubSubOptions options;               // --pubsub-token, ...
    std::string redis_url;               // --redis URL
    std::string redis_prefix = "wsx:";   // --redis-prefix
};

/// Adds --pubsub, --no-pubsub, --pubsub-publish, --pubsub-token, --pubsub-max-subscriptions,
/// --redis and --redis-prefix to `serve`.
void add_pubsub_options(CLI::App* serve, PubSubFlags& flags);

/// Appends the resource to `routes` (logged), unless it is off or a handler has its path.
void add_pubsub_route(std::vector<Route>& routes, const PubSubFlags& flags);

/// With --redis: a RedisBroker in `server` (false, logged, when the URL does not parse).
[[nodiscard]] bool add_redis_broker(ServerOptions& server, const PubSubFlags& flags);

/// With --redis: its counters, logged once the server has stopped.
void log_redis_figures(const ServerOptions& server);

}  // namespace wsx::tools
