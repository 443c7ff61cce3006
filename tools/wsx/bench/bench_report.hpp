// The end of a `wsx bench` run: the merged counts as a summary table or one JSON object.
#pragma once

#include <cstdint>
#include <ostream>

#include "bench/bench_options.hpp"

namespace wsx::tools {

/// What the run measured beside its counts.
struct BenchRun {
    unsigned threads = 1;
    double measured_s = 0;         // echo, rate: the window; connect: first to last handshake
    std::int64_t rss_before = -1;  // idle with --server-pid: the server's RSS in bytes
    std::int64_t rss_after = -1;
    std::uint64_t held = 0;  // idle: connections still open at the end of the hold
};

void print_summary(std::ostream& out, const BenchOptions& o, const BenchRun& run,
                   const BenchCounts& c);

void print_json(std::ostream& out, const BenchOptions& o, const BenchRun& run,
                const BenchCounts& c);

}  // namespace wsx::tools
