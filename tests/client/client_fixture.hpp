// The client tests' shared pieces: peer servers, an event recorder, free ports, a bounded run
// loop and the WebSocketClient fixture (tests/client/*_test.cpp).
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsx/blocking_websocket.hpp"
#include "wsx/net/address.hpp"
#include "wsx/net/errc.hpp"
#include "wsx/net/tcp.hpp"
#include "wsx/net/tls_error.hpp"
#include "wsx/proto/errc.hpp"

#include "support/peer_process.hpp"

namespace wsx::test_client {

using V = std::vector<std::string>;

inline std::unique_ptr<test::PeerProcess> start_peer(const std::string& kind) {
    if (kind == "python") {
        return std::make_unique<test::PeerProcess>(
                std::vector<std::string>{"/usr/bin/python3", PYTHON_PEER});
    }
    if (kind == "node") {
        return std::make_unique<test::PeerProcess>(
                std::vector<std::string>{"/usr/bin/env", "node", NODE_PEER});
    }
    if (kind == "fake") {
        return std::make_unique<test::PeerProcess>(
                std::vector<std::string>{"/usr/bin/python3", FAKE_SERVER});
    }
    return std::make_unique<test::PeerProcess>(
            std::vector<std::string>{WSX_BIN, "serve", "-p", "0", "-H", "127.0.0.1"}, true);
}

// Records a WebSocket's events as text, in order.
struct Recorder {
    std::vector<std::string> events;
    bool closed = false;
    std::function<void(const MessageEvent&)> then;  // extra work on each message

    void attach(WebSocket& ws) {
        ws.on_open = [this, &ws] {
            events.push_back("open:" + ws.protocol());
        };
        ws.on_message = [this](const MessageEvent& e) {
            if (e.type == MessageType::text) {
                events.push_back(e.data.size() <= 1024 ? "text:" + std::string(e.data)
                                                       : "text:" + std::to_string(e.data.size()));
            } else {
                events.push_back("binary:" + std::to_string(e.data.size()));
            }
            if (then) {
                then(e);
            }
        };
        ws.on_ping = [this](std::string_view p) {
            events.push_back("ping:" + std::string(p));
        };
        ws.on_error = [this](const ErrorEvent& e) {
            events.push_back("error:" + e.error.message()
                             + (e.status != 0 ? ":" + std::to_string(e.status) : ""));
        };
        ws.on_close = [this](const CloseEvent& e) {
            events.push_back("close:" + std::to_string(e.code) + ":" + e.reason + ":"
                             + (e.was_clean ? "clean" : "unclean"));
            closed = true;
        };
    }
};

// A loopback port that was free a moment ago: nothing listens there.
inline std::uint16_t unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0
                    && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    return ok ? ntohs(a.sin_port) : 1;
}

// Runs the loop until `done` or 20 s.
inline void run_until(net::Loop& loop, const std::function<bool()>& done) {
    const net::TimeMs limit = loop.update_now() + 20'000;
    while (!done() && loop.update_now() < limit) {
        loop.run_once(50);
    }
}

class WebSocketClient : public ::testing::Test {
protected:
    void SetUp() override {
        auto l = net::Loop::create();
        ASSERT_TRUE(l);
        loop_ = std::move(*l);
    }

    std::unique_ptr<WebSocket> connect(std::uint16_t port, const std::string& path,
                                       std::vector<std::string> protocols = {},
                                       WebSocketOptions options = {}) {
        auto ws = WebSocket::create(*loop_, "ws://127.0.0.1:" + std::to_string(port) + path,
                                    std::move(protocols), std::move(options));
        EXPECT_TRUE(ws) << (ws ? "" : ws.error().message());
        if (!ws) {
            return nullptr;
        }
        rec_.attach(**ws);
        return std::move(*ws);
    }

    void run_until_closed() {
        run_until(*loop_, [&] { return rec_.closed; });
    }

    void run_until_events(std::size_t n) {
        run_until(*loop_, [&] { return rec_.events.size() >= n || rec_.closed; });
    }

    std::unique_ptr<net::Loop> loop_;
    Recorder rec_;
};

}  // namespace wsx::test_client
