// Fuzzes what wsx reads from Redis and from the command line about it (src/pubsub/
// redis_wire.hpp): a channel message's payload and a redis:// URL. Documented outcomes: a
// message is another client's (no node, the payload whole, text only when UTF-8) or marked (a
// 16-hex-digit node, the data after the mark, text only when UTF-8), or refused; what a node
// marks reads back the same; a URL gives a host and a port from 1 to 65535, or bad_address
// with a reason.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wsx/net/errc.hpp"
#include "wsx/proto/utf8.hpp"
#include "wsx/redis_broker.hpp"

#include "fuzz_support.hpp"
#include "pubsub/redis_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wsx::detail;
    using wsx::MessageType;
    using wsx::fuzz::require;
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const ChannelMessage m = read_channel_message(input);
    if (m.ok) {
        require(m.type == MessageType::binary || wsx::proto::is_valid_utf8(m.data),
                "text that is not UTF-8");
        if (m.node.empty()) {
            require(m.data == input && !input.starts_with(kRedisMark), "another client's, cut");
        } else {
            require(m.node.size() == kNodeIdSize && input.starts_with(kRedisMark)
                            && m.data == input.substr(kRedisHeaderSize),
                    "a marked message read wrong");
        }
    } else {
        require(input.starts_with(kRedisMark), "another client's message refused");
    }
    const MessageType type = size % 2 == 0 ? MessageType::binary : MessageType::text;
    if (type == MessageType::binary || wsx::proto::is_valid_utf8(input)) {
        const std::string marked = mark_publication("0123456789abcdef", type, input);
        const ChannelMessage back = read_channel_message(marked);
        require(back.ok && back.node == "0123456789abcdef" && back.type == type
                        && back.data == input,
                "a marked publication does not read back");
    }

    std::string why;
    const auto ep = wsx::parse_redis_url(input, &why);
    if (ep) {
        require(!ep->host.empty() && ep->port != 0 && why.empty(), "an endpoint without a host");
    } else {
        require(ep.error() == make_error_code(wsx::net::Errc::bad_address) && !why.empty(),
                "refused without a reason");
    }
    return 0;
}
