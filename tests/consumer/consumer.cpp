// The outside project's program: a wsx::Server on a free loopback port, echoing, and a
// wsx::BlockingWebSocket on another thread that sends one message and checks the echo. Exit 0
// when the echo came back byte for byte, 1 otherwise (each failure said on stderr).
#include <iostream>
#include <string>
#include <thread>

#include "wsx/blocking_websocket.hpp"
#include "wsx/server.hpp"

int main() {
    auto loop = wsx::net::Loop::create();
    if (!loop) {
        std::cerr << "loop: " << loop.error().message() << "\n";
        return 1;
    }
    wsx::Handlers echo{
            .on_message = [](wsx::Connection& c, std::string_view data, wsx::MessageType type) {
                (void)c.send(data, type);
            }};
    auto server = wsx::Server::create(**loop, {.host = "127.0.0.1", .port = 0},
                                      {{.path = "/echo", .handlers = echo}});
    if (!server) {
        std::cerr << "server: " << server.error().message() << "\n";
        return 1;
    }
    const std::string url = "ws://127.0.0.1:" + std::to_string((*server)->port()) + "/echo";
    int status = 1;
    std::thread client([&] {
        auto ws = wsx::BlockingWebSocket::connect(url);
        if (!ws) {
            std::cerr << "connect " << url << ": " << ws.error().message() << "\n";
        } else if (auto ec = (*ws)->send("hello from outside")) {
            std::cerr << "send: " << ec.message() << "\n";
        } else if (auto reply = (*ws)->receive(10'000); !reply) {
            std::cerr << "receive: " << reply.error().message() << "\n";
        } else if (reply->data != "hello from outside") {
            std::cerr << "echo differs: " << reply->data << "\n";
        } else {
            std::cout << "echoed: " << reply->data << "\n";
            status = 0;
        }
        (*loop)->stop();
    });
    (*loop)->run();
    client.join();
    return status;
}
