// `wsx serve`'s built-in pub/sub resource (wsx/pubsub.hpp): its options and its route, added
// beside the handler directory's unless a handler serves the same path.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "wsx/pubsub.hpp"

namespace wsx::tools {

struct PubSubFlags {
    std::string path = "/pubsub";        // --pubsub PATH
    bool off = false;                    // --no-pubsub
    std::string publishers = "clients";  // --pubsub-publish clients|handlers
    PubSubOptions options;               // --pubsub-token, ...
};

/// Adds --pubsub, --no-pubsub, --pubsub-publish, --pubsub-token to `serve`.
void add_pubsub_options(CLI::App* serve, PubSubFlags& flags);

/// Appends the resource to `routes` (logged), unless it is off or a handler has its path.
void add_pubsub_route(std::vector<Route>& routes, const PubSubFlags& flags);

}  // namespace wsx::tools
