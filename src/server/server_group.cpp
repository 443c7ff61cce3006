// ServerGroup: N loops, a ServerCore on each (one port, SO_REUSEPORT), and the cross-thread
// calls, all of them deferred calls to the loop that owns what they touch. Rule: nothing here
// touches a server or a connection but on its own loop thread (or when no loop thread runs).
#include "wsx/server_group.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <pthread.h>

#include "wsx/net/log.hpp"

#include "server/server_core.hpp"

namespace wsx {

namespace {

// The group and loop index of the calling thread, when it is a group's loop thread.
thread_local const ServerGroup::Impl* current_group = nullptr;
thread_local unsigned current_index = 0;

// How long a blocking figure waits for a busy loop before it gives up on it.
constexpr int kGatherSlices = 100;
constexpr auto kGatherSlice = std::chrono::milliseconds(50);

}  // namespace

struct ServerGroup::Impl final : detail::GroupLink {
    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    ~Impl() {
        stop();
        join();
        if (broker) {
            broker->attach({});
        }
        servers.clear();  // their connections unregister from loops that still exist
    }

    void stop() {
        for (auto& l : loops) {
            l->stop();
        }
    }

    void join() {
        for (auto& t : threads) {
            if (t.joinable()) {
                t.join();
            }
        }
    }

    [[nodiscard]] detail::ServerCore& core(unsigned i) const { return *servers[i]->core_; }

    void broadcast_others(unsigned from, const std::shared_ptr<const Route>& route,
                          std::string_view data, MessageType type) override {
        if (loops.size() < 2) {
            return;
        }
        auto copy = std::make_shared<const std::string>(data);  // one copy for every loop
        for (unsigned j = 0; j < loops.size(); ++j) {
            if (j != from) {
                loops[j]->defer([this, j, route, copy, type] {
                    (void)core(j).broadcast_local(*route, *copy, type);
                });
            }
        }
    }

    void publish_others(unsigned from,
                        const std::shared_ptr<const detail::Publication>& publication) override {
        for (unsigned j = 0; j < loops.size(); ++j) {
            if (j != from) {
                loops[j]->defer(
                        [this, j, publication] { (void)core(j).publish_local(*publication); });
            }
        }
    }

    // Runs `fn` on loop i's thread and waits for it; directly when that thread is the calling
    // one or runs no loop (not started, or returned). Gives up after 5 s on a loop that does not
    // answer (one that waits for this thread), logging it; `fn` must then be safe to run later.
    void run_blocking(unsigned i, const std::function<void()>& fn) const {
        const bool own = current_group == this && current_index == i;
        if (!started || own || finished[i].load(std::memory_order_acquire)) {
            fn();
            return;
        }
        auto ran = std::make_shared<std::promise<void>>();
        std::future<void> future = ran->get_future();
        loops[i]->defer([fn, ran] {
            fn();
            ran->set_value();
        });
        for (int n = 0; n < kGatherSlices; ++n) {
            if (future.wait_for(kGatherSlice) == std::future_status::ready) {
                return;
            }
            if (finished[i].load(std::memory_order_acquire)) {
                // Returned from run(): the deferred call ran just now or never will.
                if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
                    fn();
                }
                return;
            }
        }
        net::log_warn("server group: loop ", i, " did not answer in 5 s; its figures are left out");
    }

    [[nodiscard]] std::vector<ServerStats> gather_stats() const {
        auto out = std::make_shared<std::vector<ServerStats>>(servers.size());
        for (unsigned i = 0; i < servers.size(); ++i) {
            run_blocking(i, [this, i, out] { (*out)[i] = servers[i]->stats(); });
        }
        return *out;
    }

    void thread_main(unsigned i) {
        current_group = this;
        current_index = i;
        const std::string name = "wsx-loop-" + std::to_string(i);
        pthread_setname_np(pthread_self(), name.c_str());
        loops[i]->run();
        finished[i].store(true, std::memory_order_release);
    }

    // Declared in this order: threads are joined (in ~Impl) before the servers go, and the
    // servers go before their loops.
    std::vector<std::unique_ptr<net::Loop>> loops;
    std::shared_ptr<Broker> broker;
    std::vector<std::unique_ptr<Server>> servers;
    std::unique_ptr<std::atomic<bool>[]> finished;
    std::vector<std::thread> threads;
    std::atomic<std::size_t> open_total{0};
    bool started = false;
};

ServerGroup::ServerGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServerGroup::~ServerGroup() = default;

Result<std::unique_ptr<ServerGroup>> ServerGroup::create(ServerOptions options,
                                                         std::vector<Route> routes,
                                                         unsigned threads) {
    if (threads == 0) {
        threads = std::max(1U, std::thread::hardware_concurrency());
    }
    threads = std::min(threads, kMaxThreads);
    auto impl = std::make_unique<Impl>();
    impl->finished = std::make_unique<std::atomic<bool>[]>(threads);
    const auto shared = detail::share_routes(std::move(routes));
    options.max_zlib_memory /= threads;
    for (unsigned i = 0; i < threads; ++i) {
        auto loop = net::Loop::create();
        if (!loop) {
            return loop.error();
        }
        impl->loops.push_back(std::move(*loop));
        auto server = Server::create_member(
                *impl->loops.back(), options, shared,
                {.group = impl.get(), .index = i, .open_total = &impl->open_total});
        if (!server) {
            return server.error();
        }
        options.port = (*server)->port();  // the others join the port the first one got
        impl->servers.push_back(std::move(*server));
    }
    if (options.broker) {
        impl->broker = options.broker;
        impl->broker->attach([impl = impl.get()](std::string_view topic, std::string_view data,
                                                 MessageType type) {
            const auto publication = detail::make_publication(topic, data, type);  // once
            for (unsigned i = 0; i < impl->loops.size(); ++i) {
                impl->loops[i]->defer([impl, i, publication] {
                    (void)impl->core(i).publish_local(*publication);
                });
            }
        });
    }
    return std::unique_ptr<ServerGroup>(new ServerGroup(std::move(impl)));
}

void ServerGroup::start() {
    impl_->started = true;
    impl_->threads.reserve(impl_->loops.size());
    for (unsigned i = 0; i < impl_->loops.size(); ++i) {
        impl_->threads.emplace_back([impl = impl_.get(), i] { impl->thread_main(i); });
    }
}

void ServerGroup::wait() {
    impl_->join();
}

void ServerGroup::stop() {
    impl_->stop();
}

unsigned ServerGroup::size() const noexcept {
    return static_cast<unsigned>(impl_->loops.size());
}

std::uint16_t ServerGroup::port() const noexcept {
    return impl_->servers.front()->port();  // fixed from create() on
}

std::vector<std::string> ServerGroup::listening_addresses() const {
    auto out = std::make_shared<std::vector<std::string>>();
    impl_->run_blocking(
            0, [impl = impl_.get(), out] { *out = impl->servers.front()->listening_addresses(); });
    return *out;
}

net::Loop& ServerGroup::loop(unsigned i) noexcept {
    return *impl_->loops[i];
}

Server& ServerGroup::server(unsigned i) noexcept {
    return *impl_->servers[i];
}

unsigned ServerGroup::loop_of(std::uint64_t connection_id) noexcept {
    return static_cast<unsigned>(connection_id & (detail::kMaxLoops - 1));
}

bool ServerGroup::post(std::uint64_t id, std::function<void(Connection&)> fn) {
    const unsigned i = loop_of(id);
    if (i >= size()) {
        return false;
    }
    impl_->loops[i]->defer([impl = impl_.get(), i, id, fn = std::move(fn)] {
        if (Connection* c = impl->core(i).find_connection(id)) {
            fn(*c);
        }
    });
    return true;
}

void ServerGroup::post_each(std::function<void(Server&)> fn) {
    auto shared = std::make_shared<const std::function<void(Server&)>>(std::move(fn));
    for (unsigned i = 0; i < size(); ++i) {
        impl_->loops[i]->defer([impl = impl_.get(), i, shared] { (*shared)(*impl->servers[i]); });
    }
}

bool ServerGroup::send(std::uint64_t id, std::string data, MessageType type) {
    return post(id, [data = std::move(data), type](Connection& c) {
        if (c.is_open()) {
            (void)c.send(data, type);
        }
    });
}

void ServerGroup::broadcast(std::string route_path, std::string data, MessageType type) {
    auto path = std::make_shared<const std::string>(std::move(route_path));
    auto copy = std::make_shared<const std::string>(std::move(data));
    for (unsigned i = 0; i < size(); ++i) {
        impl_->loops[i]->defer([impl = impl_.get(), i, path, copy, type] {
            if (auto route = impl->core(i).find_route(*path)) {
                (void)impl->core(i).broadcast_local(*route, *copy, type);
            }
        });
    }
}

void ServerGroup::publish(std::string_view topic, std::string_view data, MessageType type) {
    const auto publication = detail::make_publication(topic, data, type);  // framed once for all
    for (unsigned i = 0; i < size(); ++i) {
        impl_->loops[i]->defer([impl = impl_.get(), i, publication] {
            (void)impl->core(i).publish_local(*publication);
        });
    }
    if (impl_->broker) {
        impl_->broker->publish(topic, data, type);
    }
}

void ServerGroup::set_routes(std::vector<Route> routes) {
    const auto shared = detail::share_routes(std::move(routes));
    for (unsigned i = 0; i < size(); ++i) {
        impl_->loops[i]->defer(
                [impl = impl_.get(), i, shared] { impl->core(i).set_routes(shared); });
    }
}

void ServerGroup::shutdown(std::uint16_t code, std::function<void()> done) {
    auto remaining = std::make_shared<std::atomic<unsigned>>(size());
    auto last = std::make_shared<std::function<void()>>(std::move(done));
    for (unsigned i = 0; i < size(); ++i) {
        impl_->loops[i]->defer([impl = impl_.get(), i, code, remaining, last] {
            impl->servers[i]->shutdown(code, [remaining, last] {
                if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1 && *last) {
                    (*last)();
                }
            });
        });
    }
}

void ServerGroup::gather_stats(std::function<void(std::vector<ServerStats>)> done) {
    struct Gathering {
        std::mutex mutex;
        std::vector<ServerStats> stats;
        unsigned remaining = 0;
        std::function<void(std::vector<ServerStats>)> done;
    };

    auto g = std::make_shared<Gathering>();
    g->stats.resize(size());
    g->remaining = size();
    g->done = std::move(done);
    for (unsigned i = 0; i < size(); ++i) {
        impl_->loops[i]->defer([impl = impl_.get(), i, g] {
            ServerStats s = impl->servers[i]->stats();
            std::unique_lock lock(g->mutex);
            g->stats[i] = std::move(s);
            if (--g->remaining == 0) {
                lock.unlock();
                g->done(std::move(g->stats));
            }
        });
    }
}

ServerStats ServerGroup::stats() const {
    ServerStats sum;
    for (const ServerStats& s : impl_->gather_stats()) {
        sum.merge(s);
    }
    return sum;
}

std::vector<ServerStats> ServerGroup::loop_stats() const {
    return impl_->gather_stats();
}

std::size_t ServerGroup::connection_count() const {
    auto counts = std::make_shared<std::vector<std::size_t>>(impl_->servers.size());
    for (unsigned i = 0; i < impl_->servers.size(); ++i) {
        impl_->run_blocking(i, [impl = impl_.get(), i, counts] {
            (*counts)[i] = impl->servers[i]->connection_count();
        });
    }
    std::size_t total = 0;
    for (std::size_t n : *counts) {
        total += n;
    }
    return total;
}

}  // namespace wsx
