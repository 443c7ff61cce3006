// The built-in pub/sub resource: topics for a page with no handler at all, over a small JSON
// protocol. Every message is one JSON object in a text frame.
//
// Client to server ("id" is optional: a number or a string, echoed in the reply; a command
// without one gets no acknowledgement, only errors):
//   {"op":"subscribe","topic":"news","id":1}
//   {"op":"unsubscribe","topic":"news","id":2}
//   {"op":"publish","topic":"news","data":<any JSON value>,"id":3,"token":"..."}
// Server to client:
//   {"op":"ack","id":1}
//   {"op":"error","id":2,"error":"not subscribed"}    (the reasons are listed in kPubSubErrors)
//   {"op":"message","topic":"news","data":<the value published>}
//
// Topics are the server's (Connection::subscribe): what a handler or the library publishes to a
// topic reaches this resource's subscribers as it is, so one that talks to them publishes the
// "message" envelope (pubsub_envelope()). Delivery is at most once, in order per publisher; a
// subscriber too far behind follows BufferLimits::overflow (by default closed with 1008).
// Binary messages close with 1003.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "wsx/route.hpp"

namespace wsx {

struct PubSubOptions {
    /// Whether clients may publish; false: only handlers and the library publish (the page
    /// subscribes only), and a client's publish gets "forbidden".
    bool clients_publish = true;
    /// Non-empty: a client's publish must carry "token" equal to this, or gets "forbidden".
    std::string token;
    std::size_t max_subscriptions = 64;  // per connection; past it: "too many subscriptions"
    std::size_t max_topic_size = 256;    // bytes; longer (or empty): "bad topic"
};

/// The reasons an "error" reply gives.
inline constexpr std::array<std::string_view, 7> kPubSubErrors = {
        "malformed",          "unknown op",     "bad topic",
        "already subscribed", "not subscribed", "too many subscriptions",
        "forbidden"};

/// Handlers speaking the protocol above; one set may serve the routes of several loops.
[[nodiscard]] Handlers make_pubsub_handlers(PubSubOptions options = {});

/// The "message" envelope for `data_json` (JSON text, e.g. "\"hello\"" or "{\"x\":1}") on
/// `topic`, as the resource's subscribers receive a publication. Empty if `data_json` is not
/// one valid JSON value.
[[nodiscard]] std::string pubsub_envelope(std::string_view topic, std::string_view data_json);

}  // namespace wsx
