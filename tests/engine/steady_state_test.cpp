// What a long stream of small whole messages costs once warm, on both sides of the connection
// engine: no heap allocation per message (counted by the replaced global operator new below, per
// thread), and a loop whose timer count stays bounded however many messages pass. Real sockets
// on loopback; every wait bounded.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "wsx/server.hpp"
#include "wsx/websocket.hpp"

#include "support/blocking_client.hpp"
#include "support/frames.hpp"
#include "support/server_thread.hpp"

namespace {

// Heap allocations made by the calling thread so far.
thread_local std::uint64_t t_allocations = 0;

}  // namespace

// The program's allocation functions, counting per thread (the C++ standard lets a program
// replace them: [replacement.functions]). g++ 12 at -O3 sees the malloc behind the replaced
// operator new and the free behind the replaced delete, and takes them for a mismatched pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    ++t_allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}

void* operator new[](std::size_t n) {
    return ::operator new(n);
}

void operator delete(void* p) noexcept {
    std::free(p);
}

void operator delete[](void* p) noexcept {
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

namespace wsx {
namespace {

constexpr std::uint64_t kWarmup = 10'000;

// The steady state without permessage-deflate (the engine's own cost).
const ServerOptions kNoDeflate{.deflate = {.enabled = false}};
constexpr std::size_t kBatch = 100;  // frames sent per write by the raw client
const std::string kPayload(32, 'x');

// A raw client that sends `total` masked text frames in batches and reads every echo back.
// Returns the echoes it read intact.
std::uint64_t pump_echoes(std::uint16_t port, std::uint64_t total) {
    test::BlockingClient client(port, 10'000);
    if (client.handshake().find(" 101 ") == std::string::npos) {
        return 0;
    }
    std::string batch;
    for (std::size_t i = 0; i < kBatch; ++i) {
        batch += test::text(kPayload);
    }
    std::uint64_t intact = 0;
    for (std::uint64_t sent = 0; sent < total; sent += kBatch) {
        if (!client.send_all(batch)) {
            break;
        }
        for (const auto& f : client.read_frames(kBatch)) {
            intact += f == "text:" + kPayload ? 1U : 0U;
        }
    }
    (void)client.send_all(test::close_frame(1000));
    return intact;
}

struct EchoProbe {
    std::atomic<std::uint64_t> allocations_at_warmup{0};
    std::atomic<std::uint64_t> allocations_at_end{0};
    std::atomic<std::size_t> max_timers{0};
    std::uint64_t seen = 0;  // loop thread only
};

Route probing_echo(EchoProbe& probe, std::uint64_t total) {
    return {.path = "/echo",
            .handlers = {.on_message = [&probe, total](Connection& c, std::string_view data,
                                                       MessageType type) {
                ++probe.seen;
                if (probe.seen % 10'000 == 0) {
                    const std::size_t timers = c.server().loop().timer_count();
                    if (timers > probe.max_timers) {
                        probe.max_timers = timers;
                    }
                }
                if (probe.seen == kWarmup) {
                    probe.allocations_at_warmup = t_allocations;
                } else if (probe.seen == total) {
                    probe.allocations_at_end = t_allocations;
                }
                (void)c.send(data, type);
            }}};
}

TEST(SteadyState, ServerEchoesSmallMessagesWithNoAllocationPerMessage) {
    constexpr std::uint64_t kTotal = kWarmup + 100'000;
    EchoProbe probe;
    test::ServerThread server(kNoDeflate, {probing_echo(probe, kTotal)});
    ASSERT_EQ(pump_echoes(server.port(), kTotal), kTotal);
    EXPECT_EQ(probe.allocations_at_end - probe.allocations_at_warmup, 0U)
            << "heap allocations on the server's loop thread while echoing 100,000 messages";
}

TEST(SteadyState, ServerLoopKeepsItsTimerCountBoundedOverAMillionMessages) {
    constexpr std::uint64_t kTotal = 1'000'000;
    EchoProbe probe;
    test::ServerThread server({}, {probing_echo(probe, kTotal)});
    ASSERT_EQ(pump_echoes(server.port(), kTotal), kTotal);
    EXPECT_GT(probe.max_timers.load(), 0U);  // the connection's one timer, at least
    EXPECT_LE(probe.max_timers.load(), 4U);
}

// A server that answers each "more" with `kBurst` small messages.
constexpr int kBurst = 1000;

Route burst_route() {
    return {.path = "/burst",
            .handlers = {.on_message = [](Connection& c, std::string_view, MessageType) {
                for (int i = 0; i < kBurst; ++i) {
                    (void)c.send_text(kPayload);
                }
            }}};
}

struct ClientRun {
    std::uint64_t received = 0;
    std::uint64_t intact = 0;
    std::uint64_t allocations_at_warmup = 0;
    std::uint64_t allocations_at_end = 0;
    std::size_t max_timers = 0;
};

// A wsx::WebSocket receives `total` messages, asking for them a burst at a time (two bursts in
// flight), on this thread's loop.
ClientRun receive_bursts(std::uint16_t port, std::uint64_t total, bool deflate = false) {
    ClientRun run;
    auto loop = net::Loop::create();
    WebSocketOptions options;
    options.deflate.enabled = deflate;
    auto ws = WebSocket::create(**loop, "ws://127.0.0.1:" + std::to_string(port) + "/burst", {},
                                std::move(options));
    EXPECT_TRUE(ws);
    bool closed = false;
    (*ws)->on_open = [&] {
        (void)(*ws)->send("more");
        (void)(*ws)->send("more");
    };
    (*ws)->on_message = [&](const MessageEvent& e) {
        ++run.received;
        run.intact += e.data == kPayload ? 1U : 0U;
        if (run.received % 10'000 == 0) {
            run.max_timers = std::max(run.max_timers, (*loop)->timer_count());
        }
        if (run.received == kWarmup) {
            run.allocations_at_warmup = t_allocations;
        }
        if (run.received == total) {
            run.allocations_at_end = t_allocations;
            (void)(*ws)->close();
        } else if (run.received % kBurst == 0 && run.received + kBurst < total) {
            (void)(*ws)->send("more");
        }
    };
    (*ws)->on_close = [&](const CloseEvent&) {
        closed = true;
    };
    for (int i = 0; i < 60'000 && !closed; ++i) {  // at most about a minute
        (*loop)->run_once(1);
    }
    EXPECT_TRUE(closed);
    return run;
}

TEST(SteadyState, ClientReceivesSmallMessagesWithNoAllocationPerMessage) {
    constexpr std::uint64_t kTotal = kWarmup + 100'000;
    test::ServerThread server(kNoDeflate, {burst_route()});
    const ClientRun run = receive_bursts(server.port(), kTotal);
    ASSERT_EQ(run.intact, kTotal);
    EXPECT_EQ(run.allocations_at_end - run.allocations_at_warmup, 0U)
            << "heap allocations on the client's loop thread while receiving 100,000 messages";
}

// permessage-deflate with both contexts kept (a dedicated server compressor, context takeover
// both ways): the client's inflater and compressor live as long as the connection and the
// message buffer keeps its capacity, so compressed messages cost no allocation either. (With the
// default, no client context and a shared compressor, the server's inflate state is allocated
// for each batch of input and freed once it is used up: two zlib allocations per read, none
// while idle; the shared compressor allocates nothing per message.)
TEST(SteadyState, ClientReceivesCompressedMessagesWithNoAllocationPerMessageWhenContextsAreKept) {
    constexpr std::uint64_t kTotal = kWarmup + 100'000;
    ServerOptions options;
    options.deflate = {.context_takeover = true,
                       .client_context_takeover = true,
                       .compressor = proto::CompressorMode::dedicated};
    test::ServerThread server(options, {burst_route()});
    const ClientRun run = receive_bursts(server.port(), kTotal, true);
    ASSERT_EQ(run.intact, kTotal);
    EXPECT_EQ(run.allocations_at_end - run.allocations_at_warmup, 0U)
            << "heap allocations on the client's loop thread while inflating 100,000 messages";
}

TEST(SteadyState, ClientLoopKeepsItsTimerCountBoundedOverAMillionMessages) {
    constexpr std::uint64_t kTotal = 1'000'000;
    test::ServerThread server({}, {burst_route()});
    const ClientRun run = receive_bursts(server.port(), kTotal);
    ASSERT_EQ(run.intact, kTotal);
    EXPECT_GT(run.max_timers, 0U);
    EXPECT_LE(run.max_timers, 4U);
}

}  // namespace
}  // namespace wsx
