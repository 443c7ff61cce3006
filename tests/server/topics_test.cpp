// Topics over real sockets, on a ServerGroup of two loops: subscribers on both loops get each
// publication once, whether it comes from the group (any thread) or from a connection;
// unsubscribing and closing take a connection off; a subscriber that does not read is dropped
// from or closed (BufferLimits::overflow) while the others get everything; a connection sending
// a fragmented message of its own misses a publication rather than having it cut its message.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "wsx/server_group.hpp"

#include "support/blocking_client.hpp"

namespace wsx {
namespace {

using V = std::vector<std::string>;
using Clients = std::vector<std::unique_ptr<test::BlockingClient>>;

// /topics: "sub:T" subscribes (answer "sub:T" or "sub-again:T"), "unsub:T" unsubscribes
// ("unsub:T" or "unsub-none:T"), "pub:T:M" publishes M to T (answer "pub:N", N this loop's
// deliveries, unless T is "quiet"), "frag" begins a fragmented message and "fragend" ends it.
Route topics_route() {
    Handlers h;
    h.on_message = [](Connection& c, std::string_view data, MessageType type) {
        if (data.rfind("sub:", 0) == 0) {
            const bool ok = c.subscribe(data.substr(4));
            (void)c.send_text((ok ? "sub:" : "sub-again:") + std::string(data.substr(4)));
        } else if (data.rfind("unsub:", 0) == 0) {
            const bool ok = c.unsubscribe(data.substr(6));
            (void)c.send_text((ok ? "unsub:" : "unsub-none:") + std::string(data.substr(6)));
        } else if (data.rfind("pub:", 0) == 0) {
            const std::string_view rest = data.substr(4);
            const std::size_t colon = rest.find(':');
            const std::size_t n = c.publish(rest.substr(0, colon), rest.substr(colon + 1), type);
            if (rest.substr(0, colon) != "quiet") {
                (void)c.send_text("pub:" + std::to_string(n));
            }
        } else if (data == "frag" || data == "fragend") {
            (void)c.send_fragment(data == "frag" ? "part" : "end", MessageType::text,
                                  data == "fragend");
        }
    };
    return Route{.path = "/topics", .handlers = std::move(h)};
}

std::unique_ptr<ServerGroup> make_group(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto group = ServerGroup::create(std::move(options), {topics_route()}, 2);
    EXPECT_TRUE(group) << group.error().message();
    if (group) {
        (*group)->start();
    }
    return group ? std::move(*group) : nullptr;
}

// `n` clients at /topics, each subscribed to `topic` (its answer read: the server has it).
Clients subscribers(std::uint16_t port, std::size_t n, const std::string& topic) {
    Clients out;
    for (std::size_t i = 0; i < n; ++i) {
        auto c = std::make_unique<test::BlockingClient>(port);
        EXPECT_EQ(c->handshake("/topics").rfind("HTTP/1.1 101", 0), 0U);
        c->send_all(test::text("sub:" + topic));
        EXPECT_EQ(c->read_frames(1), V{"text:sub:" + topic});
        out.push_back(std::move(c));
    }
    return out;
}

// Polls the group's counters until `done` holds (bounded: 10 s).
template <class Pred>
bool stats_reach(ServerGroup& group, Pred done) {
    for (int i = 0; i < 200; ++i) {
        if (done(group.stats())) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

TEST(Topics, APublicationReachesEverySubscriberOnEveryLoopOnce) {
    auto group = make_group();
    ASSERT_NE(group, nullptr);
    const Clients news = subscribers(group->port(), 20, "news");
    const Clients sport = subscribers(group->port(), 4, "sport");
    const ServerStats before = group->stats();
    EXPECT_EQ(before.subscriptions, 24U);
    // Two topics, each counted on every loop where it has subscribers (the kernel chose
    // which loop each connection went to).
    EXPECT_GE(before.topics, 2U);
    EXPECT_LE(before.topics, 4U);
    EXPECT_GT(group->loop_stats()[0].subscriptions, 0U);
    EXPECT_GT(group->loop_stats()[1].subscriptions, 0U);

    group->publish("news", "from the group", MessageType::text);
    group->publish("nobody", "dropped: no subscriber", MessageType::text);
    news[3]->send_all(test::binary("pub:news:\x01\x02"));
    // Two publishers, so no order between their publications (each keeps its own): compare
    // what each subscriber got as a set. news[3] also gets the answer to its "pub:".
    for (const auto& c : news) {
        V got = c->read_frames(c == news[3] ? 3 : 2);
        std::sort(got.begin(), got.end());
        V want{"binary:2", "text:from the group"};
        if (c == news[3]) {
            ASSERT_EQ(got.size(), 3U);
            EXPECT_EQ(got[2].rfind("text:pub:", 0), 0U) << got[2];  // after "text:from..."
            want.push_back(got[2]);
        }
        EXPECT_EQ(got, want);
    }
    group->publish("sport", "goal", MessageType::text);
    for (const auto& c : sport) {
        EXPECT_EQ(c->read_frames(1), V{"text:goal"});
    }
    const ServerStats after = group->stats();
    EXPECT_EQ(after.deliveries - before.deliveries, 20U + 20U + 4U);
    EXPECT_EQ(after.publications - before.publications, 4U * 2U);  // each reaches both loops
    EXPECT_EQ(after.deliveries_dropped, 0U);
}

TEST(Topics, UnsubscribingAndClosingTakeAConnectionOff) {
    auto group = make_group();
    ASSERT_NE(group, nullptr);
    Clients clients = subscribers(group->port(), 10, "a");
    for (const auto& c : clients) {
        c->send_all(test::text("sub:all"));
        EXPECT_EQ(c->read_frames(1), V{"text:sub:all"});
    }
    clients[0]->send_all(test::text("sub:a"));
    EXPECT_EQ(clients[0]->read_frames(1), V{"text:sub-again:a"});
    for (std::size_t i = 0; i < 5; ++i) {
        clients[i]->send_all(test::text("unsub:a"));
        EXPECT_EQ(clients[i]->read_frames(1), V{"text:unsub:a"});
    }
    clients[0]->send_all(test::text("unsub:a"));
    EXPECT_EQ(clients[0]->read_frames(1), V{"text:unsub-none:a"});
    group->publish("a", "to a", MessageType::text);
    group->publish("all", "to all", MessageType::text);
    for (std::size_t i = 0; i < clients.size(); ++i) {
        // The unsubscribed ones see "to all" first: "to a" never came (the same loop queues
        // both in order, so no wait is needed to know it).
        const V want = i < 5 ? V{"text:to all"} : V{"text:to a", "text:to all"};
        EXPECT_EQ(clients[i]->read_frames(want.size()), want) << i;
    }
    EXPECT_EQ(group->stats().subscriptions, 15U);
    clients.clear();  // every connection ends: each leaves its topics
    EXPECT_TRUE(stats_reach(
            *group, [](const ServerStats& s) { return s.subscriptions == 0 && s.topics == 0; }));
    EXPECT_EQ(group->connection_count(), 0U);
}

// A client that subscribes, then reads nothing (with a small receive buffer when `small`).
std::unique_ptr<test::BlockingClient> deaf_subscriber(std::uint16_t port, const std::string& topic,
                                                      bool small = true) {
    auto c = std::make_unique<test::BlockingClient>(port);
    const int bytes = 4096;
    if (small) {
        (void)setsockopt(c->fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    EXPECT_EQ(c->handshake("/topics").rfind("HTTP/1.1 101", 0), 0U);
    c->send_all(test::text("sub:" + topic));
    EXPECT_EQ(c->read_frames(1), V{"text:sub:" + topic});
    return c;
}

constexpr std::size_t kFlood = 2000;  // 16 MB of 8 KiB messages: past any socket buffer

// At most 256 KiB queued per connection, and what to do past it.
ServerOptions small_buffers(OverflowAction overflow) {
    ServerOptions options;
    options.buffer = {.low_watermark = 16 * 1024,
                      .high_watermark = 32 * 1024,
                      .max_buffered = 256 * 1024,
                      .overflow = overflow};
    return options;
}

TEST(Topics, ASubscriberThatDoesNotReadIsDroppedFromAndTheOthersGetEverything) {
    auto group = make_group(small_buffers(OverflowAction::drop));
    ASSERT_NE(group, nullptr);
    auto deaf = deaf_subscriber(group->port(), "flood");
    const Clients readers = subscribers(group->port(), 2, "flood");
    const std::string payload(8192, 'f');
    std::vector<std::size_t> got(readers.size(), 0);
    for (std::size_t i = 0; i < kFlood; ++i) {
        group->publish("flood", payload, MessageType::binary);
        if (i % 50 == 49) {  // the readers keep up, so only the deaf one falls behind
            for (std::size_t r = 0; r < readers.size(); ++r) {
                for (const auto& f : readers[r]->read_frames(i + 1 - got[r])) {
                    got[r] += f == "binary:8192" ? 1U : 0U;
                }
            }
        }
    }
    EXPECT_EQ(got, std::vector<std::size_t>(readers.size(), kFlood));
    const ServerStats s = group->stats();
    EXPECT_GT(s.deliveries_dropped, 0U);  // the deaf one's, past its 256 KiB
    EXPECT_EQ(s.deliveries + s.deliveries_dropped, 3 * kFlood);
    EXPECT_EQ(s.subscriptions, 3U);  // dropped from, not closed
}

TEST(Topics, ASubscriberThatDoesNotReadIsClosedWith1008WhenSoConfigured) {
    auto group = make_group(small_buffers(OverflowAction::close));
    ASSERT_NE(group, nullptr);
    // The usual receive buffer, so that it reads fast once it reads: 32 MB is past what the
    // kernel's buffers on both sides hold.
    auto deaf = deaf_subscriber(group->port(), "flood", false);
    const std::string payload(8192, 'f');
    for (std::size_t i = 0; i < 2 * kFlood; ++i) {
        group->publish("flood", payload, MessageType::binary);
    }
    // What it reads now: the messages that were queued, then the close frame with 1008.
    std::string last;
    for (std::size_t i = 0; i < 2 * kFlood + 1 && last.rfind("close:", 0) != 0 && last != "eof";
         ++i) {
        last = deaf->read_frames(1).at(0);
    }
    EXPECT_EQ(last, "close:1008");
    deaf->send_all(test::close_frame(1008));  // the closing handshake ends, then TCP: both ways
    deaf->shutdown_write();
    EXPECT_TRUE(stats_reach(*group, [](const ServerStats& s) { return s.subscriptions == 0; }));
}

TEST(Topics, AConnectionInsideItsOwnFragmentedMessageMissesAPublication) {
    auto group = make_group();
    ASSERT_NE(group, nullptr);
    const Clients c = subscribers(group->port(), 1, "t");
    const std::uint64_t published = group->stats().publications;
    c[0]->send_all(test::text("frag"));         // a message begun and not ended
    c[0]->send_all(test::text("pub:quiet:x"));  // seen in the counters once "frag" was handled
    ASSERT_TRUE(stats_reach(*group,
                            [&](const ServerStats& s) { return s.publications == published + 2; }));
    group->publish("t", "inside", MessageType::text);
    EXPECT_TRUE(
            stats_reach(*group, [](const ServerStats& s) { return s.deliveries_dropped == 1; }));
    c[0]->send_all(test::text("fragend"));
    c[0]->send_all(test::text("pub:quiet:y"));  // again a barrier: "fragend" was handled
    ASSERT_TRUE(stats_reach(
            *group, [&](const ServerStats& s) { return s.publications == published + 2 + 2 + 2; }));
    group->publish("t", "after", MessageType::text);
    // Nothing came inside the fragmented message: it arrives whole, then the publication.
    EXPECT_EQ(c[0]->read_frames(2), (V{"text:partend", "text:after"}));
}

// Reads one unmasked frame of at most 125 bytes, as it came: its two header bytes and payload.
std::string raw_small_frame(test::BlockingClient& c) {
    std::string frame;
    char buf[1];
    for (std::size_t want = 2; frame.size() < want && ::recv(c.fd(), buf, 1, 0) == 1;) {
        frame += buf[0];
        if (frame.size() == 2) {
            want = 2 + (static_cast<unsigned char>(frame[1]) & 0x7fU);
        }
    }
    return frame;
}

// A subscriber with permessage-deflate gets the publication compressed by the loop's shared
// compressor (RFC 7692 §7.2.3.1's "Hello", with RSV1), one without gets it as it is.
TEST(Topics, SubscribersWithPermessageDeflateGetItCompressedOnce) {
    auto group = make_group();
    ASSERT_NE(group, nullptr);
    test::BlockingClient z(group->port());
    const std::string head = z.handshake(
            "/topics", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    ASSERT_NE(head.find("permessage-deflate"), std::string::npos) << head;
    z.send_all(test::text("sub:hello"));
    const std::string answer = raw_small_frame(z);  // "sub:hello", compressed
    ASSERT_GE(answer.size(), 2U);
    EXPECT_EQ(static_cast<unsigned char>(answer[0]), 0xc1U);  // FIN, RSV1, text
    const Clients plain = subscribers(group->port(), 1, "hello");
    group->publish("hello", "Hello", MessageType::text);
    EXPECT_EQ(raw_small_frame(z), std::string("\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00", 9));
    EXPECT_EQ(plain[0]->read_frames(1), V{"text:Hello"});
}

}  // namespace
}  // namespace wsx
