// ServerGroup: loops on their own threads sharing one port. Connections spread over the loops,
// ids that name their loop, sends and work from other threads, broadcasts that span the loops,
// routes replaced on every loop, one connection cap for the group, graceful shutdown under load,
// and a port another process holds. Also built under ThreadSanitizer (scripts/dev test).
#include "wsx/server_group.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/blocking_client.hpp"

namespace wsx {
namespace {

using V = std::vector<std::string>;
using Clients = std::vector<std::unique_ptr<test::BlockingClient>>;

constexpr unsigned kThreads = 2;

// Ids of the connections opened so far, from every loop thread.
struct OpenedIds {
    std::mutex mutex;
    std::vector<std::uint64_t> ids;

    std::vector<std::uint64_t> get() {
        const std::lock_guard lock(mutex);
        return ids;
    }
};

// /echo echoes; a message "broadcast:X" is sent to every connection of the route instead.
Route echo_route(OpenedIds* opened = nullptr) {
    Handlers h;
    h.on_open = [opened](Connection& c) {
        if (opened != nullptr) {
            const std::lock_guard lock(opened->mutex);
            opened->ids.push_back(c.id());
        }
    };
    h.on_message = [](Connection& c, std::string_view data, MessageType type) {
        if (data.rfind("broadcast:", 0) == 0) {
            (void)c.broadcast(data.substr(10), type);
        } else {
            (void)c.send(data, type);
        }
    };
    return Route{.path = "/echo", .handlers = std::move(h)};
}

std::unique_ptr<ServerGroup> make_group(std::vector<Route> routes, ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto group = ServerGroup::create(std::move(options), std::move(routes), kThreads);
    EXPECT_TRUE(group) << group.error().message();
    return group ? std::move(*group) : nullptr;
}

// `n` clients upgraded at /echo, each after one echo (so the server counts it open).
Clients open_clients(std::uint16_t port, std::size_t n) {
    Clients out;
    for (std::size_t i = 0; i < n; ++i) {
        auto c = std::make_unique<test::BlockingClient>(port);
        EXPECT_EQ(c->handshake("/echo").rfind("HTTP/1.1 101", 0), 0U) << "client " << i;
        c->send_all(test::text("hi " + std::to_string(i)));
        EXPECT_EQ(c->read_frames(1), V{"text:hi " + std::to_string(i)});
        out.push_back(std::move(c));
    }
    return out;
}

// Every loop opened at least one connection: the port's connections really were spread.
void expect_spread(const ServerGroup& group) {
    const std::vector<ServerStats> per_loop = group.loop_stats();
    ASSERT_EQ(per_loop.size(), kThreads);
    for (unsigned i = 0; i < kThreads; ++i) {
        EXPECT_GT(per_loop[i].opened, 0U) << "loop " << i << " got no connection";
    }
}

TEST(ServerGroup, SpreadsConnectionsOverItsLoopsOnOnePort) {
    auto group = make_group({echo_route()});
    ASSERT_NE(group, nullptr);
    EXPECT_EQ(group->size(), kThreads);
    group->start();
    const Clients clients = open_clients(group->port(), 64);  // all on one loop: p = 2^-63
    expect_spread(*group);
    EXPECT_EQ(group->stats().opened, 64U);
    EXPECT_EQ(group->connection_count(), 64U);
}

TEST(ServerGroup, SendsAndPostsFromAnotherThreadReachTheConnectionOnItsLoop) {
    OpenedIds opened;
    auto group = make_group({echo_route(&opened)});
    ASSERT_NE(group, nullptr);
    group->start();
    const Clients clients = open_clients(group->port(), 16);
    const std::vector<std::uint64_t> ids = opened.get();
    ASSERT_EQ(ids.size(), 16U);
    EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), ids.size());
    std::atomic<int> on_own_loop{0};
    for (std::uint64_t id : ids) {
        EXPECT_LT(ServerGroup::loop_of(id), kThreads);
        ASSERT_TRUE(group->send(id, "pushed " + std::to_string(id), MessageType::text));
        ASSERT_TRUE(group->post(id, [&, id](Connection& c) {
            const bool own = &c.server() == &group->server(ServerGroup::loop_of(id));
            on_own_loop.fetch_add(own && c.id() == id ? 1 : 0);
            (void)c.send_text("posted");
        }));
    }
    EXPECT_FALSE(group->send(kThreads, "no such loop", MessageType::text));  // loop index 2
    // Opened in client order, one at a time: ids[i] is clients[i].
    for (std::size_t i = 0; i < clients.size(); ++i) {
        EXPECT_EQ(clients[i]->read_frames(2),
                  (V{"text:pushed " + std::to_string(ids[i]), "text:posted"}));
    }
    EXPECT_EQ(on_own_loop.load(), 16);
    expect_spread(*group);
}

TEST(ServerGroup, BroadcastsReachTheConnectionsOfEveryLoop) {
    auto group = make_group({echo_route()});
    ASSERT_NE(group, nullptr);
    group->start();
    const Clients clients = open_clients(group->port(), 24);
    expect_spread(*group);
    clients[0]->send_all(test::text("broadcast:from a connection"));
    for (const auto& c : clients) {
        EXPECT_EQ(c->read_frames(1), V{"text:from a connection"});
    }
    group->broadcast("/echo", "from the group", MessageType::text);
    group->broadcast("/nowhere", "dropped", MessageType::text);
    for (const auto& c : clients) {
        EXPECT_EQ(c->read_frames(1), V{"text:from the group"});
    }
}

TEST(ServerGroup, NewRoutesReachEveryLoopAndOpenConnectionsKeepTheirs) {
    auto group = make_group({echo_route()});
    ASSERT_NE(group, nullptr);
    group->start();
    const Clients old_clients = open_clients(group->port(), 8);
    Handlers v2;
    v2.on_open = [](Connection& c) {
        (void)c.send_text("v2");
    };
    group->set_routes({Route{.path = "/v2", .handlers = v2}});
    (void)group->connection_count();  // runs after set_routes on every loop: a barrier
    std::size_t upgraded = 0;
    std::size_t refused_old = 0;
    for (int i = 0; i < 24; ++i) {
        test::BlockingClient c(group->port());
        if (c.handshake("/v2").rfind("HTTP/1.1 101", 0) == 0 && c.read_frames(1) == V{"text:v2"}) {
            ++upgraded;
        }
        test::BlockingClient old(group->port());
        refused_old += old.handshake("/echo").rfind("HTTP/1.1 404", 0) == 0 ? 1U : 0U;
    }
    EXPECT_EQ(upgraded, 24U);
    EXPECT_EQ(refused_old, 24U);
    for (const auto& c : old_clients) {  // still on the old route, echoing
        c->send_all(test::text("still"));
        EXPECT_EQ(c->read_frames(1), V{"text:still"});
    }
    expect_spread(*group);
}

TEST(ServerGroup, MaxConnectionsCountsTheConnectionsOfEveryLoop) {
    ServerOptions options;
    options.max_connections = 3;
    auto group = make_group({echo_route()}, options);
    ASSERT_NE(group, nullptr);
    group->start();
    const Clients clients = open_clients(group->port(), 3);
    for (int i = 0; i < 16; ++i) {  // on either loop, whichever has fewer
        test::BlockingClient c(group->port());
        EXPECT_EQ(c.handshake("/echo").rfind("HTTP/1.1 503", 0), 0U) << "attempt " << i;
    }
}

// A client echoes until the server closes, answers the close; returns the last frame it read.
std::string echo_until_closed(test::BlockingClient& c, std::atomic<int>& round_trips) {
    for (int i = 0; i < 1'000'000; ++i) {
        std::string m = std::to_string(i);
        m.insert(0, 1, 'm');  // not "m" + string: g++ 12 -O3 warns (a -Wrestrict false positive)
        if (!c.send_all(test::text(m))) {
            return "send failed";
        }
        const V got = c.read_frames(1);
        if (got == V{"close:1001"}) {
            c.send_all(test::close_frame(1001));  // the closing handshake's answer, then FIN
            c.shutdown_write();
        }
        if (got != V{"text:" + m}) {
            return got.empty() ? "nothing" : got[0];
        }
        round_trips.fetch_add(1);
    }
    return "never closed";
}

TEST(ServerGroup, ShutdownUnderLoadClosesEveryLoopsConnectionsWith1001) {
    auto group = make_group({echo_route()});
    ASSERT_NE(group, nullptr);
    group->start();
    constexpr std::size_t kClients = 16;
    Clients clients = open_clients(group->port(), kClients);
    expect_spread(*group);
    std::atomic<int> round_trips{0};
    std::vector<std::string> last(kClients);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] { last[i] = echo_until_closed(*clients[i], round_trips); });
    }
    for (int i = 0; i < 20'000 && round_trips.load() < 1000; ++i) {  // under load: bounded wait
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::atomic<int> done_calls{0};
    group->shutdown(1001, [&] {
        done_calls.fetch_add(1);
        group->stop();
    });
    group->wait();
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_GE(round_trips.load(), 1000);
    EXPECT_EQ(done_calls.load(), 1);
    for (std::size_t i = 0; i < kClients; ++i) {
        EXPECT_EQ(last[i], "close:1001") << "client " << i;
    }
    EXPECT_EQ(group->connection_count(), 0U);  // read directly: no loop thread runs
}

TEST(ServerGroup, RefusesAPortAnotherGroupHolds) {
    auto first = make_group({echo_route()});
    ASSERT_NE(first, nullptr);
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = first->port();
    auto second = ServerGroup::create(options, {echo_route()}, kThreads);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use) << second.error().message();
}

TEST(ServerGroup, GivesOneLoopPerCoreByDefaultAndFiguresBeforeStart) {
    auto group = ServerGroup::create({.host = "127.0.0.1", .port = 0}, {echo_route()});
    ASSERT_TRUE(group) << group.error().message();
    EXPECT_EQ((*group)->size(), std::max(1U, std::thread::hardware_concurrency()));
    EXPECT_EQ((*group)->connection_count(), 0U);  // read directly: not started
    EXPECT_EQ((*group)->listening_addresses().size(), 1U);
}

}  // namespace
}  // namespace wsx
