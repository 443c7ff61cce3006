// The pub/sub JSON protocol; see pubsub_protocol.hpp. Parsing is nlohmann/json's (Debian's
// nlohmann-json3-dev), without exceptions, its depth bounded through the parser's callback.
#include "pubsub_protocol.hpp"

#include <nlohmann/json.hpp>

namespace wsx::detail {
namespace {

using nlohmann::json;

std::string dump(const json& value) {
    // Strings come from valid UTF-8 (a text frame) or escapes the parser checked; replace, not
    // throw, if that ever failed.
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

PubSubParse failed(std::string_view reason, std::string id = {}) {
    PubSubParse p;
    p.error = reason;
    p.command.id = std::move(id);
    return p;
}

}  // namespace

PubSubParse parse_pubsub_command(std::string_view text, std::size_t max_topic_size) {
    bool too_deep = false;
    const json::parser_callback_t bound = [&too_deep](int depth, json::parse_event_t, json&) {
        if (depth > kPubSubMaxDepth) {
            too_deep = true;
            return false;
        }
        return true;
    };
    const json doc = json::parse(text.begin(), text.end(), bound, /*allow_exceptions=*/false);
    if (too_deep || doc.is_discarded() || !doc.is_object()) {
        return failed("malformed");
    }
    std::string id;
    if (const auto it = doc.find("id"); it != doc.end()) {
        if (!it->is_number() && !it->is_string()) {
            return failed("malformed");
        }
        id = dump(*it);
    }
    const auto op = doc.find("op");
    if (op == doc.end() || !op->is_string()) {
        return failed("malformed", std::move(id));
    }
    PubSubParse p;
    const auto& name = op->get_ref<const std::string&>();
    if (name == "subscribe") {
        p.command.op = PubSubOp::subscribe;
    } else if (name == "unsubscribe") {
        p.command.op = PubSubOp::unsubscribe;
    } else if (name == "publish") {
        p.command.op = PubSubOp::publish;
    } else {
        return failed("unknown op", std::move(id));
    }
    const auto topic = doc.find("topic");
    if (topic == doc.end() || !topic->is_string() || topic->get_ref<const std::string&>().empty()
        || topic->get_ref<const std::string&>().size() > max_topic_size) {
        return failed("bad topic", std::move(id));
    }
    p.command.topic = topic->get<std::string>();
    if (p.command.op == PubSubOp::publish) {
        const auto data = doc.find("data");
        if (data == doc.end()) {
            return failed("malformed", std::move(id));
        }
        p.command.data = dump(*data);
        if (const auto token = doc.find("token"); token != doc.end()) {
            if (!token->is_string()) {
                return failed("malformed", std::move(id));
            }
            p.command.token = token->get<std::string>();
        }
    }
    p.command.id = std::move(id);
    p.ok = true;
    return p;
}

std::string pubsub_ack(std::string_view id_json) {
    return std::string(R"({"op":"ack","id":)").append(id_json).append("}");
}

std::string pubsub_error(std::string_view id_json, std::string_view reason) {
    std::string out = R"({"op":"error",)";
    if (!id_json.empty()) {
        out.append(R"("id":)").append(id_json).append(",");
    }
    return out.append(R"("error":)").append(dump(json(reason))).append("}");
}

std::string pubsub_message(std::string_view topic, std::string_view data_json) {
    return std::string(R"({"op":"message","topic":)")
            .append(dump(json(topic)))
            .append(R"(,"data":)")
            .append(data_json)
            .append("}");
}

}  // namespace wsx::detail
