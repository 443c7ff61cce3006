#include "bench/bench_command.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "wsx/proto/url.hpp"

#include "bench/bench_report.hpp"
#include "bench/bench_worker.hpp"

namespace wsx::tools {

namespace {

// Connections one source address takes before the next is used: under Linux's default ephemeral
// port range (32768-60999, 28,232 ports) with room to spare.
constexpr std::size_t kConnectionsPerSource = 20'000;

void add_common(CLI::App* mode, BenchOptions& o) {
    mode->add_option("url", o.url, "ws:// URL of the server")->required();
    mode->add_option("--threads", o.threads, "event loop threads (0: one per core)");
    mode->add_option("--connect-timeout", o.connect_timeout_s, "seconds for TCP and the handshake")
            ->check(CLI::PositiveNumber);
    mode->add_flag("--deflate", o.deflate, "offer permessage-deflate (default: none)");
    mode->add_option("--cacert", o.ca_file, "wss://: PEM file of the CAs to trust");
    mode->add_flag("--insecure", o.insecure, "wss://: accept any certificate (tests only)");
    mode->add_flag("--json", o.json, "print one JSON object instead of the summary");
}

void add_messages(CLI::App* mode, BenchOptions& o) {
    mode->add_option("-s,--size", o.size, "payload bytes")->check(CLI::Range(0, 64 << 20));
    mode->add_option("-t,--time", o.duration_s, "seconds measured")->check(CLI::PositiveNumber);
    mode->add_option("--warmup", o.warmup_s, "seconds before measuring")
            ->check(CLI::NonNegativeNumber);
    mode->add_flag("--text", o.text, "text messages (default binary)");
}

void add_storm(CLI::App* mode, BenchOptions& o) {
    mode->add_option("--concurrency", o.concurrency, "handshakes in flight")
            ->check(CLI::Range(1, 1 << 20));
    mode->add_option("--source-addresses", o.source_addresses,
                     "connect from this many addresses of 127.0.0.0/8 (0: one per 20,000 "
                     "connections to a 127.x.y.z server)");
}

void raise_open_file_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &lim);
    }
}

std::int64_t rss_of(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            std::int64_t kib = 0;
            status >> kib;
            return kib * 1024;
        }
        status.ignore(1 << 20, '\n');
    }
    return -1;
}

// The workers and their threads.
class Run {
public:
    Run(const BenchOptions& o, unsigned threads, BenchWindow window,
        const std::shared_ptr<net::TlsClient>& tls) {
        const std::size_t n = o.connections;
        std::size_t first = 0;
        for (unsigned t = 0; t < threads; ++t) {
            const std::size_t count = n / threads + (t < n % threads ? 1 : 0);
            auto loop = net::Loop::create();
            if (!loop) {
                error_ = loop.error().message();
                return;
            }
            workers_.push_back(
                    std::make_unique<BenchWorker>(o, std::move(*loop), first, count, window, tls));
            first += count;
        }
        for (auto& w : workers_) {
            threads_.emplace_back([&w] { w->run(); });
        }
    }

    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    ~Run() { join(); }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    template <class F>
    [[nodiscard]] std::uint64_t sum(F f) const {
        std::uint64_t n = 0;
        for (const auto& w : workers_) {
            n += f(*w);
        }
        return n;
    }

    void finish() {
        for (auto& w : workers_) {
            w->finish();
        }
    }

    void join() {
        for (auto& t : threads_) {
            t.join();
        }
        threads_.clear();
    }

    [[nodiscard]] BenchCounts merged() const {
        BenchCounts all;
        for (const auto& w : workers_) {
            all.merge(w->counts());
        }
        return all;
    }

private:
    std::vector<std::unique_ptr<BenchWorker>> workers_;
    std::vector<std::thread> threads_;
    std::string error_;
};

// Waits until `done()` or `deadline_ns`, redrawing the progress line every second on a terminal.
template <class Done>
void wait_showing_progress(const BenchOptions& o, const Run& run, std::int64_t deadline_ns,
                           Done done) {
    const bool show = !o.json && isatty(STDERR_FILENO) == 1;
    const std::int64_t start = bench_now_ns();
    std::int64_t next_line = start + 1'000'000'000;
    std::uint64_t last_messages = 0;
    while (!done() && bench_now_ns() < deadline_ns) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const std::int64_t now = bench_now_ns();
        if (show && now >= next_line) {
            const std::uint64_t m =
                    run.sum([](const BenchWorker& w) { return w.progress_messages(); });
            std::fprintf(stderr, "\r  %5.1f s  %10llu msg/s  open %6llu  errors %llu   ",
                         static_cast<double>(now - start) / 1e9,
                         static_cast<unsigned long long>(m - last_messages),
                         static_cast<unsigned long long>(
                                 run.sum([](const BenchWorker& w) { return w.open_now(); })),
                         static_cast<unsigned long long>(run.sum(
                                 [](const BenchWorker& w) { return w.progress_errors(); })));
            last_messages = m;
            next_line += 1'000'000'000;
        }
    }
    if (show) {
        std::fprintf(stderr, "\r%70s\r", "");
    }
}

std::string check_options(BenchOptions& o) {
    auto url = proto::parse_ws_url(o.url);
    if (!url) {
        return "bad URL " + o.url + ": " + url.error().message();
    }
    if (o.connections == 0 || o.depth == 0) {
        return "-c and -d must be at least 1";
    }
    if (o.mode == BenchMode::rate && !(o.rate > 0)) {
        return "--rate must be positive";
    }
    if (o.source_addresses == 0) {
        const bool loopback4 = url->host.rfind("127.", 0) == 0;
        o.source_addresses =
                loopback4 ? (o.connections + kConnectionsPerSource - 1) / kConnectionsPerSource : 1;
    }
    return {};
}

// Waits as the mode says: the measured window (echo, rate); every handshake, then the hold
// (idle, reading the server's RSS between); or every connection over (connect).
void wait_for_the_run(const BenchOptions& o, const Run& run, BenchWindow window, BenchRun& result) {
    const auto all_settled = [&] {
        return run.sum([](const BenchWorker& w) { return w.settled(); }) >= o.connections;
    };
    if (o.mode == BenchMode::echo || o.mode == BenchMode::rate) {
        wait_showing_progress(o, run, window.to_ns, [] { return false; });
        result.measured_s = o.duration_s;
    } else if (o.mode == BenchMode::idle) {
        const auto bound = static_cast<std::int64_t>((o.connect_timeout_s * 2 + 60) * 1e9);
        wait_showing_progress(o, run, bench_now_ns() + bound, all_settled);
        if (o.server_pid != 0) {
            result.rss_after = rss_of(o.server_pid);
        }
        wait_showing_progress(o, run, bench_now_ns() + static_cast<std::int64_t>(o.hold_s * 1e9),
                              [] { return false; });
        result.held = run.sum([](const BenchWorker& w) { return w.open_now(); });
    } else {
        wait_showing_progress(o, run, INT64_MAX, [&] {
            return all_settled() && run.sum([](const BenchWorker& w) { return w.open_now(); }) == 0;
        });
    }
}

// One TLS context for every thread, for wss:// URLs; the error, or empty.
std::string tls_for(const BenchOptions& o, std::shared_ptr<net::TlsClient>& tls) {
    if (o.url.rfind("wss:", 0) != 0 && o.url.rfind("https:", 0) != 0) {
        return {};
    }
    auto made = net::TlsClient::create({.verify = !o.insecure, .ca_file = o.ca_file});
    if (!made) {
        return "TLS: " + made.error().message();
    }
    tls = std::move(*made);
    return {};
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchOptions& o) {
    CLI::App* bench = app.add_subcommand("bench", "WebSocket load generator");
    bench->require_subcommand(1);
    CLI::App* echo = bench->add_subcommand(
            "echo", "closed loop: every echo checked, latency per round trip");
    add_common(echo, o);
    add_messages(echo, o);
    echo->add_option("-c,--connections", o.connections, "connections");
    echo->add_option("-d,--depth", o.depth, "messages in flight per connection")
            ->check(CLI::Range(1, 1 << 16));
    echo->callback([&o] { o.mode = BenchMode::echo; });
    CLI::App* rate = bench->add_subcommand(
            "rate", "open loop at a fixed rate, latency from each intended send time");
    add_common(rate, o);
    add_messages(rate, o);
    rate->add_option("-c,--connections", o.connections, "connections");
    rate->add_option("-r,--rate", o.rate, "messages per second, all connections together")
            ->required();
    rate->add_option("--max-in-flight", o.max_in_flight,
                     "per connection; later messages wait (and count their wait)")
            ->check(CLI::Range(1, 1 << 20));
    rate->callback([&o] { o.mode = BenchMode::rate; });
    CLI::App* connect =
            bench->add_subcommand("connect", "connection storm: handshakes/s, failures by cause");
    add_common(connect, o);
    add_storm(connect, o);
    connect->add_option("-c,--connections", o.connections, "connections in all");
    connect->callback([&o] { o.mode = BenchMode::connect; });
    CLI::App* idle = bench->add_subcommand("idle", "open connections and hold them");
    add_common(idle, o);
    add_storm(idle, o);
    idle->add_option("-c,--connections", o.connections, "connections");
    idle->add_option("--hold", o.hold_s, "seconds to hold them")->check(CLI::NonNegativeNumber);
    idle->add_option("--server-pid", o.server_pid,
                     "report this process's RSS growth per connection");
    idle->callback([&o] { o.mode = BenchMode::idle; });
    return bench;
}

int run_bench(BenchOptions o) {
    if (const std::string refused = check_options(o); !refused.empty()) {
        std::cerr << "wsx bench: " << refused << "\n";
        return 2;
    }
    raise_open_file_limit();
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    const auto threads = static_cast<unsigned>(
            std::min<std::size_t>(o.threads == 0 ? cores : o.threads, o.connections));
    BenchRun result{.threads = threads};
    const bool timed = o.mode == BenchMode::echo || o.mode == BenchMode::rate;
    const std::int64_t start = bench_now_ns();
    const BenchWindow window{
            .from_ns = start + static_cast<std::int64_t>(o.warmup_s * 1e9),
            .to_ns = start + static_cast<std::int64_t>((o.warmup_s + o.duration_s) * 1e9)};
    if (o.mode == BenchMode::idle && o.server_pid != 0) {
        result.rss_before = rss_of(o.server_pid);
    }
    std::shared_ptr<net::TlsClient> tls;
    if (const std::string refused = tls_for(o, tls); !refused.empty()) {
        std::cerr << "wsx bench: " << refused << "\n";
        return 2;
    }
    Run run(o, threads, timed ? window : BenchWindow{0, INT64_MAX}, tls);
    if (!run.error().empty()) {
        std::cerr << "wsx bench: " << run.error() << "\n";
        return 2;
    }
    wait_for_the_run(o, run, window, result);
    run.finish();
    run.join();
    const BenchCounts counts = run.merged();
    if (o.mode == BenchMode::connect) {
        result.measured_s =
                static_cast<double>(counts.last_ns - start) / 1e9;  // first connect to last open
    }
    if (o.json) {
        print_json(std::cout, o, result, counts);
    } else {
        print_summary(std::cout, o, result, counts);
    }
    return counts.mismatches > 0 || counts.error_count() > 0 ? 1 : 0;
}

}  // namespace wsx::tools
