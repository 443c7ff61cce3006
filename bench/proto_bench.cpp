// Hot paths of the protocol core: unmasking, UTF-8 validation, and whole messages through a
// server endpoint (parse + unmask + validate + echo frame written). Prints bytes/s and items/s.
// The first two take a second argument, the SIMD level: 0 the portable words, 1 AVX2 (where the
// CPU has it; otherwise the row is skipped).
//   build/bench/proto_bench --benchmark_min_time=0.5
#include <string>

#include <benchmark/benchmark.h>

#include "wsx/proto/mask.hpp"
#include "wsx/proto/utf8.hpp"

#include "proto/simd.hpp"
#include "support/frames.hpp"

namespace {

using namespace wsx;

// Uses the level of the benchmark's second argument for its run; false (row skipped) if the CPU
// lacks it.
class SimdLevel {
public:
    explicit SimdLevel(benchmark::State& state)
        : wanted_(state.range(1) == 0 ? proto::simd::Level::portable : proto::simd::Level::avx2),
          before_(proto::simd::use(wanted_)) {
        if (proto::simd::active() != wanted_) {
            state.SkipWithError("this CPU has no AVX2");
        }
    }

    SimdLevel(const SimdLevel&) = delete;
    SimdLevel& operator=(const SimdLevel&) = delete;

    ~SimdLevel() { (void)proto::simd::use(before_); }

private:
    proto::simd::Level wanted_;
    proto::simd::Level before_;
};

void unmask(benchmark::State& state) {
    const SimdLevel level(state);
    std::string data(static_cast<std::size_t>(state.range(0)), 'x');
    const proto::MaskingKey key{1, 2, 3, 4};
    for (auto _ : state) {
        proto::apply_mask(data, key);
        benchmark::DoNotOptimize(data.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(unmask)->ArgsProduct({{64, 4096, 65536, 1 << 20}, {0, 1}});

void utf8_ascii(benchmark::State& state) {
    const SimdLevel level(state);
    const std::string data(static_cast<std::size_t>(state.range(0)), 'a');
    for (auto _ : state) {
        benchmark::DoNotOptimize(proto::is_valid_utf8(data));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(utf8_ascii)->ArgsProduct({{64, 65536, 1 << 20}, {0, 1}});

void utf8_greek(benchmark::State& state) {
    const SimdLevel level(state);
    std::string data;
    while (data.size() < static_cast<std::size_t>(state.range(0))) {
        data += "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5";
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(proto::is_valid_utf8(data));
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}

BENCHMARK(utf8_greek)->ArgsProduct({{1 << 20}, {0, 1}});

// N masked text messages of `size` bytes arrive in one read; each is echoed.
void echo_through_endpoint(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const std::string one = test::text(std::string(size, 'm'));
    const std::size_t count = std::max<std::size_t>(1, (256 * 1024) / one.size());
    std::string input;
    for (std::size_t i = 0; i < count; ++i) {
        input += one;
    }
    proto::Endpoint ep = test::open_server();
    std::string buffer;
    std::string_view views[64];
    for (auto _ : state) {
        buffer = input;  // the read buffer is unmasked in place, so refill it
        ep.feed(std::span<char>(buffer), 0);
        while (auto ev = ep.next_event()) {
            const auto& m = std::get<proto::MessageReceived>(*ev);
            (void)ep.send(m.type, m.data);
        }
        while (!ep.output().empty()) {
            const auto n = ep.output().peek(views);
            std::size_t total = 0;
            for (std::size_t i = 0; i < n; ++i) {
                total += views[i].size();
            }
            ep.consume_output(total);
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(count * size));
}

BENCHMARK(echo_through_endpoint)->Arg(16)->Arg(128)->Arg(4096)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();
