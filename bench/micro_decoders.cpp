// Micro-benchmarks of the payload decoders: each registered decoder on its documented example, and
// the hot one (accel / hypnic) on real 1-s batches at 50 and 100 Hz.
#include <benchmark/benchmark.h>

#include <string>

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

// accel / hypnic on the simulated night's own payloads (the daemon's main load).
void decode_accel_night(benchmark::State& state) {
    const double hz = static_cast<double>(state.range(0));
    std::vector<std::string> payloads;
    for (const AccelBatch& b : bench::accel_batches(hz)) {
        payloads.push_back(encode_accel(b));
        if (payloads.size() == 2000) break;
    }
    SensorSpec spec = bench::sim_sleeper().sensors[0];
    std::size_t i = 0, bytes = 0;
    for (auto _ : state) {
        const std::string& p = payloads[i++ % payloads.size()];
        DecodeResult r = decode_payload(spec, p, ARRIVAL);
        bytes += p.size();
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(hz));  // samples
}
BENCHMARK(decode_accel_night)->Arg(50)->Arg(100)->Unit(benchmark::kMicrosecond);

const bool registered = [] {
    for (const DecoderDescriptor* d : all_decoders())
        benchmark::RegisterBenchmark(("decode_example/" + std::string(to_string(d->kind)) + "/" + std::string(d->format)).c_str(),
                                     decode_example, d);
    return true;
}();

}  // namespace
