// Micro-benchmarks of the movement detector: per 1-s batch (the daemon's unit of work) and per sample.
#include <benchmark/benchmark.h>

#include "bench/bench_night.hpp"
#include "plugin/detect/detector.hpp"

using namespace hypnic;

namespace {

// The whole night's accel batches through one detector; items are samples.
void detector_night(benchmark::State& state) {
    const double hz = static_cast<double>(state.range(0));
    const auto batches = bench::accel_batches(hz);
    std::size_t samples = 0;
    for (const auto& b : batches) samples += b.xyz_g.size();
    std::vector<DetectedMovement> found;
    std::vector<EpochActivity> epochs;
    for (auto _ : state) {
        Detector d(DetectorParams{});
        found.clear();
        for (const auto& b : batches) {
            d.feed(b, found);
            d.take_epochs(epochs);
            epochs.clear();
        }
        benchmark::DoNotOptimize(found.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * samples));
    state.counters["batches"] = static_cast<double>(batches.size());
    state.counters["movements"] = static_cast<double>(found.size());
    state.counters["ns_per_batch"] = benchmark::Counter(static_cast<double>(batches.size()) * 1e-9,
                                                        benchmark::Counter::kIsIterationInvariantRate |
                                                            benchmark::Counter::kInvert);
}
BENCHMARK(detector_night)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);

// One sample per feed: the cost of the per-call overhead when a sensor sends single samples.
void detector_per_sample(benchmark::State& state) {
    const auto batches = bench::accel_batches(50);
    std::vector<AccelBatch> singles;
    for (const auto& b : batches) {
        for (std::size_t i = 0; i < b.xyz_g.size(); ++i)
            singles.push_back(AccelBatch{b.t0 + static_cast<double>(i) / b.hz, b.hz, {b.xyz_g[i]}});
        if (singles.size() >= 200000) break;
    }
    std::vector<DetectedMovement> found;
    std::vector<EpochActivity> epochs;
    Detector d(DetectorParams{});
    std::size_t i = 0;
    for (auto _ : state) {
        if (i == singles.size()) {
            state.PauseTiming();
            d = Detector(DetectorParams{});
            i = 0;
            state.ResumeTiming();
        }
        d.feed(singles[i++], found);
        d.take_epochs(epochs);
        epochs.clear();
        found.clear();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(detector_per_sample)->Unit(benchmark::kNanosecond);

}  // namespace
