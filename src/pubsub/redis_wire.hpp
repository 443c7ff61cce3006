// What wsx puts on a Redis channel, as pure functions: the mark a node puts in front of each
// publication ("\x1Fwsx1", 't' or 'b', the node's 16 hex digits, then the data) and the reading
// of a channel's message, marked or from any other Redis client. Rule: no I/O; fuzzed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "wsx/broker.hpp"

namespace wsx::detail {

inline constexpr std::string_view kRedisMark = "\x1Fwsx1";
inline constexpr std::size_t kNodeIdSize = 16;
inline constexpr std::size_t kRedisHeaderSize = kRedisMark.size() + 1 + kNodeIdSize;

/// The payload to PUBLISH for `data` from node `node_id` (kNodeIdSize characters).
[[nodiscard]] std::string mark_publication(std::string_view node_id, MessageType type,
                                           std::string_view data);

struct ChannelMessage {
    bool ok = false;        // false: marked, but the mark does not parse
    std::string_view node;  // the publishing node's id; empty for another Redis client's message
    MessageType type = MessageType::text;
    std::string_view data;  // views into the payload given
};

/// Reads a channel message's payload: a marked one, or another client's (text if UTF-8).
[[nodiscard]] ChannelMessage read_channel_message(std::string_view payload) noexcept;

}  // namespace wsx::detail
