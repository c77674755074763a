// Micro-benchmark of night assembly: a whole simulated night through the Plugin (detector, night
// rules, scoring, advice), without decoding or rendering.
#include <benchmark/benchmark.h>

#include "bench/bench_night.hpp"
#include "plugin/history.hpp"
#include "plugin/plugin.hpp"
#include "plugin/time.hpp"

using namespace hypnic;

namespace {

void plugin_night(benchmark::State& state) {
    const double hz = static_cast<double>(state.range(0));
    const auto& msgs = bench::night_messages(hz);
    const FixedZone zone;
    PluginParams pp;
    pp.sleepers.push_back(bench::sim_sleeper());
    std::size_t outputs = 0;
    for (auto _ : state) {
        MemoryHistory history;
        Plugin plugin(pp, zone, history);
        std::vector<Output> out;
        UnixS last = 0;
        for (const auto& m : msgs) {
            if (m.arrival >= plugin.next_wakeup()) plugin.on_time(m.arrival, out);
            Input in;
            in.sleeper = 0;
            in.sensor = bench::sensor_of(m.channel);
            in.arrival = m.arrival;
            std::visit([&](const auto& r) { in.reading = r; }, m.reading);
            plugin.on_input(in, out);
            outputs += out.size();
            out.clear();
            last = m.arrival;
        }
        // Let the night close (the summary is part of the work).
        for (UnixS t = last; t <= last + 4 * 3600; t += 60) plugin.on_time(t, out);
        outputs += out.size();
    }
    state.counters["messages"] = static_cast<double>(msgs.size());
    state.counters["outputs"] = static_cast<double>(outputs) / static_cast<double>(state.iterations());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * msgs.size()));
}
BENCHMARK(plugin_night)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
