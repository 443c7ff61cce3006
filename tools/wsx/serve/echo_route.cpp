// Built-in echo resource; see echo_route.hpp.
#include "serve/echo_route.hpp"

#include "wsx/connection.hpp"

namespace wsx::tools {

Route make_echo_route(std::string path) {
    Handlers handlers;
    handlers.on_message = [](Connection& c, std::string_view data, MessageType type) {
        // A closed or overflowing connection reports it through its own close; nothing to add.
        (void)c.send(data, type);
        if (type == MessageType::text && data == kGoodbyeMessage) {
            (void)c.close(1000);
        }
    };
    return Route{.path = std::move(path), .handlers = std::move(handlers), .keep_request = false};
}

}  // namespace wsx::tools
