// Fuzzes the pub/sub resource's command parser (src/pubsub/pubsub_protocol.hpp). Documented
// outcomes: a command or one of kPubSubErrors, never an exception or a deep recursion; a
// command's topic is non-empty and within the bound; its "data" and "id", written back out, read
// the same again (what subscribers get is valid JSON); the envelope written for it is one JSON
// object (read back, it is an unknown op, not malformed).
#include "wsx/pubsub.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "pubsub/pubsub_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wsx::detail;
    using wsx::fuzz::require;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t max_topic = 32;
    const auto p = parse_pubsub_command(input, max_topic);
    if (!p.ok) {
        require(std::find(wsx::kPubSubErrors.begin(), wsx::kPubSubErrors.end(), p.error)
                        != wsx::kPubSubErrors.end(),
                "undocumented error");
        return 0;
    }
    const auto& c = p.command;
    require(!c.topic.empty() && c.topic.size() <= max_topic, "topic out of bounds");
    if (!c.id.empty()) {
        const auto again = parse_pubsub_command(
                R"({"op":"subscribe","topic":"t","id":)" + c.id + "}", max_topic);
        require(again.ok && again.command.id == c.id, "id does not read back");
    }
    if (c.op == PubSubOp::publish) {
        const auto again = parse_pubsub_command(
                R"({"op":"publish","topic":"t","data":)" + c.data + "}", max_topic);
        require(again.ok && again.command.data == c.data, "data does not read back");
        const auto envelope = parse_pubsub_command(pubsub_message(c.topic, c.data), max_topic);
        require(envelope.error == "unknown op", "the envelope is not one JSON object");
    } else {
        require(c.data.empty() && c.token.empty(), "data or token outside a publish");
    }
    return 0;
}
