// Micro-benchmarks of capture parsing (the replay's reader) and of rendering publications.
#include <benchmark/benchmark.h>

#include <sstream>

#include "adapters/capture.hpp"
#include "adapters/sim_encode.hpp"
#include "bench/bench_night.hpp"

using namespace hypnic;

namespace {

// The first `n` messages of the 100 Hz night as capture text.
std::string capture_text(std::size_t n) {
    std::ostringstream os;
    const SimTopics topics = sim_topics("alex");
    std::size_t i = 0;
    for (const auto& m : bench::night_messages(100)) {
        write_capture_line(os, encode_sim_message(m, topics));
        if (++i == n) break;
    }
    return os.str();
}

// Reads 2000 lines of the night (line and fields, the payload not decoded), fast path on or off.
void run_capture_read(benchmark::State& state, bool fast) {
    const std::string text = capture_text(2000);
    std::size_t lines = 0;
    for (auto _ : state) {
        std::istringstream in(text);
        CaptureReader reader(in, "bench.jsonl");
        reader.use_fast_path(fast);
        CaptureLine l;
        std::string err;
        while (reader.next(l, err) != CaptureReader::Status::end) ++lines;
        benchmark::DoNotOptimize(l);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["lines"] = static_cast<double>(lines) / static_cast<double>(state.iterations());
}
// As replay reads: the simdjson reader first.
void capture_read(benchmark::State& state) { run_capture_read(state, true); }
BENCHMARK(capture_read)->Unit(benchmark::kMillisecond);
// The complete Boost.JSON reader alone, the reference in the same run.
void capture_read_complete(benchmark::State& state) { run_capture_read(state, false); }
BENCHMARK(capture_read_complete)->Unit(benchmark::kMillisecond);

void capture_write(benchmark::State& state) {
    const SimTopics topics = sim_topics("alex");
    std::vector<CaptureLine> lines;
    for (const auto& m : bench::night_messages(100)) {
        lines.push_back(encode_sim_message(m, topics));
        if (lines.size() == 2000) break;
    }
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::ostringstream os;
        for (const auto& l : lines) write_capture_line(os, l);
        bytes += os.str().size();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(capture_write)->Unit(benchmark::kMillisecond);

}  // namespace
