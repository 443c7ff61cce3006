// One `wsx bench` thread: its own event loop and its share of the connections, in one of the
// four modes. echo: each connection keeps `depth` messages in flight, sending the next as each
// echo arrives and checking it byte for byte. rate: open loop, each connection sends on a fixed
// schedule (a timerfd ticking at most every 100 µs) whatever the echoes do, and a latency counts
// from the message's intended send time, so a stalled server shows as latency, not as fewer
// messages (no coordinated omission). connect: handshakes, `concurrency` at a time, each closed
// once open. idle: open and hold. Rule: no allocation per message; counters that the main thread
// reads while the worker runs are atomics, the rest is read after join.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wsx/net/loop.hpp"
#include "wsx/net/tls.hpp"
#include "wsx/websocket.hpp"

#include "bench/bench_options.hpp"
#include "bench/payload.hpp"

namespace wsx::tools {

/// The window in which echoes are counted, on bench_now_ns()'s clock.
struct BenchWindow {
    std::int64_t from_ns = 0;
    std::int64_t to_ns = 0;
};

class BenchWorker {
public:
    /// Connections first_index .. first_index + count - 1 of the run (their index picks the
    /// source address).
    BenchWorker(const BenchOptions& options, std::unique_ptr<net::Loop> loop,
                std::size_t first_index, std::size_t count, BenchWindow window,
                std::shared_ptr<net::TlsClient> tls);
    ~BenchWorker();

    BenchWorker(const BenchWorker&) = delete;
    BenchWorker& operator=(const BenchWorker&) = delete;

    /// Runs the loop on the calling thread until finish() has closed every connection.
    void run();

    /// Stops sending, closes every connection (1000) once its echoes are in, and ends run() when
    /// all are closed (or after a grace period). Thread-safe.
    void finish();

    /// Connections whose handshake ended (opened or failed). Thread-safe.
    [[nodiscard]] std::size_t settled() const noexcept { return settled_.load(); }

    /// Connections open now. Thread-safe.
    [[nodiscard]] std::size_t open_now() const noexcept { return open_.load(); }

    /// Echoes received so far, counted or not, and errors so far. Thread-safe.
    [[nodiscard]] std::uint64_t progress_messages() const noexcept { return progress_.load(); }

    [[nodiscard]] std::uint64_t progress_errors() const noexcept { return failures_.load(); }

    /// What it counted; read after run() returned.
    [[nodiscard]] const BenchCounts& counts() const noexcept { return counts_; }

    struct Conn;
    class Ticker;

private:
    void launch_more();
    void start_connection();
    void note_error(const std::string& cause);
    void handshake_over();
    void stop_if_storm_over();
    void on_open(Conn& c);
    void on_message(Conn& c, const MessageEvent& e);
    void on_error(Conn& c, const ErrorEvent& e);
    void on_close(Conn& c, const CloseEvent& e);
    void send_next(Conn& c, std::int64_t intended_ns);
    void send_due(Conn& c, std::int64_t now_ns);
    void tick();
    void do_finish();
    void close_now(Conn& c);
    void stop_when_done();
    [[nodiscard]] WebSocketOptions connection_options(std::size_t index) const;

    const BenchOptions& options_;
    std::unique_ptr<net::Loop> loop_;
    std::size_t first_index_;
    std::size_t count_;
    BenchWindow window_;
    std::shared_ptr<net::TlsClient> tls_;  // wss://: one context for every thread
    Payload payload_;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::unique_ptr<Ticker> ticker_;
    std::size_t launched_ = 0;      // connect, idle: connections started
    std::size_t in_flight_ = 0;     // connect, idle: handshakes not yet over
    std::int64_t interval_ns_ = 0;  // rate: between two messages of one connection
    std::int64_t epoch_ns_ = 0;     // rate: when the schedule starts
    std::size_t cursor_ = 0;        // rate: the connection due next
    bool finishing_ = false;
    BenchCounts counts_;
    std::atomic<std::size_t> settled_{0};
    std::atomic<std::size_t> open_{0};
    std::atomic<std::uint64_t> progress_{0};
    std::atomic<std::uint64_t> failures_{0};
};

}  // namespace wsx::tools
