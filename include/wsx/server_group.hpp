// wsx::ServerGroup: one Server per core. Each loop thread has its own epoll loop, listening
// sockets (SO_REUSEPORT on one port, so the kernel spreads new connections over the loops) and
// connections; nothing is locked on a connection's path. Work for a connection another thread
// owns goes to its loop as a deferred call: a connection's id names its loop.
//
//     auto group = wsx::ServerGroup::create({.port = 9998}, {echo_route});   // one loop per core
//     if (!group) { log(group.error().message()); return 1; }
//     (*group)->start();                       // the loop threads
//     (*group)->send(id, "hello", wsx::MessageType::text);   // from any thread
//     (*group)->shutdown(1001, [&] { (*group)->stop(); });
//     (*group)->wait();
//
// Handlers are shared by every loop: their hooks run on the connection's loop thread, several at
// once for connections of different loops (see handler_abi.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wsx/connection.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/result.hpp"
#include "wsx/route.hpp"
#include "wsx/server.hpp"

namespace wsx {

class ServerGroup {
public:
    /// The most loops a group runs (a connection id keeps 8 bits for its loop).
    static constexpr unsigned kMaxThreads = 256;

    /// Makes `threads` loops (0: one per core, std::thread::hardware_concurrency(); at most
    /// kMaxThreads) and a server on each, listening on one port: options.port, or with 0 the
    /// free port the first one got. options.max_connections counts every loop's connections
    /// together; options.max_zlib_memory is split evenly between the loops. Errors: those of
    /// Loop::create and Server::create (address_in_use when another process has the port).
    [[nodiscard]] static Result<std::unique_ptr<ServerGroup>> create(ServerOptions options,
                                                                     std::vector<Route> routes,
                                                                     unsigned threads = 0);

    ServerGroup(const ServerGroup&) = delete;
    ServerGroup& operator=(const ServerGroup&) = delete;
    /// Stops the loops, joins their threads, then closes every connection at once.
    ~ServerGroup();

    /// Starts one thread per loop (named wsx-loop-N). Call once.
    void start();

    /// Waits until every loop thread has returned (after stop()).
    void wait();

    /// Makes every loop return from run(). Thread-safe.
    void stop();

    [[nodiscard]] unsigned size() const noexcept;

    [[nodiscard]] std::uint16_t port() const noexcept;

    [[nodiscard]] std::vector<std::string> listening_addresses() const;

    /// Loop `i` and its server: use them on that loop's thread (or before start()).
    [[nodiscard]] net::Loop& loop(unsigned i) noexcept;
    [[nodiscard]] Server& server(unsigned i) noexcept;

    /// The loop index of a connection id (Connection::id()).
    [[nodiscard]] static unsigned loop_of(std::uint64_t connection_id) noexcept;

    // Thread-safe, from any thread, loop threads included (once start() has returned, or
    // before it from the creating thread).

    /// Runs `fn` on the loop thread of connection `id`, with the connection if it still exists
    /// (nothing runs otherwise). False if `id` names no loop of this group.
    bool post(std::uint64_t id, std::function<void(Connection&)> fn);

    /// Runs `fn` with each loop's server, on that loop's thread.
    void post_each(std::function<void(Server&)> fn);

    /// Sends `data` to connection `id` on its loop thread (see Connection::send); a connection
    /// that is gone or not open drops it. False if `id` names no loop of this group.
    bool send(std::uint64_t id, std::string data, MessageType type);

    /// Sends to `route_path`'s open connections on every loop.
    void broadcast(std::string route_path, std::string data, MessageType type);

    /// Publishes to the subscribers of `topic` on every loop (see Server::publish), each loop on
    /// its own thread: framed once here, handed to each loop once.
    void publish(std::string_view topic, std::string_view data, MessageType type);

    /// New routes for every loop (open connections keep theirs), made into shared routes once.
    void set_routes(std::vector<Route> routes);

    /// Graceful stop of every loop's server (Server::shutdown); `done` runs once, on the loop
    /// thread that finished last. The loops keep running: call stop() from `done`.
    void shutdown(std::uint16_t code, std::function<void()> done);

    /// Each loop's counters, in loop order, gathered on the loops' threads without blocking
    /// any: `done` runs once, on the thread of the loop that answered last. Thread-safe.
    void gather_stats(std::function<void(std::vector<ServerStats>)> done);

    // Figures, gathered from each loop on its thread. Blocking: call them from a thread that
    // runs none of this group's loops (another one's deferred call would wait for this one).

    /// The counters of every loop, added up (the zlib figures too).
    [[nodiscard]] ServerStats stats() const;

    /// Each loop's counters, in loop order: how evenly connections were spread.
    [[nodiscard]] std::vector<ServerStats> loop_stats() const;

    [[nodiscard]] std::size_t connection_count() const;

    struct Impl;

private:
    explicit ServerGroup(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace wsx
