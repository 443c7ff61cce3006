// Nodes joined through a real redis-server (started here on a free loopback port): Redis URLs
// and the mark on wsx's publications as pure functions; then two ServerGroups of two loops
// each, a RedisBroker each, and raw WebSocket clients on both: a publication on one node
// reaches the other's subscribers once and its own once (its copy back from Redis skipped);
// one channel per topic per node, however many subscribers, let go when the last one leaves or
// closes; another Redis client's PUBLISH reaches subscribers as text or binary; Redis killed
// (publishing stays local and the loss is counted) and started again (resubscribed, crossing
// again); a stalled Redis loses what passes max_pending and no more.
#include "wsx/redis_broker.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "wsx/net/errc.hpp"
#include "wsx/server_group.hpp"

#include "pubsub/redis_wire.hpp"
#include "support/blocking_client.hpp"
#include "support/redis_server.hpp"

namespace wsx {
namespace {

using V = std::vector<std::string>;
using Client = std::unique_ptr<test::BlockingClient>;

TEST(RedisUrl, ReadsEachPart) {
    auto ep = parse_redis_url("redis://127.0.0.1");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->host, "127.0.0.1");
    EXPECT_EQ(ep->port, 6379);
    EXPECT_EQ(ep->db, 0U);
    EXPECT_TRUE(ep->password.empty());

    ep = parse_redis_url("redis://user:p%40ss:w@cache.local:6380/3");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->host, "cache.local");
    EXPECT_EQ(ep->port, 6380);
    EXPECT_EQ(ep->db, 3U);
    EXPECT_EQ(ep->user, "user");
    EXPECT_EQ(ep->password, "p%40ss:w");

    ep = parse_redis_url("redis://:secret@[::1]:7000/");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->host, "::1");
    EXPECT_EQ(ep->port, 7000);
    EXPECT_TRUE(ep->user.empty());
    EXPECT_EQ(ep->password, "secret");
}

TEST(RedisUrl, RefusesWithTheReason) {
    const std::pair<const char*, const char*> cases[] = {
            {"http://127.0.0.1", "not a redis:// URL"},
            {"redis://", "no host"},
            {"redis://:6379", "no host"},
            {"redis://h:0", "a port that is not a number from 1 to 65535"},
            {"redis://h:65536", "a port that is not a number from 1 to 65535"},
            {"redis://h:x", "a port that is not a number from 1 to 65535"},
            {"redis://[::1", "an IPv6 address without its closing ']'"},
            {"redis://[::1]x", "something after the IPv6 address other than :port"},
            {"redis://h/zero", "a database that is not a number"},
    };
    for (const auto& [url, reason] : cases) {
        std::string why;
        const auto ep = parse_redis_url(url, &why);
        EXPECT_FALSE(ep) << url;
        if (!ep) {
            EXPECT_EQ(ep.error(), make_error_code(net::Errc::bad_address)) << url;
        }
        EXPECT_EQ(why, reason) << url;
    }
}

TEST(RedisWire, MarkedPublicationsReadBackAndOthersAreTakenAsTheyCome) {
    const std::string node = "0123456789abcdef";
    const std::string text = detail::mark_publication(node, MessageType::text, "héllo");
    auto m = detail::read_channel_message(text);
    ASSERT_TRUE(m.ok);
    EXPECT_EQ(m.node, node);
    EXPECT_EQ(m.type, MessageType::text);
    EXPECT_EQ(m.data, "héllo");

    const std::string bin = detail::mark_publication(node, MessageType::binary, {"\0\xff", 2});
    m = detail::read_channel_message(bin);
    ASSERT_TRUE(m.ok);
    EXPECT_EQ(m.type, MessageType::binary);
    EXPECT_EQ(m.data, std::string_view("\0\xff", 2));

    m = detail::read_channel_message("from redis-cli");  // another client's: text
    ASSERT_TRUE(m.ok);
    EXPECT_TRUE(m.node.empty());
    EXPECT_EQ(m.type, MessageType::text);
    m = detail::read_channel_message("\xc3\x28");  // not UTF-8: binary
    ASSERT_TRUE(m.ok);
    EXPECT_EQ(m.type, MessageType::binary);

    // Marks that do not parse: cut short, a type that is neither, a node id that is not hex,
    // marked text that is not UTF-8.
    EXPECT_FALSE(detail::read_channel_message(text.substr(0, detail::kRedisHeaderSize - 1)).ok);
    std::string bad = text;
    bad[detail::kRedisMark.size()] = 'x';
    EXPECT_FALSE(detail::read_channel_message(bad).ok);
    bad = text;
    bad[detail::kRedisMark.size() + 3] = 'G';
    EXPECT_FALSE(detail::read_channel_message(bad).ok);
    EXPECT_FALSE(
            detail::read_channel_message(detail::mark_publication(node, MessageType::text, "\xff"))
                    .ok);
}

// /t: "sub:T" subscribes, "unsub:T" unsubscribes (each answered with itself), "pub:T:M"
// publishes M to T (answered "pub", after the publication).
Route topics_route() {
    Handlers h;
    h.on_message = [](Connection& c, std::string_view data, MessageType type) {
        if (data.rfind("sub:", 0) == 0) {
            (void)c.subscribe(data.substr(4));
        } else if (data.rfind("unsub:", 0) == 0) {
            (void)c.unsubscribe(data.substr(6));
        } else if (data.rfind("pub:", 0) == 0) {
            const std::string_view rest = data.substr(4);
            const std::size_t colon = rest.find(':');
            (void)c.publish(rest.substr(0, colon), rest.substr(colon + 1), type);
        }
        (void)c.send_text(data.rfind("pub:", 0) == 0 ? std::string_view("pub") : data);
    };
    return Route{.path = "/t", .handlers = std::move(h)};
}

struct Node {
    std::shared_ptr<RedisBroker> broker;
    std::unique_ptr<ServerGroup> group;
};

Node make_node(const test::RedisServer& redis, RedisOptions options = {}) {
    options.url = redis.url();
    options.reconnect_min_ms = 20;
    options.reconnect_max_ms = 200;
    auto broker = RedisBroker::create(std::move(options));
    EXPECT_TRUE(broker) << broker.error().message();
    if (!broker) {
        return {};
    }
    ServerOptions so{.host = "127.0.0.1", .port = 0};
    so.broker = *broker;
    auto group = ServerGroup::create(std::move(so), {topics_route()}, 2);
    EXPECT_TRUE(group) << group.error().message();
    if (!group) {
        return {};
    }
    (*group)->start();
    return {*broker, std::move(*group)};
}

template <class Pred>
bool eventually(Pred done) {
    for (int i = 0; i < 200; ++i) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

Client subscriber(const Node& node, const std::string& topic) {
    auto c = std::make_unique<test::BlockingClient>(node.group->port());
    EXPECT_EQ(c->handshake("/t").rfind("HTTP/1.1 101", 0), 0U);
    if (!topic.empty()) {
        c->send_all(test::text("sub:" + topic));
        EXPECT_EQ(c->read_frames(1), V{"text:sub:" + topic});
    }
    return c;
}

void publish(const Client& c, const std::string& topic, const std::string& data) {
    c->send_all(test::text("pub:" + topic + ":" + data));
}

class RedisNodes : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(redis_.up()) << "redis-server did not start"; }

    test::RedisServer redis_;
};

TEST_F(RedisNodes, APublicationCrossesToTheOtherNodeOnceAndComesBackToNoOne) {
    Node a = make_node(redis_);
    Node b = make_node(redis_);
    ASSERT_TRUE(a.group && b.group);
    ASSERT_TRUE(
            eventually([&] { return a.broker->stats().connected && b.broker->stats().connected; }));
    const Client a1 = subscriber(a, "news");
    std::vector<Client> bs;
    bs.reserve(6);
    for (int i = 0; i < 6; ++i) {  // on both of b's loops, as the kernel spreads them
        bs.push_back(subscriber(b, "news"));
    }
    ASSERT_TRUE(redis_.wait_numsub("wsx:news", 2));  // one channel per node

    publish(a1, "news", "first");
    EXPECT_EQ(a1->read_frames(2), (V{"text:first", "text:pub"}));
    a.group->publish("news", "second", MessageType::text);  // the library, from this thread
    EXPECT_EQ(a1->read_frames(1), V{"text:second"});
    for (const auto& c : bs) {
        EXPECT_EQ(c->read_frames(2), (V{"text:first", "text:second"}));
    }
    publish(bs[0], "news", "third");  // and back the other way
    EXPECT_EQ(a1->read_frames(1), V{"text:third"});
    EXPECT_EQ(bs[0]->read_frames(2), (V{"text:third", "text:pub"}));
    for (std::size_t i = 1; i < bs.size(); ++i) {
        EXPECT_EQ(bs[i]->read_frames(1), V{"text:third"});
    }
    // Each node's own publications came back from Redis and were skipped, not delivered again.
    ASSERT_TRUE(
            eventually([&] { return a.broker->stats().own == 2 && b.broker->stats().own == 1; }));
    publish(a1, "news", "fourth");
    EXPECT_EQ(a1->read_frames(2), (V{"text:fourth", "text:pub"}));
    EXPECT_EQ(bs[0]->read_frames(1), V{"text:fourth"});
    const RedisStats sa = a.broker->stats();
    const RedisStats sb = b.broker->stats();
    EXPECT_TRUE(eventually([&] { return a.broker->stats().published == 3; }));
    EXPECT_EQ(sb.published, 1U);
    EXPECT_EQ(sa.received, 1U);
    EXPECT_GE(sb.received, 3U);
    EXPECT_EQ(sa.lost + sb.lost, 0U);
    EXPECT_EQ(sa.channels, 1U);
    EXPECT_EQ(sb.channels, 1U);
    EXPECT_EQ(a.broker->node_id().size(), 16U);
    EXPECT_NE(a.broker->node_id(), b.broker->node_id());
}

TEST_F(RedisNodes, OneChannelPerTopicPerNodeLetGoWithTheLastSubscriber) {
    Node a = make_node(redis_);
    ASSERT_TRUE(a.group);
    ASSERT_TRUE(eventually([&] { return a.broker->stats().connected; }));
    std::vector<Client> cs;
    cs.reserve(8);
    for (int i = 0; i < 8; ++i) {
        cs.push_back(subscriber(a, "room"));
    }
    const Client other = subscriber(a, "other");
    ASSERT_TRUE(redis_.wait_numsub("wsx:room", 1));
    ASSERT_TRUE(eventually([&] { return a.broker->stats().channels == 2; }));
    for (int i = 0; i < 4; ++i) {
        cs[static_cast<std::size_t>(i)]->send_all(test::text("unsub:room"));
        EXPECT_EQ(cs[static_cast<std::size_t>(i)]->read_frames(1), V{"text:unsub:room"});
    }
    cs.resize(5);  // three close without unsubscribing
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(redis_.numsub("wsx:room"), 1);  // one subscriber left: still listened to
    cs[4]->send_all(test::text("unsub:room"));
    EXPECT_EQ(cs[4]->read_frames(1), V{"text:unsub:room"});
    EXPECT_TRUE(redis_.wait_numsub("wsx:room", 0));
    EXPECT_EQ(redis_.numsub("wsx:other"), 1);
    EXPECT_TRUE(eventually([&] { return a.broker->stats().channels == 1; }));
}

TEST_F(RedisNodes, AnotherRedisClientsPublishReachesSubscribers) {
    Node a = make_node(redis_, {.channel_prefix = "app1/"});
    ASSERT_TRUE(a.group);
    const Client c = subscriber(a, "ticker");
    ASSERT_TRUE(redis_.wait_numsub("app1/ticker", 1));
    EXPECT_EQ(redis_.command({"PUBLISH", "app1/ticker", "from a backend"}), "1");
    EXPECT_EQ(redis_.command({"PUBLISH", "app1/ticker", std::string("\x00\xff\x01", 3)}), "1");
    EXPECT_EQ(redis_.command({"PUBLISH", "app1/ticker", "\x1Fwsx1?broken"}), "1");  // bad mark
    EXPECT_EQ(redis_.command({"PUBLISH", "wsx:ticker", "another prefix"}), "0");
    EXPECT_EQ(c->read_frames(2), (V{"text:from a backend", "binary:3"}));
    EXPECT_TRUE(eventually([&] { return a.broker->stats().malformed == 1; }));
    EXPECT_EQ(a.broker->stats().received, 2U);
}

TEST_F(RedisNodes, RedisKilledAndStartedAgain) {
    Node a = make_node(redis_);
    Node b = make_node(redis_);
    ASSERT_TRUE(a.group && b.group);
    const Client a1 = subscriber(a, "news");
    const Client b1 = subscriber(b, "news");
    ASSERT_TRUE(redis_.wait_numsub("wsx:news", 2));

    redis_.kill();
    ASSERT_TRUE(eventually([&] { return !a.broker->stats().connected; }));
    publish(a1, "news", "while away");  // this node's subscribers still get it
    EXPECT_EQ(a1->read_frames(2), (V{"text:while away", "text:pub"}));
    EXPECT_TRUE(eventually([&] { return a.broker->stats().lost == 1; }));
    // A subscriber that comes while Redis is away is listened to once it is back.
    const Client a2 = subscriber(a, "later");

    ASSERT_TRUE(redis_.start());
    ASSERT_TRUE(redis_.wait_numsub("wsx:news", 2));  // both nodes resubscribed
    ASSERT_TRUE(redis_.wait_numsub("wsx:later", 1));
    ASSERT_TRUE(
            eventually([&] { return a.broker->stats().connected && b.broker->stats().connected; }));
    publish(a1, "news", "back");
    EXPECT_EQ(a1->read_frames(2), (V{"text:back", "text:pub"}));
    EXPECT_EQ(b1->read_frames(1), V{"text:back"});  // "while away" never crossed
    publish(b1, "later", "for a2");
    EXPECT_EQ(a2->read_frames(1), V{"text:for a2"});
    const RedisStats s = a.broker->stats();
    EXPECT_GE(s.disconnects, 2U);  // both of its connections
    EXPECT_GE(s.reconnects, 2U);
    EXPECT_EQ(s.lost, 1U);
}

TEST_F(RedisNodes, AStalledRedisLosesWhatPassesMaxPendingAndNoMore) {
    Node a = make_node(redis_, {.max_pending = 5});
    ASSERT_TRUE(a.group);
    const Client a1 = subscriber(a, "news");
    ASSERT_TRUE(redis_.wait_numsub("wsx:news", 1));
    ASSERT_TRUE(eventually([&] { return a.broker->stats().connected; }));
    redis_.pause();
    for (int i = 0; i < 20; ++i) {
        a.group->publish("news", "m" + std::to_string(i), MessageType::text);
    }
    for (int i = 0; i < 20; ++i) {  // every one reached this node's subscriber
        EXPECT_EQ(a1->read_frames(1), V{"text:m" + std::to_string(i)});
    }
    EXPECT_TRUE(eventually([&] { return a.broker->stats().lost == 15; }));
    redis_.resume();
    EXPECT_TRUE(eventually([&] { return a.broker->stats().published == 5; }));
    EXPECT_EQ(a.broker->stats().lost, 15U);
    a.group->publish("news", "after", MessageType::text);
    EXPECT_TRUE(eventually([&] { return a.broker->stats().published == 6; }));
}

TEST(RedisBroker, NoRedisAtAllLeavesTopicsLocal) {
    auto broker = RedisBroker::create(
            {.url = "redis://127.0.0.1:1", .reconnect_min_ms = 20, .reconnect_max_ms = 50});
    ASSERT_TRUE(broker);
    ServerOptions so{.host = "127.0.0.1", .port = 0};
    so.broker = *broker;
    auto group = ServerGroup::create(std::move(so), {topics_route()}, 2);
    ASSERT_TRUE(group);
    (*group)->start();
    const Node node{*broker, std::move(*group)};
    const Client c = subscriber(node, "t");
    publish(c, "t", "local");
    EXPECT_EQ(c->read_frames(2), (V{"text:local", "text:pub"}));
    EXPECT_TRUE(eventually([&] { return (*broker)->stats().disconnects >= 4; }));  // it retries
    EXPECT_FALSE((*broker)->stats().connected);
    EXPECT_EQ((*broker)->stats().lost, 1U);

    EXPECT_FALSE(RedisBroker::create({.url = "redis://h:0"}));
}

}  // namespace
}  // namespace wsx
