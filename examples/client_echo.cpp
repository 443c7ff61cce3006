// The README's client example: the seed page's "Run WebSocket" from C++. Sends "Message to send"
// to ws://localhost:9998/echo (or the URL given), prints the echo, closes. Built with the project
// so the README cannot drift from the API.
#include <iostream>

#include "wsx/websocket.hpp"

int main(int argc, char** argv) {
    auto loop = wsx::net::Loop::create();
    auto ws = wsx::WebSocket::create(**loop, argc > 1 ? argv[1] : "ws://localhost:9998/echo");
    if (!ws) {
        std::cerr << ws.error().message() << "\n";
        return 2;
    }
    (*ws)->on_open = [&] {
        (void)(*ws)->send("Message to send");
    };
    (*ws)->on_message = [&](const wsx::MessageEvent& e) {
        std::cout << e.data << "\n";
        (void)(*ws)->close();
    };
    (*ws)->on_error = [&](const wsx::ErrorEvent& e) {
        std::cerr << e.error.message() << "\n";
    };
    (*ws)->on_close = [&](const wsx::CloseEvent&) {
        (*loop)->stop();
    };
    (*loop)->run();
}
