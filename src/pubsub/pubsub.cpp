// The built-in pub/sub resource; see wsx/pubsub.hpp. Each command is parsed once
// (pubsub_protocol.hpp); a publication's envelope is built once and published as one text
// message, so it is framed once per loop like any other (Server::publish).
#include "wsx/pubsub.hpp"

#include <memory>

#include <openssl/crypto.h>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"

#include "pubsub_protocol.hpp"

namespace wsx {
namespace {

// Equal tokens, compared in time that does not depend on where they differ.
bool token_matches(const std::string& expected, const std::string& given) {
    return expected.size() == given.size()
           && CRYPTO_memcmp(expected.data(), given.data(), given.size()) == 0;
}

void reply(Connection& c, const std::string& message) {
    (void)c.send_text(message);  // a closed or overflowing connection reports it itself
}

std::string_view publish_refusal(const PubSubOptions& o, const detail::PubSubCommand& cmd) {
    if (!o.clients_publish || (!o.token.empty() && !token_matches(o.token, cmd.token))) {
        return "forbidden";
    }
    return {};
}

void run(const PubSubOptions& o, Connection& c, const detail::PubSubCommand& cmd) {
    std::string_view error;
    switch (cmd.op) {
        case detail::PubSubOp::subscribe:
            if (c.topics().size() >= o.max_subscriptions) {
                error = "too many subscriptions";
            } else if (!c.subscribe(cmd.topic)) {
                error = "already subscribed";
            }
            break;
        case detail::PubSubOp::unsubscribe:
            if (!c.unsubscribe(cmd.topic)) {
                error = "not subscribed";
            }
            break;
        case detail::PubSubOp::publish:
            error = publish_refusal(o, cmd);
            if (error.empty()) {
                (void)c.publish(cmd.topic, detail::pubsub_message(cmd.topic, cmd.data),
                                MessageType::text);
            }
            break;
    }
    if (!error.empty()) {
        reply(c, detail::pubsub_error(cmd.id, error));
    } else if (!cmd.id.empty()) {
        reply(c, detail::pubsub_ack(cmd.id));
    }
}

}  // namespace

Handlers make_pubsub_handlers(PubSubOptions options) {
    auto o = std::make_shared<const PubSubOptions>(std::move(options));
    Handlers h;
    h.on_message = [o](Connection& c, std::string_view data, MessageType type) {
        if (type == MessageType::binary) {
            (void)c.close(1003, "pub/sub takes JSON text messages");
            return;
        }
        const auto parsed = detail::parse_pubsub_command(data, o->max_topic_size);
        if (!parsed.ok) {
            net::log_debug(c.remote_address().to_string(), " ", c.path(),
                           ": pub/sub: ", parsed.error);
            reply(c, detail::pubsub_error(parsed.command.id, parsed.error));
            return;
        }
        run(*o, c, parsed.command);
    };
    return h;
}

std::string pubsub_envelope(std::string_view topic, std::string_view data_json) {
    const std::string probe =
            std::string(R"({"op":"publish","topic":"t","data":)").append(data_json).append("}");
    const auto parsed = detail::parse_pubsub_command(probe, 1);
    return parsed.ok ? detail::pubsub_message(topic, parsed.command.data) : std::string();
}

}  // namespace wsx
