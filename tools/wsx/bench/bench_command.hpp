// `wsx bench MODE URL`: a WebSocket load generator. Modes: echo (closed loop: C connections ×
// D messages in flight, every echo checked byte for byte), rate (open loop at a fixed message
// rate, latency from each message's intended send time), connect (a connection storm:
// handshakes/s, failures by cause) and idle (open N connections and hold them; with
// --server-pid, the server's memory per connection). One event loop per thread, one thread per
// core by default. It prints a live progress line on a terminal and a summary, or one JSON
// object with --json; the exit status is 1 when an echo mismatched or a connection failed.
#pragma once

#include <CLI/CLI.hpp>

#include "bench/bench_options.hpp"

namespace wsx::tools {

CLI::App* add_bench_command(CLI::App& app, BenchOptions& options);

/// Runs the benchmark; returns the process exit status (0, 1 on mismatches or errors, 2 on
/// bad options).
[[nodiscard]] int run_bench(BenchOptions options);

}  // namespace wsx::tools
