#include "bench/bench_report.hpp"

#include <iomanip>
#include <sstream>
#include <string>

namespace wsx::tools {

namespace {

const char* mode_name(BenchMode m) {
    switch (m) {
        case BenchMode::echo:
            return "echo";
        case BenchMode::rate:
            return "rate";
        case BenchMode::connect:
            return "connect";
        case BenchMode::idle:
            return "idle";
    }
    return "?";
}

double us(std::uint64_t ns) {
    return static_cast<double>(ns) / 1000.0;
}

double per_second(std::uint64_t n, double seconds) {
    return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

std::int64_t rss_per_connection(const BenchRun& run, const BenchCounts& c) {
    if (run.rss_before < 0 || run.rss_after < 0 || c.opened == 0) {
        return -1;
    }
    return (run.rss_after - run.rss_before) / static_cast<std::int64_t>(c.opened);
}

std::string json_string(const std::string& s) {
    std::ostringstream out;
    out << '"';
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out << '\\' << ch;
        } else if (u < 0x20) {
            out << "\\u" << std::hex << std::setw(4) << std::setfill('0') << static_cast<int>(u)
                << std::dec;
        } else {
            out << ch;
        }
    }
    out << '"';
    return out.str();
}

void print_latency(std::ostream& out, const char* what, const LatencyHistogram& h) {
    out << std::fixed << std::setprecision(1) << "  " << what << " µs  p50 " << us(h.value_at(0.5))
        << "  p90 " << us(h.value_at(0.9)) << "  p99 " << us(h.value_at(0.99)) << "  p99.9 "
        << us(h.value_at(0.999)) << "  max " << us(h.max()) << "\n";
}

}  // namespace

void print_summary(std::ostream& out, const BenchOptions& o, const BenchRun& run,
                   const BenchCounts& c) {
    out << "wsx bench " << mode_name(o.mode) << " " << o.url << ": " << o.connections
        << " connections, " << run.threads << " thread" << (run.threads == 1 ? "" : "s") << "\n";
    out << std::fixed << std::setprecision(1);
    if (o.mode == BenchMode::echo || o.mode == BenchMode::rate) {
        out << "  " << o.size << "-byte " << (o.text ? "text" : "binary") << " messages, ";
        if (o.mode == BenchMode::echo) {
            out << o.depth << " in flight each";
        } else {
            out << o.rate << "/s in all";
        }
        out << ", " << run.measured_s << " s after a " << o.warmup_s << " s warm-up\n";
        out << "  messages     " << c.messages << " (" << per_second(c.messages, run.measured_s)
            << "/s, " << per_second(c.bytes, run.measured_s) / 1e6 << " MB/s of payload)\n";
        print_latency(out, "latency   ", c.latency);
        out << "  mismatches   " << c.mismatches << "\n";
    }
    if (o.mode == BenchMode::connect) {
        out << "  handshakes   " << c.opened << " (" << per_second(c.opened, run.measured_s)
            << "/s)\n";
        print_latency(out, "handshake ", c.latency);
    }
    if (o.mode == BenchMode::idle) {
        out << "  opened       " << c.opened << ", still open after " << o.hold_s
            << " s: " << run.held << "\n";
        if (const std::int64_t per = rss_per_connection(run, c); per >= 0) {
            out << "  server RSS   " << run.rss_before << " -> " << run.rss_after << " bytes, "
                << per << " bytes per connection\n";
        }
    }
    out << "  errors       " << c.error_count() << "\n";
    for (const auto& [cause, n] : c.errors) {
        out << "    " << n << " × " << cause << "\n";
    }
}

void print_json(std::ostream& out, const BenchOptions& o, const BenchRun& run,
                const BenchCounts& c) {
    const LatencyHistogram& h = c.latency;
    out << std::fixed << std::setprecision(3) << "{\"mode\":\"" << mode_name(o.mode)
        << "\",\"url\":" << json_string(o.url) << ",\"connections\":" << o.connections
        << ",\"threads\":" << run.threads << ",\"depth\":" << o.depth << ",\"size\":" << o.size
        << ",\"text\":" << (o.text ? "true" : "false") << ",\"duration_s\":" << run.measured_s
        << ",\"messages\":" << c.messages
        << ",\"msgs_per_s\":" << per_second(c.messages, run.measured_s)
        << ",\"mb_per_s\":" << per_second(c.bytes, run.measured_s) / 1e6 << ",\"sent\":" << c.sent
        << ",\"received\":" << c.received << ",\"mismatches\":" << c.mismatches
        << ",\"errors\":" << c.error_count() << ",\"opened\":" << c.opened
        << ",\"handshakes_per_s\":"
        << (o.mode == BenchMode::connect ? per_second(c.opened, run.measured_s) : 0.0)
        << ",\"p50_us\":" << us(h.value_at(0.5)) << ",\"p90_us\":" << us(h.value_at(0.9))
        << ",\"p99_us\":" << us(h.value_at(0.99)) << ",\"p999_us\":" << us(h.value_at(0.999))
        << ",\"max_us\":" << us(h.max()) << ",\"held\":" << run.held
        << ",\"rss_per_connection\":" << rss_per_connection(run, c) << ",\"errors_by_cause\":{";
    bool first = true;
    for (const auto& [cause, n] : c.errors) {
        out << (first ? "" : ",") << json_string(cause) << ":" << n;
        first = false;
    }
    out << "}}\n";
}

}  // namespace wsx::tools
