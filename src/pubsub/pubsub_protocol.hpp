// The pub/sub resource's JSON protocol (wsx/pubsub.hpp) as pure functions over strings: a
// client's command parsed and checked, the server's replies written. No I/O: fuzzed on its own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wsx::detail {

enum class PubSubOp { subscribe, unsubscribe, publish };

struct PubSubCommand {
    PubSubOp op = PubSubOp::subscribe;
    std::string topic;
    std::string id;     // the "id" member as JSON text; empty if there is none
    std::string data;   // publish: the "data" member as JSON text
    std::string token;  // publish: the "token" member; empty if there is none
};

/// A parsed command, or `error` (one of kPubSubErrors) with whatever id could be read.
struct PubSubParse {
    bool ok = false;
    PubSubCommand command;
    std::string_view error;
};

/// Nesting deeper than this is "malformed" (a value is written back out, recursively).
inline constexpr int kPubSubMaxDepth = 64;

[[nodiscard]] PubSubParse parse_pubsub_command(std::string_view text, std::size_t max_topic_size);

[[nodiscard]] std::string pubsub_ack(std::string_view id_json);

[[nodiscard]] std::string pubsub_error(std::string_view id_json, std::string_view reason);

/// The envelope for a value already checked (PubSubCommand::data).
[[nodiscard]] std::string pubsub_message(std::string_view topic, std::string_view data_json);

}  // namespace wsx::detail
