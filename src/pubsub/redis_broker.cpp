// RedisBroker: a loop thread of its own with two hiredis links on it, one to PUBLISH, one
// SUBSCRIBEd to the channels of the topics this node listens to; how many of this node's loops
// listen to each topic; reconnects with backoff; the counters. Rule: everything but the Broker
// entry points, attach() and stats() runs on the broker's loop thread.
#include "wsx/redis_broker.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include "wsx/net/log.hpp"

#include "pubsub/redis_link.hpp"
#include "pubsub/redis_wire.hpp"

namespace wsx {

namespace {

constexpr std::size_t kSubscribeBatch = 512;  // channels per SUBSCRIBE when resubscribing

struct NameHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard name

    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

std::string make_node_id() {
    std::random_device rd;
    std::uniform_int_distribution<unsigned> digit(0, 15);
    std::string id(detail::kNodeIdSize, '0');
    for (char& c : id) {
        c = "0123456789abcdef"[digit(rd)];
    }
    return id;
}

std::string_view str(const redisReply* r) {
    return r != nullptr
                           && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS
                               || r->type == REDIS_REPLY_ERROR)
                   ? std::string_view(r->str, r->len)
                   : std::string_view();
}

struct RedisCore {
    RedisCore(net::Loop& l, RedisOptions o, RedisEndpoint e)
        : loop(l),
          options(std::move(o)),
          endpoint(std::move(e)),
          node_id(make_node_id()),
          pub(
                  l, [this] { connected(pub_state); },
                  [this](const std::string& why) { lost(pub_state, why); }),
          sub(
                  l, [this] { connected(sub_state); },
                  [this](const std::string& why) { lost(sub_state, why); }) {
        pub_state.link = &pub;
        pub_state.name = "publishing";
        sub_state.link = &sub;
        sub_state.name = "subscribed";
    }

    RedisCore(const RedisCore&) = delete;
    RedisCore& operator=(const RedisCore&) = delete;

    ~RedisCore() {
        pub.close();  // waiting PUBLISHes come back with no reply: counted as lost
        sub.close();
        loop.cancel_timer(pub_state.retry);
        loop.cancel_timer(sub_state.retry);
    }

    // One of the two links and its reconnecting.
    struct LinkState {
        detail::RedisLink* link = nullptr;
        const char* name = "";
        std::uint32_t backoff_ms = 0;
        net::TimerId retry = 0;
        bool up = false;
        bool ever_up = false;
    };

    void start(LinkState& s) {
        std::string why;
        if (!s.link->connect(endpoint, options.connect_timeout_ms, why)) {
            lost(s, why);
        }
    }

    void connected(LinkState& s) {
        if (!endpoint.password.empty()) {
            if (endpoint.user.empty()) {
                (void)s.link->command({"AUTH", endpoint.password}, &RedisCore::setup_reply, this);
            } else {
                (void)s.link->command({"AUTH", endpoint.user, endpoint.password},
                                      &RedisCore::setup_reply, this);
            }
        }
        if (&s == &pub_state && endpoint.db != 0) {
            const std::string db = std::to_string(endpoint.db);
            (void)s.link->command({"SELECT", db}, &RedisCore::setup_reply, this);
        }
        if (&s == &sub_state) {
            resubscribe();
        }
        s.up = true;
        s.backoff_ms = 0;
        if (s.ever_up) {
            reconnects.fetch_add(1, std::memory_order_relaxed);
        }
        s.ever_up = true;
        if (pub_state.up && sub_state.up) {
            state_connected.store(true, std::memory_order_relaxed);
            if (down_since >= 0) {
                net::log_warn("redis: ", endpoint.host, ':', endpoint.port, " back after ",
                              static_cast<std::int64_t>(loop.now()) - down_since, " ms; ",
                              lost_count.load(std::memory_order_relaxed) - lost_at_down,
                              " publications reached this node's subscribers only meanwhile");
            } else {
                net::log_info("redis: connected to ", endpoint.host, ':', endpoint.port,
                              " as node ", node_id);
            }
            down_since = -1;
        }
    }

    void lost(LinkState& s, const std::string& why) {
        const bool was_up = s.up;
        s.up = false;
        state_connected.store(false, std::memory_order_relaxed);
        disconnects.fetch_add(1, std::memory_order_relaxed);
        if (&s == &sub_state) {
            channels.store(0, std::memory_order_relaxed);
        }
        if (down_since < 0) {
            down_since = static_cast<std::int64_t>(loop.now());
            lost_at_down = lost_count.load(std::memory_order_relaxed);
            net::log_warn("redis: ", was_up ? "lost the " : "cannot make the ", s.name,
                          " connection to ", endpoint.host, ':', endpoint.port, " (", why,
                          "); until it is back, publications do not cross between this node",
                          " and the others");
        } else {
            net::log_debug("redis: ", s.name, " connection: ", why);
        }
        s.backoff_ms = s.backoff_ms == 0 ? options.reconnect_min_ms
                                         : std::min(s.backoff_ms * 2, options.reconnect_max_ms);
        loop.cancel_timer(s.retry);
        s.retry = loop.add_timer(s.backoff_ms, [this, &s] {
            s.retry = 0;
            start(s);
        });
    }

    // Every topic listened to, again, on a new subscribed connection.
    void resubscribe() {
        std::vector<std::string> names;
        names.reserve(counts.size());
        for (const auto& [topic, n] : counts) {
            names.push_back(options.channel_prefix + topic);
        }
        for (std::size_t i = 0; i < names.size(); i += kSubscribeBatch) {
            std::vector<std::string_view> args{"SUBSCRIBE"};
            for (std::size_t j = i; j < std::min(names.size(), i + kSubscribeBatch); ++j) {
                args.emplace_back(names[j]);
            }
            (void)sub.command(args, &RedisCore::message, this);
        }
    }

    void on_subscribe(const std::string& topic) {
        if (++counts[topic] == 1 && sub_state.up) {
            (void)sub.command({"SUBSCRIBE", options.channel_prefix + topic}, &RedisCore::message,
                              this);
        }
    }

    void on_unsubscribe(const std::string& topic) {
        const auto it = counts.find(topic);
        if (it == counts.end() || --it->second > 0) {
            return;
        }
        counts.erase(it);
        if (sub_state.up) {
            (void)sub.command({"UNSUBSCRIBE", options.channel_prefix + topic}, nullptr, nullptr);
        }
    }

    void on_publish(const std::string& channel, const std::string& payload) {
        if (!pub_state.up || pending >= options.max_pending) {
            if (pub_state.up && !stalled) {
                net::log_warn("redis: ", pending, " publications wait for Redis (max_pending);",
                              " later ones reach this node's subscribers only");
            }
            stalled = pub_state.up;
            lost_count.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (!pub.command({"PUBLISH", channel, payload}, &RedisCore::published, this)) {
            lost_count.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        ++pending;
    }

    // AUTH and SELECT: refused, the link is let go and made again later (a password may be
    // fixed on the Redis side meanwhile).
    static void setup_reply(redisAsyncContext* ac, void* reply, void* self) {
        auto& impl = *static_cast<RedisCore*>(self);
        const auto* r = static_cast<const redisReply*>(reply);
        if (r == nullptr || r->type != REDIS_REPLY_ERROR) {
            return;
        }
        LinkState& s = ac->data == &impl.pub ? impl.pub_state : impl.sub_state;
        net::log_error("redis: ", impl.endpoint.host, ':', impl.endpoint.port, " refused the ",
                       s.name, " connection's set-up: ", str(r));
        if (s.up) {
            s.link->close();  // freed when this callback returns
            impl.lost(s, std::string(str(r)));
        }
    }

    static void published(redisAsyncContext* /*ac*/, void* reply, void* self) {
        auto& impl = *static_cast<RedisCore*>(self);
        const auto* r = static_cast<const redisReply*>(reply);
        --impl.pending;
        impl.stalled = impl.stalled && impl.pending > 0;
        if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
            impl.lost_count.fetch_add(1, std::memory_order_relaxed);
            if (r != nullptr && !impl.refused_logged) {
                net::log_warn("redis: PUBLISH refused: ", str(r),
                              " (logged once until one passes)");
                impl.refused_logged = true;
            }
            return;
        }
        impl.refused_logged = false;
        impl.published_count.fetch_add(1, std::memory_order_relaxed);
    }

    // Every reply of the subscribed connection: (un)subscribe confirmations and messages.
    static void message(redisAsyncContext* /*ac*/, void* reply, void* self) {
        auto& impl = *static_cast<RedisCore*>(self);
        const auto* r = static_cast<const redisReply*>(reply);
        if (r == nullptr) {
            return;  // the connection went away
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
            impl.malformed.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const std::string_view kind = str(r->element[0]);
        if (kind == "subscribe" || kind == "unsubscribe") {
            if (r->element[2]->type == REDIS_REPLY_INTEGER) {
                impl.channels.store(static_cast<std::uint64_t>(r->element[2]->integer),
                                    std::memory_order_relaxed);
            }
            return;
        }
        if (kind != "message") {
            return;
        }
        impl.deliver_from(str(r->element[1]), str(r->element[2]));
    }

    void deliver_from(std::string_view channel, std::string_view payload) {
        if (!channel.starts_with(options.channel_prefix)) {
            malformed.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const detail::ChannelMessage m = detail::read_channel_message(payload);
        if (!m.ok) {
            malformed.fetch_add(1, std::memory_order_relaxed);
            net::log_debug("redis: a message on ", channel, " with a wsx mark that does not parse");
            return;
        }
        if (m.node == node_id) {
            own.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        received.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(deliver_mutex);
        if (deliver) {
            deliver(channel.substr(options.channel_prefix.size()), m.data, m.type);
        }
    }

    net::Loop& loop;
    RedisOptions options;
    RedisEndpoint endpoint;
    std::string node_id;
    std::mutex deliver_mutex;  // attach() comes from the server's threads
    Broker::Deliver deliver;
    std::unordered_map<std::string, unsigned, NameHash, std::equal_to<>> counts;  // loops each
    std::size_t pending = 0;  // PUBLISHes not yet answered
    bool stalled = false;     // max_pending reached (logged once until it drains)
    bool refused_logged = false;
    std::int64_t down_since = -1;
    std::uint64_t lost_at_down = 0;
    std::atomic<bool> state_connected{false};
    std::atomic<std::uint64_t> published_count{0};
    std::atomic<std::uint64_t> lost_count{0};
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> own{0};
    std::atomic<std::uint64_t> reconnects{0};
    std::atomic<std::uint64_t> disconnects{0};
    std::atomic<std::uint64_t> channels{0};
    std::atomic<std::uint64_t> malformed{0};
    LinkState pub_state;
    LinkState sub_state;
    detail::RedisLink pub;  // last: destroyed first, while what its callbacks touch is here
    detail::RedisLink sub;
};

}  // namespace

// The broker's own loop and thread, and what runs on them. Destroyed in this order: the loop
// stops, its thread is joined, then the core lets go of its connections on a loop that no
// longer runs, and the loop goes last.
struct RedisBroker::Impl {
    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    ~Impl() {
        if (loop) {
            loop->stop();
        }
        if (thread.joinable()) {
            thread.join();
        }
        core.reset();
    }

    std::unique_ptr<net::Loop> loop;
    std::unique_ptr<RedisCore> core;
    std::thread thread;
};

Result<std::shared_ptr<RedisBroker>> RedisBroker::create(RedisOptions options) {
    std::string why;
    auto endpoint = parse_redis_url(options.url, &why);
    if (!endpoint) {
        net::log_error("redis: ", options.url, ": ", why);
        return endpoint.error();
    }
    auto loop = net::Loop::create();
    if (!loop) {
        return loop.error();
    }
    auto impl = std::make_unique<Impl>();
    impl->loop = std::move(*loop);
    impl->core = std::make_unique<RedisCore>(*impl->loop, std::move(options), std::move(*endpoint));
    RedisCore* core = impl->core.get();
    impl->loop->defer([core] {
        core->start(core->pub_state);
        core->start(core->sub_state);
    });
    impl->thread = std::thread([l = impl->loop.get()] {
        pthread_setname_np(pthread_self(), "wsx-redis");
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);  // signals are the application's threads'
        l->run();
    });
    return std::shared_ptr<RedisBroker>(new RedisBroker(std::move(impl)));
}

RedisBroker::RedisBroker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisBroker::~RedisBroker() = default;

void RedisBroker::attach(Deliver deliver) {
    const std::lock_guard lock(impl_->core->deliver_mutex);
    impl_->core->deliver = std::move(deliver);
}

void RedisBroker::subscribe(std::string_view topic) {
    RedisCore* core = impl_->core.get();
    impl_->loop->defer([core, t = std::string(topic)] { core->on_subscribe(t); });
}

void RedisBroker::unsubscribe(std::string_view topic) {
    RedisCore* core = impl_->core.get();
    impl_->loop->defer([core, t = std::string(topic)] { core->on_unsubscribe(t); });
}

void RedisBroker::publish(std::string_view topic, std::string_view data, MessageType type) {
    RedisCore* core = impl_->core.get();
    impl_->loop->defer([core, channel = core->options.channel_prefix + std::string(topic),
                        payload = detail::mark_publication(core->node_id, type, data)] {
        core->on_publish(channel, payload);
    });
}

RedisStats RedisBroker::stats() const noexcept {
    const RedisCore& i = *impl_->core;
    constexpr auto kRelaxed = std::memory_order_relaxed;
    return {.connected = i.state_connected.load(kRelaxed),
            .published = i.published_count.load(kRelaxed),
            .lost = i.lost_count.load(kRelaxed),
            .received = i.received.load(kRelaxed),
            .own = i.own.load(kRelaxed),
            .reconnects = i.reconnects.load(kRelaxed),
            .disconnects = i.disconnects.load(kRelaxed),
            .channels = i.channels.load(kRelaxed),
            .malformed = i.malformed.load(kRelaxed)};
}

const std::string& RedisBroker::node_id() const noexcept {
    return impl_->core->node_id;
}

}  // namespace wsx
