// The built-in pub/sub resource: its JSON protocol as pure functions (every error reason, ids
// echoed as written, nesting bounded, values written back as they came), then the resource
// over real sockets on a ServerGroup of two loops: subscribers on both loops get a client's
// publication once, enveloped; a library publication of pubsub_envelope() reaches them too;
// errors carry the id; publishing is refused without the token, or to clients at all; binary
// closes with 1003; the subscription limit holds.
#include "wsx/pubsub.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/server_group.hpp"

#include "pubsub/pubsub_protocol.hpp"
#include "support/blocking_client.hpp"

namespace wsx {
namespace {

using detail::parse_pubsub_command;
using detail::PubSubOp;
using V = std::vector<std::string>;

TEST(PubSubProtocol, ParsesEachCommand) {
    auto p = parse_pubsub_command(R"({"op":"subscribe","topic":"news","id":1})", 256);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.command.op, PubSubOp::subscribe);
    EXPECT_EQ(p.command.topic, "news");
    EXPECT_EQ(p.command.id, "1");

    p = parse_pubsub_command(R"({"topic":"news","op":"unsubscribe","id":"a\"b"})", 256);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.command.op, PubSubOp::unsubscribe);
    EXPECT_EQ(p.command.id, R"("a\"b")");

    p = parse_pubsub_command(R"({"op":"publish","topic":"t","data":{"x":[1,2.5,"é"]},"token":"k"})",
                             256);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.command.op, PubSubOp::publish);
    EXPECT_EQ(p.command.data, R"({"x":[1,2.5,"é"]})");
    EXPECT_EQ(p.command.token, "k");
    EXPECT_TRUE(p.command.id.empty());

    p = parse_pubsub_command(R"({"op":"publish","topic":"t","data":null})", 256);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.command.data, "null");
}

TEST(PubSubProtocol, RefusesWithTheReasonAndTheId) {
    struct Case {
        const char* text;
        std::string_view error;
        const char* id;
    };

    const Case cases[] = {
            {"", "malformed", ""},
            {"not json", "malformed", ""},
            {"[1,2]", "malformed", ""},
            {R"({"op":"subscribe","topic":"t"} trailing)", "malformed", ""},
            {R"({"op":"subscribe","topic":"t","id":[1]})", "malformed", ""},
            {R"({"topic":"t","id":7})", "malformed", "7"},
            {R"({"op":3,"topic":"t","id":7})", "malformed", "7"},
            {R"({"op":"shout","topic":"t","id":7})", "unknown op", "7"},
            {R"({"op":"subscribe","id":7})", "bad topic", "7"},
            {R"({"op":"subscribe","topic":"","id":7})", "bad topic", "7"},
            {R"({"op":"subscribe","topic":5,"id":7})", "bad topic", "7"},
            {R"({"op":"subscribe","topic":"12345","id":7})", "bad topic", "7"},
            {R"({"op":"publish","topic":"t","id":7})", "malformed", "7"},
            {R"({"op":"publish","topic":"t","data":1,"token":2,"id":7})", "malformed", "7"},
    };
    for (const auto& c : cases) {
        const auto p = parse_pubsub_command(c.text, 4);
        EXPECT_FALSE(p.ok) << c.text;
        EXPECT_EQ(p.error, c.error) << c.text;
        EXPECT_EQ(p.command.id, c.id) << c.text;
    }
}

TEST(PubSubProtocol, BoundsNesting) {
    const auto nested = [](std::size_t depth) {
        return R"({"op":"publish","topic":"t","data":)" + std::string(depth, '[')
               + std::string(depth, ']') + "}";
    };
    EXPECT_TRUE(parse_pubsub_command(nested(std::size_t{detail::kPubSubMaxDepth} - 1), 256).ok);
    EXPECT_EQ(parse_pubsub_command(nested(std::size_t{detail::kPubSubMaxDepth} + 1), 256).error,
              "malformed");
    EXPECT_EQ(parse_pubsub_command(nested(100000), 256).error, "malformed");  // no deep stack
}

TEST(PubSubProtocol, WritesReplies) {
    EXPECT_EQ(detail::pubsub_ack("1"), R"({"op":"ack","id":1})");
    EXPECT_EQ(detail::pubsub_error("", "bad topic"), R"({"op":"error","error":"bad topic"})");
    EXPECT_EQ(detail::pubsub_error(R"("x")", "forbidden"),
              R"({"op":"error","id":"x","error":"forbidden"})");
    EXPECT_EQ(pubsub_envelope("a\"b", R"( {"k": [1, true]} )"),
              R"({"op":"message","topic":"a\"b","data":{"k":[1,true]}})");
    EXPECT_EQ(pubsub_envelope("t", "{oops"), "");
    EXPECT_EQ(pubsub_envelope("t", "1 2"), "");
}

struct Resource {
    std::unique_ptr<ServerGroup> group;
    std::uint16_t port = 0;
};

Resource start(PubSubOptions options = {}) {
    ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    Route route{.path = "/pubsub", .handlers = make_pubsub_handlers(std::move(options))};
    auto group = ServerGroup::create(std::move(so), {std::move(route)}, 2);
    EXPECT_TRUE(group) << group.error().message();
    Resource r;
    if (group) {
        r.group = std::move(*group);
        r.group->start();
        r.port = r.group->port();
    }
    return r;
}

std::unique_ptr<test::BlockingClient> join(std::uint16_t port) {
    auto c = std::make_unique<test::BlockingClient>(port);
    EXPECT_EQ(c->handshake("/pubsub").rfind("HTTP/1.1 101", 0), 0U);
    return c;
}

// `c` sends `command` and reads one reply.
std::string ask(test::BlockingClient& c, const std::string& command) {
    c.send_all(test::text(command));
    const auto frames = c.read_frames(1);
    return frames.empty() ? "(nothing)" : frames[0];
}

TEST(PubSubResource, DeliversToSubscribersOnBothLoops) {
    auto r = start();
    ASSERT_TRUE(r.group);
    std::vector<std::unique_ptr<test::BlockingClient>> subs;
    for (int i = 0; i < 4; ++i) {  // connections are spread over the two loops
        subs.push_back(join(r.port));
        EXPECT_EQ(ask(*subs.back(),
                      R"({"op":"subscribe","topic":"news","id":)" + std::to_string(i) + "}"),
                  R"(text:{"op":"ack","id":)" + std::to_string(i) + "}");
    }
    auto other = join(r.port);
    EXPECT_EQ(ask(*other, R"({"op":"subscribe","topic":"sport","id":"s"})"),
              R"(text:{"op":"ack","id":"s"})");
    auto publisher = join(r.port);
    EXPECT_EQ(ask(*publisher, R"({"op":"publish","topic":"news","data":{"n":1},"id":9})"),
              R"(text:{"op":"ack","id":9})");
    for (auto& s : subs) {
        EXPECT_EQ(s->read_frames(1), V{R"(text:{"op":"message","topic":"news","data":{"n":1}})"});
    }
    // The library publishes the same envelope; "sport" saw nothing of "news".
    r.group->publish("sport", pubsub_envelope("sport", "\"goal\""), MessageType::text);
    EXPECT_EQ(other->read_frames(1), V{R"(text:{"op":"message","topic":"sport","data":"goal"})"});

    EXPECT_EQ(ask(*subs[0], R"({"op":"unsubscribe","topic":"news","id":1})"),
              R"(text:{"op":"ack","id":1})");
    (void)ask(*publisher, R"({"op":"publish","topic":"news","data":2,"id":10})");
    for (std::size_t i = 1; i < subs.size(); ++i) {
        EXPECT_EQ(subs[i]->read_frames(1), V{R"(text:{"op":"message","topic":"news","data":2})"});
    }
    // subs[0] got nothing: its next frame is the reply to its next command.
    EXPECT_EQ(ask(*subs[0], R"({"op":"unsubscribe","topic":"news","id":2})"),
              R"(text:{"op":"error","id":2,"error":"not subscribed"})");
}

TEST(PubSubResource, ReportsErrorsAndKeepsTheConnection) {
    PubSubOptions o;
    o.max_subscriptions = 2;
    o.max_topic_size = 8;
    auto r = start(o);
    ASSERT_TRUE(r.group);
    auto c = join(r.port);
    EXPECT_EQ(ask(*c, "{"), R"(text:{"op":"error","error":"malformed"})");
    EXPECT_EQ(ask(*c, R"({"op":"dance","id":1})"),
              R"(text:{"op":"error","id":1,"error":"unknown op"})");
    EXPECT_EQ(ask(*c, R"({"op":"subscribe","topic":"123456789","id":2})"),
              R"(text:{"op":"error","id":2,"error":"bad topic"})");
    EXPECT_EQ(ask(*c, R"({"op":"subscribe","topic":"a","id":3})"), R"(text:{"op":"ack","id":3})");
    EXPECT_EQ(ask(*c, R"({"op":"subscribe","topic":"a","id":4})"),
              R"(text:{"op":"error","id":4,"error":"already subscribed"})");
    EXPECT_EQ(ask(*c, R"({"op":"subscribe","topic":"b","id":5})"), R"(text:{"op":"ack","id":5})");
    EXPECT_EQ(ask(*c, R"({"op":"subscribe","topic":"c","id":6})"),
              R"(text:{"op":"error","id":6,"error":"too many subscriptions"})");
    // Without an id a success is silent: the next reply is the next command's.
    c->send_all(test::text(R"({"op":"unsubscribe","topic":"a"})"));
    EXPECT_EQ(ask(*c, R"({"op":"subscribe","topic":"c","id":7})"), R"(text:{"op":"ack","id":7})");
    c->send_all(test::binary("{}"));
    EXPECT_EQ(c->read_frames(1), V{"close:1003"});
}

TEST(PubSubResource, RefusesPublishersWithoutTheToken) {
    PubSubOptions o;
    o.token = "s3cret";
    auto r = start(o);
    ASSERT_TRUE(r.group);
    auto sub = join(r.port);
    EXPECT_EQ(ask(*sub, R"({"op":"subscribe","topic":"t","id":1})"), R"(text:{"op":"ack","id":1})");
    auto pub = join(r.port);
    EXPECT_EQ(ask(*pub, R"({"op":"publish","topic":"t","data":1,"id":2})"),
              R"(text:{"op":"error","id":2,"error":"forbidden"})");
    EXPECT_EQ(ask(*pub, R"({"op":"publish","topic":"t","data":1,"token":"s3creT","id":3})"),
              R"(text:{"op":"error","id":3,"error":"forbidden"})");
    EXPECT_EQ(ask(*pub, R"({"op":"publish","topic":"t","data":2,"token":"s3cret","id":4})"),
              R"(text:{"op":"ack","id":4})");
    // Only the publication with the token arrived.
    EXPECT_EQ(sub->read_frames(1), V{R"(text:{"op":"message","topic":"t","data":2})"});
}

TEST(PubSubResource, HandlersOnlyPublishWhenClientsMayNot) {
    PubSubOptions o;
    o.clients_publish = false;
    auto r = start(o);
    ASSERT_TRUE(r.group);
    auto sub = join(r.port);
    EXPECT_EQ(ask(*sub, R"({"op":"subscribe","topic":"t","id":1})"), R"(text:{"op":"ack","id":1})");
    EXPECT_EQ(ask(*sub, R"({"op":"publish","topic":"t","data":1,"id":2})"),
              R"(text:{"op":"error","id":2,"error":"forbidden"})");
    r.group->publish("t", pubsub_envelope("t", "3"), MessageType::text);
    EXPECT_EQ(sub->read_frames(1), V{R"(text:{"op":"message","topic":"t","data":3})"});
}

}  // namespace
}  // namespace wsx
