// The built-in pub/sub resource's options and route; see pubsub_route.hpp.
#include "serve/pubsub_route.hpp"

#include <algorithm>

#include "wsx/net/log.hpp"

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
