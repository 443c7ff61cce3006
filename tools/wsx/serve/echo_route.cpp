// Built-in echo resource; see echo_route.hpp.
#include "serve/echo_route.hpp"

#include <algorithm>

#include "wsx/connection.hpp"

namespace wsx::tools {

Route make_echo_route(std::string path, std::vector<std::string> subprotocols) {
    Handlers handlers;
    if (!subprotocols.empty()) {
        handlers.on_upgrade = [supported = std::move(subprotocols)](const UpgradeContext& ctx) {
            for (const auto& offered : ctx.subprotocols) {
                if (std::find(supported.begin(), supported.end(), offered) != supported.end()) {
                    return UpgradeDecision::accept(offered);
                }
            }
            return UpgradeDecision::accept();
        };
    }
    handlers.on_message = [](Connection& c, std::string_view data, MessageType type) {
        // A closed or overflowing connection reports it through its own close; nothing to add.
        (void)c.send(data, type);
        if (type == MessageType::text && data == kGoodbyeMessage) {
            (void)c.close(1000);
        }
    };
    return Route{.path = std::move(path), .handlers = std::move(handlers)};
}

}  // namespace wsx::tools
