// wsx::Broker: what joins a server's topics to other nodes (RedisBroker). A Server or a
// ServerGroup given one (ServerOptions::broker) tells it which topics have subscribers here and
// hands it every publication made here; it hands the server what other nodes publish, which
// reaches this node's subscribers and goes no further. Without one, topics stay in the process.
//
//     auto redis = wsx::RedisBroker::create({.url = "redis://127.0.0.1:6379/0"});
//     options.broker = *redis;            // then ServerGroup::create(options, routes)
//
// Rule: the server calls subscribe, unsubscribe and publish from its loop threads, any of them,
// at once: a broker does its own work on its own loop, never on the caller's.
#pragma once

#include <functional>
#include <string_view>

#include "wsx/proto/message_reader.hpp"

namespace wsx {

using proto::MessageType;

class Broker {
public:
    /// A publication from another node, for this node's subscribers of `topic`.
    using Deliver =
            std::function<void(std::string_view topic, std::string_view data, MessageType type)>;

    Broker() = default;
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;
    virtual ~Broker() = default;

    /// Where publications from other nodes go, called on the broker's thread; empty: they go
    /// nowhere. The server sets it when it is made and clears it when it is destroyed (from its
    /// own thread: thread-safe). One server (or group) per broker.
    virtual void attach(Deliver deliver) = 0;

    /// One more loop of this node has a subscriber to `topic` (the first one, on that loop).
    /// Thread-safe. The broker listens to a topic while any loop has subscribers to it.
    virtual void subscribe(std::string_view topic) = 0;

    /// A loop of this node has no subscriber to `topic` left. Thread-safe.
    virtual void unsubscribe(std::string_view topic) = 0;

    /// A publication made on this node (delivered here already): for the other nodes.
    /// Thread-safe.
    virtual void publish(std::string_view topic, std::string_view data, MessageType type) = 0;
};

}  // namespace wsx
