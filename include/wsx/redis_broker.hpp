// wsx::RedisBroker: nodes joined through Redis pub/sub (hiredis, non-blocking on a wsx loop).
// Each topic with subscribers on this node is one Redis channel, "<prefix><topic>", subscribed
// once per node however many loops and connections listen to it; each publication made here is
// one PUBLISH, marked with this node's id so it comes back to no one here twice.
//
//     auto redis = wsx::RedisBroker::create({.url = "redis://127.0.0.1:6379/0"});
//     if (!redis) { log(redis.error().message()); return 1; }
//     options.broker = *redis;            // then ServerGroup::create(options, routes)
//
// Delivery is at most once: a publication made while Redis is away, or not confirmed by it,
// reaches this node's subscribers only (counted in RedisStats::lost, logged once per outage);
// one published elsewhere while this node was away is not replayed. The broker reconnects with
// backoff, resubscribes every channel and logs how long it was away.
//
// A message PUBLISHed to "<prefix><topic>" by any other Redis client reaches the topic's
// subscribers as it is: text when it is UTF-8, binary otherwise.
//
// Rule: the broker's work runs on a loop thread of its own (wsx-redis); its calls may come from
// any thread. Destroying it stops that thread (publications not yet sent are lost).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "wsx/broker.hpp"
#include "wsx/result.hpp"

namespace wsx {

/// Where a Redis server is: "redis://[[user]:password@]host[:port][/db]" (host a name, an IPv4
/// address or an IPv6 one in brackets; port 6379 and db 0 by default).
struct RedisEndpoint {
    std::string host;
    std::uint16_t port = 6379;
    std::string user;      // AUTH user password (Redis 6 ACLs) when both are set
    std::string password;  // AUTH password when only this is set
    unsigned db = 0;       // SELECT db; pub/sub channels themselves are the same in every db
};

/// Errors: net::Errc::bad_address, with the reason in `why` when given.
[[nodiscard]] Result<RedisEndpoint> parse_redis_url(std::string_view url,
                                                    std::string* why = nullptr);

struct RedisOptions {
    std::string url = "redis://127.0.0.1:6379/0";
    /// Channels are "<prefix><topic>": groups of nodes that share a Redis keep apart by prefix.
    std::string channel_prefix = "wsx:";
    std::uint32_t connect_timeout_ms = 2'000;
    /// The wait before each reconnect doubles from min to max, then stays at max.
    std::uint32_t reconnect_min_ms = 100;
    std::uint32_t reconnect_max_ms = 5'000;
    /// Publications sent to Redis and not yet confirmed; past it (a stalled Redis) they are
    /// lost, not queued without bound.
    std::size_t max_pending = 10'000;
};

/// Counters since start, readable from any thread.
struct RedisStats {
    bool connected = false;         // both connections up (publishing and subscribed)
    std::uint64_t published = 0;    // publications confirmed by Redis
    std::uint64_t lost = 0;         // publications that reached this node's subscribers only
    std::uint64_t received = 0;     // publications from other nodes (or other Redis clients)
    std::uint64_t own = 0;          // this node's own, come back from Redis and skipped
    std::uint64_t reconnects = 0;   // connections made again after a loss
    std::uint64_t disconnects = 0;  // connections lost (or attempts that failed)
    std::uint64_t channels = 0;     // channels this node listens to now
    std::uint64_t malformed = 0;    // replies or marked messages that did not parse
};

class RedisBroker final : public Broker {
public:
    /// Parses options.url, starts the broker's loop thread and starts connecting there (it
    /// keeps trying: a Redis that is not up yet is not an error). Errors: net::Errc::bad_address
    /// for a URL that does not parse (the reason is logged), Loop::create's.
    [[nodiscard]] static Result<std::shared_ptr<RedisBroker>> create(RedisOptions options);

    ~RedisBroker() override;

    void attach(Deliver deliver) override;
    void subscribe(std::string_view topic) override;
    void unsubscribe(std::string_view topic) override;
    void publish(std::string_view topic, std::string_view data, MessageType type) override;

    [[nodiscard]] RedisStats stats() const noexcept;

    /// This node's id, as it marks its publications (16 hex digits).
    [[nodiscard]] const std::string& node_id() const noexcept;

    struct Impl;

private:
    explicit RedisBroker(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace wsx
