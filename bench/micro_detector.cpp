// Micro-benchmarks of the movement detector: per 1-s batch (the daemon's unit of work) and per sample.
#include <benchmark/benchmark.h>

#include "bench/bench_night.hpp"
#include "plugin/detect/baseline.hpp"
#include "plugin/detect/detector.hpp"
#include "plugin/detect/running_median.hpp"

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

// The high-pass median alone: one push per sample of the night's x axis, over the detector's
// window at 100 Hz (101 samples) and a longer one.
void running_median_push(benchmark::State& state) {
    std::vector<double> xs;
    for (const auto& b : bench::accel_batches(100))
        for (const auto& q : b.xyz_g) xs.push_back(static_cast<double>(q[0]));
    RunningMedian m;
    m.reset(static_cast<std::size_t>(state.range(0)), xs.front());
    std::size_t i = 0;
    double sum = 0;
    for (auto _ : state) {
        m.push(xs[i]);
        sum += m.median();
        if (++i == xs.size()) i = 0;
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(running_median_push)->Arg(101)->Arg(401)->Unit(benchmark::kNanosecond);

// The detector's high-pass as it runs now: the same 1 s window over every k-th sample of the
// night's x axis at 100 Hz, interpolated (k = 2, 51 points; k = 1 is the exact median above).
void decimated_median_push(benchmark::State& state) {
    std::vector<double> xs;
    for (const auto& b : bench::accel_batches(100))
        for (const auto& q : b.xyz_g) xs.push_back(static_cast<double>(q[0]));
    const auto k = static_cast<std::size_t>(state.range(0));
    DecimatedMedian m;
    m.reset(DecimatedMedian::Shape{k, 50 / k}, xs.front());
    std::size_t i = 0;
    double sum = 0;
    for (auto _ : state) {
        m.push(xs[i]);
        sum += m.centre() - m.baseline();
        if (++i == xs.size()) i = 0;
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(decimated_median_push)->Arg(1)->Arg(2)->Arg(5)->Unit(benchmark::kNanosecond);

}  // namespace
