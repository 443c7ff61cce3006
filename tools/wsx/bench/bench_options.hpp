// What `wsx bench` is asked to do, shared by its command line, its workers and its report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "bench/histogram.hpp"

namespace wsx::tools {

enum class BenchMode { echo, rate, connect, idle };

struct BenchOptions {
    BenchMode mode = BenchMode::echo;
    std::string url;
    std::size_t connections = 100;     // -c: at once (echo, rate, idle), in all (connect)
    std::size_t depth = 1;             // -d: messages in flight per connection (echo)
    std::size_t size = 32;             // -s: payload bytes
    bool text = false;                 // text messages instead of binary
    double duration_s = 10;            // -t: measured time (echo, rate)
    double warmup_s = 1;               // before it: sent and checked, not counted
    double rate = 1000;                // rate: messages per second, all connections together
    std::size_t max_in_flight = 4096;  // rate: per connection; later messages wait their turn
    std::size_t concurrency = 100;     // connect, idle: handshakes in flight
    double hold_s = 10;                // idle: how long to hold the connections open
    std::size_t source_addresses = 0;  // idle, connect: 127.0.0.1.. (0: as many as needed)
    int server_pid = 0;                // idle: report this process's RSS per connection
    unsigned threads = 0;              // 0: one per core
    double connect_timeout_s = 10;
    bool deflate = false;   // offer permessage-deflate (off: the server's framing is measured)
    std::string ca_file;    // wss://: trust these CAs instead of the system's store
    bool insecure = false;  // wss://: accept any certificate (tests only)
    bool json = false;
};

/// What one worker thread counted; the workers' are merged for the report.
struct BenchCounts {
    std::uint64_t messages = 0;  // echoes received in the measured window
    std::uint64_t bytes = 0;     // their payload bytes
    std::uint64_t mismatches = 0;
    std::uint64_t sent = 0;      // messages sent in all, warm-up and drain included
    std::uint64_t received = 0;  // echoes received in all
    std::uint64_t opened = 0;    // connections that completed the handshake
    std::uint64_t closed_early = 0;
    std::map<std::string, std::uint64_t> errors;  // cause -> connections
    LatencyHistogram latency;                     // echo round trips or handshakes (ns)
    std::int64_t last_ns = 0;                     // connect: the last handshake's end

    void merge(const BenchCounts& other);

    [[nodiscard]] std::uint64_t error_count() const;
};

/// The monotonic clock in nanoseconds (what latencies are measured with).
[[nodiscard]] std::int64_t bench_now_ns() noexcept;

}  // namespace wsx::tools
