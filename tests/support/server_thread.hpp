// A wsx::Server on its own loop thread on a free loopback port, for integration tests; stopped
// and joined by the destructor.
#pragma once

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "wsx/server.hpp"

namespace wsx::test {

class ServerThread {
public:
    ServerThread(ServerOptions options, std::vector<Route> routes, std::string host = "127.0.0.1") {
        options.host = std::move(host);
        options.port = 0;
        std::promise<std::uint16_t> port;
        auto ready = port.get_future();
        thread_ = std::thread(
                [&, options = std::move(options), routes = std::move(routes)]() mutable {
                    auto loop = net::Loop::create();
                    loop_ = loop->get();
                    auto server = Server::create(**loop, std::move(options), std::move(routes));
                    if (!server) {
                        port.set_value(0);
                        return;
                    }
                    server_ = server->get();
                    port.set_value((*server)->port());
                    (*loop)->run();
                });
        port_ = ready.get();
    }

    ~ServerThread() {
        if (loop_ != nullptr) {
            loop_->stop();
        }
        thread_.join();
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }

    /// Runs `fn` on the loop thread and waits for it.
    template <class Fn>
    auto on_loop(Fn fn) {
        std::promise<decltype(fn(*server_))> result;
        loop_->defer([&] { result.set_value(fn(*server_)); });
        return result.get_future().get();
    }

private:
    std::thread thread_;
    net::Loop* loop_ = nullptr;
    Server* server_ = nullptr;
    std::uint16_t port_ = 0;
};

}  // namespace wsx::test
