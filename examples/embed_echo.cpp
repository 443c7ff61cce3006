// The README's library example: an echo server in a few lines. Built with the project so the
// README cannot drift from the API.
#include <string_view>

#include "wsx/server.hpp"

int main() {
    auto loop = wsx::net::Loop::create();
    if (!loop) {
        return 1;
    }
    wsx::Handlers echo{
            .on_message = [](wsx::Connection& c, std::string_view data, wsx::MessageType type) {
                (void)c.send(data, type);  // returns queued, backpressure, dropped or closed
            }};
    auto server =
            wsx::Server::create(**loop, {.port = 9998}, {{.path = "/echo", .handlers = echo}});
    if (!server) {
        return 1;  // server.error().message() says why
    }
    (*loop)->run();
}
