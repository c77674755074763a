// Micro-benchmarks of the payload decoders: each registered decoder on its documented example, and
// the hot one (accel / hypnic) on real 1-s batches at 50 and 100 Hz.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>

#include "adapters/decoders/accel_hypnic.hpp"
#include "adapters/decoders/registry.hpp"
#include "adapters/sim_encode.hpp"
#include "bench/bench_night.hpp"

using namespace hypnic;

namespace {

constexpr UnixS ARRIVAL = 1764104523.5;

// One benchmark per descriptor, named by kind and format, decoding its own documented example.
void decode_example(benchmark::State& state, const DecoderDescriptor* d) {
    SensorSpec spec;
    spec.kind = d->kind;
    spec.format = std::string(d->format);
    spec.topic = "bench/sensor";
    // Decoders that read a JSON pointer need one; the examples use these fields.
    if (spec.format == "json") spec.value_pointer = d->kind == SensorKind::presence ? "/occupancy" : "/state";
    const std::string payload(d->example);
    std::size_t readings = 0;
    for (auto _ : state) {
        DecodeResult r = decode_payload(spec, payload, ARRIVAL);
        readings += r.readings.size();
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload.size()));
    state.counters["readings_per_msg"] = static_cast<double>(readings) / static_cast<double>(state.iterations());
}

// accel / hypnic on the simulated night's own payloads (the daemon's main load), through `decode`.
void run_accel_night(benchmark::State& state, DecodeFn decode) {
    const double hz = static_cast<double>(state.range(0));
    std::vector<std::string> payloads;
    std::vector<UnixS> arrivals;  // each batch arrives right after its last sample, as live
    for (const AccelBatch& b : bench::accel_batches(hz)) {
        payloads.push_back(encode_accel(b));
        arrivals.push_back(b.t0 + static_cast<double>(b.xyz_g.size()) / b.hz);
        if (payloads.size() == 2000) break;
    }
    SensorSpec spec = bench::sim_sleeper().sensors[0];
    std::size_t i = 0, bytes = 0, decoded = 0;
    for (auto _ : state) {
        const std::size_t k = i++ % payloads.size();
        const std::string& p = payloads[k];
        DecodeResult r = decode(spec, p, arrivals[k]);
        bytes += p.size();
        decoded += r.ok() ? 1 : 0;
        benchmark::DoNotOptimize(r);
    }
    // Share of batches that decoded: a rejected batch (e.g. a time check) would measure the error path.
    state.counters["ok_share"] = static_cast<double>(decoded) / static_cast<double>(std::max<std::size_t>(1, i));
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(hz));  // samples
}
// As the daemon decodes: decode_payload, the simdjson fast path first.
void decode_accel_night(benchmark::State& state) { run_accel_night(state, decode_payload); }
BENCHMARK(decode_accel_night)->Arg(50)->Arg(100)->Unit(benchmark::kMicrosecond);
// The complete decoder alone (a Boost.JSON tree), the fast path's reference in the same run.
void decode_accel_night_complete(benchmark::State& state) { run_accel_night(state, decode_accel_complete); }
BENCHMARK(decode_accel_night_complete)->Arg(100)->Unit(benchmark::kMicrosecond);

const bool registered = [] {
    for (const DecoderDescriptor* d : all_decoders())
        benchmark::RegisterBenchmark(("decode_example/" + std::string(to_string(d->kind)) + "/" + std::string(d->format)).c_str(),
                                     decode_example, d);
    return true;
}();

}  // namespace
