// wsx::Server: listens on TCP, runs the opening handshake for each connection, routes it by path,
// and joins one protocol endpoint to one transport per connection. One server belongs to one
// loop thread; ServerGroup (server_group.hpp) runs one per core.
//
//     auto loop = wsx::net::Loop::create();
//     auto server = wsx::Server::create(**loop, {.port = 9998}, {echo_route});
//     if (!server) { log(server.error().message()); return 1; }
//     (*loop)->run();
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wsx/broker.hpp"
#include "wsx/connection.hpp"
#include "wsx/http_response.hpp"
#include "wsx/net/loop.hpp"
#include "wsx/net/transport.hpp"
#include "wsx/proto/deflate.hpp"
#include "wsx/proto/limits.hpp"
#include "wsx/result.hpp"
#include "wsx/route.hpp"

namespace wsx {

/// Server settings; every field has a sane default.
struct ServerOptions {
    std::string host;           // "" = every address, IPv4 and IPv6
    std::uint16_t port = 9998;  // 0 = any free port (see Server::port())
    int backlog = 511;
    /// Protocol limits: head size, header count, message size (16 MiB), handshake timeout
    /// (10 s), idle timeout (60 s, keepalive ping after 30 s), closing timeout (5 s).
    proto::Limits limits;
    /// Connections at once, handshakes included; past it, upgrade requests get 503.
    std::size_t max_connections = 10'000;
    /// Backpressure (see Connection): stop reading above high, resume below low.
    BufferLimits buffer;
    /// HTTP Basic authentication (RFC 7617) in front of every request, WebSocket or not:
    /// "user:password", or empty for none. A request without it gets 401 with WWW-Authenticate.
    std::string basic_auth_credential;
    /// Origins (the Origin header field, exactly, such as "https://example.com") allowed to open
    /// WebSockets; empty: any. Others get 403, a request without Origin too (RFC 6455 §10.2).
    std::vector<std::string> allowed_origins;
    /// Subprotocols accepted for routes without an on_upgrade hook: of those the client offers,
    /// the first one in this list is chosen (none if they share nothing, RFC 6455 §4.2.2).
    std::vector<std::string> subprotocols;
    /// Answers plain HTTP requests and WebSocket requests for paths with no route (for example
    /// a StaticFiles document root). Without it they get 426 and 404.
    HttpHandler on_http;
    /// permessage-deflate (RFC 7692): negotiated by default, with a compressor shared by the
    /// loop's connections and no client context kept, so an idle connection holds no zlib memory.
    proto::DeflatePolicy deflate;
    /// zlib memory for every connection at once; past it, new connections are served without
    /// compression (logged), and an inflate that needs more fails its connection with 1011.
    std::size_t max_zlib_memory = 256 * 1024 * 1024;
    /// Makes each accepted connection's transport; empty: plain TCP (net::tcp_transports()).
    net::TransportFactory transport;
    /// Joins the topics to other nodes (RedisBroker): told which topics have subscribers here,
    /// handed each publication made here, and it brings in those of other nodes. Empty: topics
    /// stay in this process.
    std::shared_ptr<Broker> broker;
};

/// How many upgrade requests were refused with one HTTP status.
struct StatusCount {
    int status = 0;
    std::uint64_t count = 0;
};

/// Who closed a WebSocket session first: the server (a handler, a limit, shutdown), the client,
/// or nobody (the TCP connection went without a close frame: 1006).
enum class Closer : std::uint8_t { server, client, nobody };

/// How many WebSocket sessions ended with one close code, closed first by one side.
struct CloseCount {
    std::uint16_t code = 0;
    Closer by = Closer::nobody;
    std::uint64_t count = 0;
};

/// Round trips of the keepalive pings (proto/keepalive.hpp), in milliseconds of the loop's
/// clock: counts per bucket, each bucket holding what is at most its bound and more than the
/// one before (the last: above every bound).
struct RttHistogram {
    static constexpr std::array<std::int64_t, 10> kBoundsMs = {1,  2,   5,   10,   25,
                                                               50, 100, 250, 1000, 5000};
    std::array<std::uint64_t, kBoundsMs.size() + 1> buckets{};
    std::uint64_t count = 0;
    std::int64_t sum_ms = 0;

    void add(std::int64_t ms) noexcept;
    void merge(const RttHistogram& other) noexcept;
};

/// Counters since start.
struct ServerStats {
    std::uint64_t accepted = 0;
    std::uint64_t opened = 0;
    std::uint64_t rejected = 0;  // handshakes refused (bad request, 404, 503, hook)
    std::uint64_t failed = 0;    // connections failed for a protocol violation or timeout
    std::uint64_t dropped_messages = 0;
    std::uint64_t http_requests = 0;
    std::uint64_t deflate_negotiated = 0;      // connections that use permessage-deflate
    std::uint64_t deflate_refused_memory = 0;  // served uncompressed: max_zlib_memory reached
    std::size_t zlib_memory = 0;               // bytes zlib holds now
    std::size_t zlib_memory_peak = 0;
    std::size_t zlib_memory_cap = 0;  // ServerOptions::max_zlib_memory
    // Topics (Connection::subscribe, publish): every loop of a group gets each publication once.
    std::uint64_t publications = 0;        // publications this loop handed to its subscribers
    std::uint64_t deliveries = 0;          // messages queued to subscribers
    std::uint64_t deliveries_dropped = 0;  // subscribers past max_buffered (drop), or mid-message
    std::size_t topics = 0;                // topics with a subscriber on this loop, now
    std::size_t subscriptions = 0;         // (connection, topic) pairs on this loop, now
    // Traffic: WebSocket messages and their payload bytes, each way, every connection's.
    std::uint64_t messages_in = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t messages_out = 0;  // queued to go out: subscribers' deliveries among them
    std::uint64_t bytes_out = 0;
    std::uint64_t backpressure_pauses = 0;  // reading paused: output past the high watermark
    std::uint64_t overflow_closes = 0;      // closed with 1008: output past max_buffered
    std::size_t open = 0;                   // WebSocket sessions open now
    /// Upgrade requests refused (the `rejected` above), by status: 401, 403, 404, 503, ...
    std::vector<StatusCount> refusals;
    /// WebSocket sessions ended, by close code and who closed first.
    std::vector<CloseCount> closes;
    RttHistogram ping_rtt;

    void count_refusal(int status);
    void count_close(std::uint16_t code, Closer by);
    /// Adds `other`'s counters to these (the zlib peaks and caps too: bounds of a group's).
    void merge(const ServerStats& other);
};

namespace detail {
class ServerCore;
struct GroupMember;
}  // namespace detail

class ServerGroup;

class Server {
public:
    /// Binds and starts accepting. Errors: the bind/listen system error, net::Errc::bad_address.
    [[nodiscard]] static Result<std::unique_ptr<Server>> create(net::Loop& loop,
                                                                ServerOptions options,
                                                                std::vector<Route> routes);

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    /// The port listened on (useful with port 0).
    [[nodiscard]] std::uint16_t port() const noexcept;

    /// "[::]:9998" and the like, one per listening socket.
    [[nodiscard]] std::vector<std::string> listening_addresses() const;

    [[nodiscard]] std::size_t connection_count() const noexcept;

    /// The connection with this id, or nullptr once it is gone.
    [[nodiscard]] Connection* find_connection(std::uint64_t id) const noexcept;

    [[nodiscard]] net::Loop& loop() noexcept;

    [[nodiscard]] const ServerOptions& options() const noexcept;

    [[nodiscard]] const ServerStats& stats() const noexcept;

    /// Replaces the routes. Open connections keep the route they were opened with; new requests
    /// see the new ones (a handler directory rescan on SIGHUP).
    void set_routes(std::vector<Route> routes);

    /// Sends to every open connection of `route`; returns how many were sent to (on this loop:
    /// in a ServerGroup the other loops' connections are sent to after, on their threads).
    /// Messages to connections past their buffer limit follow BufferLimits::overflow.
    std::size_t broadcast(const Route& route, std::string_view data, MessageType type);

    /// Publishes to the subscribers of `topic` (Connection::subscribe) of every loop: framed once,
    /// each subscriber's copy queued as by Connection::send (past max_buffered: dropped and
    /// counted, or closed with 1008, as BufferLimits::overflow says). Returns how many of this
    /// loop's subscribers got it (a group's other loops deliver it after, on their threads).
    std::size_t publish(std::string_view topic, std::string_view data, MessageType type);

    /// Graceful stop: stops accepting, closes every open connection with `code` (1001, going
    /// away), drops pending handshakes, and calls `done` once every connection is gone or the
    /// closing timeout has passed.
    void shutdown(std::uint16_t code, std::function<void()> done);

private:
    friend class ServerGroup;

    Server() = default;

    /// One loop's server of a group (SO_REUSEPORT listeners, routes shared with the others), or
    /// with an empty member a server on its own (what create() makes).
    [[nodiscard]] static Result<std::unique_ptr<Server>> create_member(
            net::Loop& loop, ServerOptions options,
            std::vector<std::shared_ptr<const Route>> routes, const detail::GroupMember& member);

    std::unique_ptr<detail::ServerCore> core_;
};

}  // namespace wsx
