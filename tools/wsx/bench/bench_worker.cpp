#include "bench/bench_worker.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <sys/timerfd.h>
#include <unistd.h>

#include "wsx/net/log.hpp"

namespace wsx::tools {

namespace {

constexpr net::TimeMs kFinishGraceMs =
        3'000;                                // after finish(), closes still unanswered are dropped
constexpr std::int64_t kMinTickNs = 100'000;  // rate: the send schedule's resolution
constexpr std::int64_t kMaxTickNs = 10'000'000;

// Source address `i` of 127.0.0.0/8: 127.0.0.1, 127.0.0.2, ...
std::string loopback_source(std::size_t i) {
    const auto host = static_cast<std::uint32_t>(0x7f000001U + i);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", host >> 24, (host >> 16) & 0xff,
                  (host >> 8) & 0xff, host & 0xff);
    return buf;
}

std::string cause_of(const ErrorEvent& e) {
    std::string cause = e.error.message();
    if (e.status != 0) {
        cause += " (HTTP " + std::to_string(e.status) + ")";
    }
    return cause;
}

}  // namespace

struct BenchWorker::Conn {
    std::size_t index = 0;
    std::unique_ptr<WebSocket> ws;
    std::int64_t started_ns = 0;
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::vector<std::int64_t> sent_at;  // a ring: send (or, rate, intended) time of each in flight
    std::int64_t next_due_ns = 0;       // rate: the next message's intended send time
    bool open = false;
    bool failed = false;
    bool closing = false;  // we closed it
};

/// A periodic timerfd: the loop's own timers count milliseconds, too coarse for a send schedule.
class BenchWorker::Ticker final : public net::IoHandler {
public:
    Ticker(BenchWorker& w, std::int64_t period_ns)
        : worker_(w), fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
        itimerspec spec{};
        spec.it_interval.tv_sec = period_ns / 1'000'000'000;
        spec.it_interval.tv_nsec = period_ns % 1'000'000'000;
        spec.it_value = spec.it_interval;
        if (!fd_.valid() || timerfd_settime(fd_.get(), 0, &spec, nullptr) != 0
            || w.loop_->add(fd_.get(), {.read = true, .hangup = false}, *this)) {
            net::log_error("wsx bench: timerfd: "
                           + std::error_code(errno, std::system_category()).message());
        }
    }

    Ticker(const Ticker&) = delete;
    Ticker& operator=(const Ticker&) = delete;

    ~Ticker() {
        if (fd_.valid()) {
            worker_.loop_->remove(fd_.get());
        }
    }

    void on_io(bool readable, bool /*writable*/) override {
        std::uint64_t expirations = 0;
        if (readable && ::read(fd_.get(), &expirations, sizeof expirations) > 0) {
            worker_.tick();
        }
    }

private:
    BenchWorker& worker_;
    net::UniqueFd fd_;
};

BenchWorker::BenchWorker(const BenchOptions& options, std::unique_ptr<net::Loop> loop,
                         std::size_t first_index, std::size_t count, BenchWindow window,
                         std::shared_ptr<net::TlsClient> tls)
    : options_(options),
      loop_(std::move(loop)),
      first_index_(first_index),
      count_(count),
      window_(window),
      tls_(std::move(tls)),
      payload_(options.size, options.text) {}

BenchWorker::~BenchWorker() = default;

WebSocketOptions BenchWorker::connection_options(std::size_t index) const {
    WebSocketOptions o;
    o.connect_timeout_ms = static_cast<net::TimeMs>(options_.connect_timeout_s * 1000);
    o.limits.max_message_size = std::max<std::size_t>(options_.size, o.limits.max_message_size);
    o.limits.idle_timeout_ms = 0;  // no keepalive pings: an idle connection stays idle
    o.use_environment_proxy = false;
    o.deflate.enabled = options_.deflate;
    o.tls = tls_;
    if (options_.source_addresses > 1) {
        o.local_address = loopback_source(index % options_.source_addresses);
    }
    return o;
}

void BenchWorker::run() {
    if (count_ == 0) {
        return;
    }
    conns_.resize(count_);
    epoch_ns_ = bench_now_ns();
    if (options_.mode == BenchMode::rate) {
        const double per_connection = options_.rate / static_cast<double>(options_.connections);
        interval_ns_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(1e9 / per_connection));
        const double per_worker = per_connection * static_cast<double>(count_);
        const auto period = static_cast<std::int64_t>(1e9 / per_worker);
        ticker_ = std::make_unique<Ticker>(*this, std::clamp(period, kMinTickNs, kMaxTickNs));
    }
    launch_more();
    loop_->run();
    ticker_.reset();
    for (const auto& c : conns_) {
        if (c) {
            counts_.sent += c->sent;
            counts_.received += c->received;
        }
    }
    conns_.clear();
}

void BenchWorker::launch_more() {
    while (!finishing_ && launched_ < count_ && in_flight_ < options_.concurrency) {
        start_connection();
    }
}

void BenchWorker::start_connection() {
    const std::size_t slot = launched_++;
    ++in_flight_;
    auto c = std::make_unique<Conn>();
    c->index = first_index_ + slot;
    c->started_ns = bench_now_ns();
    if (options_.mode == BenchMode::echo || options_.mode == BenchMode::rate) {
        c->sent_at.resize(options_.mode == BenchMode::rate ? options_.max_in_flight
                                                           : options_.depth);
    }
    auto ws = WebSocket::create(*loop_, options_.url, {}, connection_options(c->index));
    if (!ws) {
        note_error(ws.error().message());
        handshake_over();
        return;
    }
    Conn& conn = *c;
    c->ws = std::move(*ws);
    c->ws->binary_type = BinaryType::arraybuffer;
    c->ws->on_open = [this, &conn] {
        on_open(conn);
    };
    c->ws->on_message = [this, &conn](const MessageEvent& e) {
        on_message(conn, e);
    };
    c->ws->on_error = [this, &conn](const ErrorEvent& e) {
        on_error(conn, e);
    };
    c->ws->on_close = [this, &conn](const CloseEvent& e) {
        on_close(conn, e);
    };
    conns_[slot] = std::move(c);
}

void BenchWorker::note_error(const std::string& cause) {
    ++counts_.errors[cause];
    ++failures_;
}

void BenchWorker::handshake_over() {
    --in_flight_;
    ++settled_;
    launch_more();
    stop_if_storm_over();
}

void BenchWorker::stop_if_storm_over() {
    if (options_.mode == BenchMode::connect && launched_ == count_ && in_flight_ == 0
        && open_ == 0) {
        loop_->stop();
    }
}

void BenchWorker::on_open(Conn& c) {
    const std::int64_t now = bench_now_ns();
    c.open = true;
    ++open_;
    ++counts_.opened;
    if (options_.mode == BenchMode::connect) {
        counts_.latency.record(static_cast<std::uint64_t>(now - c.started_ns));
        counts_.last_ns = now;
        close_now(c);
    } else if (options_.mode == BenchMode::echo) {
        for (std::size_t i = 0; i < options_.depth && now < window_.to_ns; ++i) {
            send_next(c, now);
        }
    } else if (options_.mode == BenchMode::rate) {
        // One schedule for all, from the worker's start, each connection's phase spread over
        // one interval by its index; messages due before it opened are not sent.
        const std::int64_t phase = interval_ns_ * static_cast<std::int64_t>(c.index)
                                   / static_cast<std::int64_t>(options_.connections);
        const std::int64_t first = epoch_ns_ + phase;
        const std::int64_t behind =
                now > first ? (now - first + interval_ns_ - 1) / interval_ns_ : 0;
        c.next_due_ns = first + behind * interval_ns_;
    }
    handshake_over();
}

void BenchWorker::send_next(Conn& c, std::int64_t stamp_ns) {
    const std::string_view m = payload_.message(c.sent);
    const std::error_code ec = options_.text ? c.ws->send(m) : c.ws->send_binary(m);
    if (ec) {
        note_error("send: " + ec.message());
        return;
    }
    c.sent_at[c.sent % c.sent_at.size()] = stamp_ns;
    ++c.sent;
}

void BenchWorker::send_due(Conn& c, std::int64_t now_ns) {
    while (c.open && !c.closing && c.next_due_ns <= now_ns && c.next_due_ns < window_.to_ns
           && c.sent - c.received < c.sent_at.size()) {
        const std::uint64_t before = c.sent;
        send_next(c, c.next_due_ns);
        if (c.sent == before) {
            return;  // refused: the error is counted
        }
        c.next_due_ns += interval_ns_;
    }
}

void BenchWorker::tick() {
    // Every connection has the same interval and its phase follows its index (see on_open), so
    // the next one due is the one after the last served: walk round from there, stopping at the
    // first open connection not yet due. A tick costs what is due, not the connection count.
    const std::int64_t now = bench_now_ns();
    for (std::size_t n = 0; n < conns_.size(); ++n) {
        Conn* c = conns_[cursor_].get();
        if (c != nullptr && c->open && !c->closing && c->next_due_ns > now) {
            return;
        }
        if (c != nullptr) {
            send_due(*c, now);
        }
        cursor_ = (cursor_ + 1) % conns_.size();
    }
}

void BenchWorker::on_message(Conn& c, const MessageEvent& e) {
    const std::int64_t now = bench_now_ns();
    ++progress_;
    if (c.received == c.sent || !payload_.matches(c.received, e.data)) {
        ++counts_.mismatches;
    }
    if (c.received < c.sent) {
        if (now >= window_.from_ns && now < window_.to_ns) {
            const std::int64_t at = c.sent_at[c.received % c.sent_at.size()];
            counts_.latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - at)));
            ++counts_.messages;
            counts_.bytes += e.data.size();
        }
        ++c.received;
    }
    if (finishing_) {
        if (!c.closing && c.received == c.sent) {
            close_now(c);
        }
    } else if (options_.mode == BenchMode::echo && now < window_.to_ns) {
        send_next(c, now);
    } else if (options_.mode == BenchMode::rate) {
        send_due(c, now);
    }
}

void BenchWorker::close_now(Conn& c) {
    c.closing = true;
    (void)c.ws->close(1000);  // refused only once closing, which it is not
}

void BenchWorker::on_error(Conn& c, const ErrorEvent& e) {
    c.failed = true;
    note_error(cause_of(e));
    if (!c.open) {
        handshake_over();
    }
}

void BenchWorker::on_close(Conn& c, const CloseEvent& e) {
    if (c.open) {
        c.open = false;
        --open_;
    }
    if (!c.closing && !c.failed && !finishing_) {
        ++counts_.closed_early;
        note_error("closed by the server: " + std::to_string(e.code)
                   + (e.reason.empty() ? std::string() : " " + e.reason));
    }
    if (options_.mode == BenchMode::connect) {
        // Freed after this callback: a connection ends inside its own event.
        loop_->defer([&c] { c.ws.reset(); });
        stop_if_storm_over();
    }
    stop_when_done();
}

void BenchWorker::finish() {
    loop_->defer([this] { do_finish(); });
}

void BenchWorker::do_finish() {
    finishing_ = true;
    for (auto& c : conns_) {
        if (c && c->open && !c->closing && c->received == c->sent) {
            close_now(*c);
        }  // the others close once their last echo is in (on_message), so none is lost
    }
    loop_->add_timer(kFinishGraceMs, [this] { loop_->stop(); });
    stop_when_done();
}

void BenchWorker::stop_when_done() {
    if (finishing_ && open_ == 0) {
        loop_->stop();
    }
}

}  // namespace wsx::tools
