// Handler kinds with state shared by every loop thread (executable handlers, pywebsocket
// handlers): two loops on two threads, each with its own Server on its own free port, both with
// routes copied from one Handlers object, and clients talking to both at once. Checks the echoes
// byte for byte, the process cap across both loops, and one Python host per loop.
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/executable_handler.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/python_handler.hpp"
#include "wsx/server.hpp"

#include "support/blocking_client.hpp"

namespace wsx {
namespace {

using V = std::vector<std::string>;

constexpr std::size_t kLoops = 2;

// Two loops, each with its own Server serving `handlers` at /echo on a free loopback port, each
// run on its own thread. Everything is made on the calling thread before the loops run; the
// destructor stops the loops, joins their threads, then destroys servers, handlers and loops in
// that order (a handler's sessions must go before the loops they are registered on).
class TwoLoops {
public:
    explicit TwoLoops(Handlers handlers) : handlers_(std::move(handlers)) {
        const std::vector<Route> routes = {Route{.path = "/echo", .handlers = handlers_}};
        for (std::size_t i = 0; i < kLoops; ++i) {
            auto loop = net::Loop::create();
            EXPECT_TRUE(loop) << loop.error().message();
            if (!loop) {
                return;
            }
            ServerOptions options;
            options.host = "127.0.0.1";
            options.port = 0;
            auto server = Server::create(**loop, std::move(options), routes);
            EXPECT_TRUE(server) << server.error().message();
            if (!server) {
                return;
            }
            ports_.at(i) = (*server)->port();
            loops_.push_back(std::move(*loop));
            servers_.push_back(std::move(*server));
        }
        for (auto& loop : loops_) {
            threads_.emplace_back([l = loop.get()] { l->run(); });
        }
    }

    ~TwoLoops() {
        for (auto& loop : loops_) {
            loop->stop();  // thread-safe: deferred onto the loop
        }
        for (auto& t : threads_) {
            t.join();
        }
        servers_.clear();
        handlers_ = Handlers{};
    }

    TwoLoops(const TwoLoops&) = delete;
    TwoLoops& operator=(const TwoLoops&) = delete;

    [[nodiscard]] bool running() const { return threads_.size() == kLoops; }

    [[nodiscard]] std::uint16_t port(std::size_t i) const { return ports_.at(i); }

private:
    std::vector<std::unique_ptr<net::Loop>> loops_;  // first: destroyed last
    Handlers handlers_;
    std::vector<std::unique_ptr<Server>> servers_;
    std::array<std::uint16_t, kLoops> ports_{};
    std::vector<std::thread> threads_;
};

// The i-th message of client `tag`: varied lengths, multi-byte UTF-8, no newline (the executable
// handler is line-based).
std::string message(const std::string& tag, int i) {
    return tag + " message " + std::to_string(i) + " "
           + std::string(static_cast<std::size_t>(i % 97), 'x')
           + " \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
}

// Sends `count` messages one at a time and returns what came back for each ("text:..." when
// echoed); runs on a client thread.
V round_trips(test::BlockingClient& c, const std::string& tag, int count) {
    V got;
    for (int i = 0; i < count; ++i) {
        if (!c.send_all(test::text(message(tag, i)))) {
            got.emplace_back("send failed");
            break;
        }
        const V frame = c.read_frames(1);
        got.push_back(frame.empty() ? "nothing" : frame[0]);
        if (got.back() != "text:" + message(tag, i)) {
            break;
        }
    }
    return got;
}

V expected_echoes(const std::string& tag, int count) {
    V want;
    for (int i = 0; i < count; ++i) {
        want.push_back("text:" + message(tag, i));
    }
    return want;
}

bool upgraded(test::BlockingClient& c) {
    return c.handshake("/echo").rfind("HTTP/1.1 101", 0) == 0;
}

// Retries an upgrade on `port` until it is accepted or the deadline passes (a slot freed by a
// process that is still exiting); each try is a whole handshake, so the loop is bounded by time
// and by count.
bool upgrades_within(std::uint16_t port, std::chrono::milliseconds deadline,
                     std::unique_ptr<test::BlockingClient>& out) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (int attempt = 0; attempt < 100'000 && std::chrono::steady_clock::now() < until;
         ++attempt) {
        out = std::make_unique<test::BlockingClient>(port);
        if (upgraded(*out)) {
            return true;
        }
    }
    return false;
}

constexpr int kMessages = 200;

ExecutableOptions cat_handler(std::size_t max_processes) {
    return ExecutableOptions{.path = "/bin/cat", .max_processes = max_processes};
}

TEST(HandlersOnTwoLoops, ExecutableEchoesOnBothLoopsAtOnceAndCapsProcessesAcrossThem) {
    TwoLoops loops(make_executable_handlers(cat_handler(2)));
    ASSERT_TRUE(loops.running());
    test::BlockingClient a(loops.port(0));
    test::BlockingClient b(loops.port(1));
    ASSERT_TRUE(upgraded(a));
    ASSERT_TRUE(upgraded(b));
    V got_a;
    V got_b;
    std::thread ta([&] { got_a = round_trips(a, "a", kMessages); });
    std::thread tb([&] { got_b = round_trips(b, "b", kMessages); });
    ta.join();
    tb.join();
    EXPECT_EQ(got_a, expected_echoes("a", kMessages));
    EXPECT_EQ(got_b, expected_echoes("b", kMessages));

    // Two processes run, one per loop: a third connection gets 503 on either loop.
    for (std::size_t i = 0; i < kLoops; ++i) {
        test::BlockingClient c(loops.port(i));
        EXPECT_EQ(c.handshake("/echo").rfind("HTTP/1.1 503", 0), 0U) << "loop " << i;
    }

    // a's process ends with its connection; its slot is then free for the other loop too.
    a.send_all(test::close_frame(1000));
    EXPECT_EQ(a.read_frames(1), (V{"close:1000"}));
    a.shutdown_write();
    EXPECT_TRUE(a.read_until_eof());
    std::unique_ptr<test::BlockingClient> d;
    ASSERT_TRUE(upgrades_within(loops.port(1), std::chrono::seconds(5), d));
    EXPECT_EQ(round_trips(*d, "d", 3), expected_echoes("d", 3));
    EXPECT_EQ(round_trips(b, "b", 3), expected_echoes("b", 3));
}

TEST(HandlersOnTwoLoops, ExecutableCapHoldsWhenConnectionsRaceOnBothLoops) {
    constexpr std::size_t kClients = 6;  // three on each loop, at once, for two processes
    TwoLoops loops(make_executable_handlers(cat_handler(2)));
    ASSERT_TRUE(loops.running());
    std::vector<std::unique_ptr<test::BlockingClient>> clients;
    for (std::size_t i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<test::BlockingClient>(loops.port(i % kLoops)));
    }
    // Every client stays connected until all are done, so no slot is freed meanwhile.
    std::vector<std::string> outcome(kClients);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            const std::string head = clients[i]->handshake("/echo");
            if (head.rfind("HTTP/1.1 101", 0) != 0) {
                outcome[i] = head.substr(0, head.find("\r\n"));
                return;
            }
            // Accepted, then maybe closed with 1013 if another loop took the last slot first.
            outcome[i] = round_trips(*clients[i], "c" + std::to_string(i), 1).at(0);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::size_t echoed = 0;
    for (std::size_t i = 0; i < kClients; ++i) {
        if (outcome[i] == "text:" + message("c" + std::to_string(i), 0)) {
            ++echoed;
        } else {
            EXPECT_TRUE(outcome[i].rfind("HTTP/1.1 503", 0) == 0 || outcome[i] == "close:1013")
                    << "client " << i << ": " << outcome[i];
        }
    }
    EXPECT_EQ(echoed, 2U);
}

// The first message of pid_wsh.py: its host's pid.
std::string host_pid(test::BlockingClient& c) {
    if (!upgraded(c)) {
        return "no upgrade";
    }
    const V first = c.read_frames(1);
    return first.empty() ? "nothing" : first[0];
}

TEST(HandlersOnTwoLoops, PythonRunsOneHostPerLoopAndEchoesOnBothAtOnce) {
    TwoLoops loops(make_python_handlers({.path = PID_WSH, .host_script = PYTHON_HOST}));
    ASSERT_TRUE(loops.running());
    test::BlockingClient a1(loops.port(0));
    test::BlockingClient a2(loops.port(0));
    test::BlockingClient b(loops.port(1));
    std::array<std::string, 3> pids;
    std::array<V, 3> got;
    std::array<test::BlockingClient*, 3> clients = {&a1, &a2, &b};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        threads.emplace_back([&, i] {
            pids.at(i) = host_pid(*clients.at(i));
            got.at(i) = round_trips(*clients.at(i), "p" + std::to_string(i), kMessages);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (std::size_t i = 0; i < clients.size(); ++i) {
        EXPECT_EQ(pids.at(i).rfind("text:", 0), 0U) << pids.at(i);
        EXPECT_EQ(got.at(i), expected_echoes("p" + std::to_string(i), kMessages)) << "client " << i;
    }
    EXPECT_EQ(pids[0], pids[1]);  // one host for the connections of loop 0
    EXPECT_NE(pids[0], pids[2]);  // and another for loop 1
}

}  // namespace
}  // namespace wsx
