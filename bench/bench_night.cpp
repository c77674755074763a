// One simulated night shared by the micro-benchmarks (generated on first use, then reused).
#include "bench/bench_night.hpp"

#include <cstdint>
#include <map>

#include "plugin/time.hpp"

namespace hypnic::bench {

const std::vector<sim::SimMessage>& night_messages(double hz) {
    static std::map<double, std::vector<sim::SimMessage>> cache;
    auto& msgs = cache[hz];
    if (msgs.empty()) {
        sim::SimParams sp;
        sp.nights = 1;
        sp.seed = 7;
        sp.hz = hz;
        const FixedZone zone;
        sim::Simulator simulator(sp, zone);
        sim::SimMessage m;
        while (simulator.next(m)) msgs.push_back(m);
    }
    return msgs;
}

SleeperParams sim_sleeper() {
    SleeperParams sl;
    sl.id = "alex";
    const auto sensor = [](SensorKind k, const char* topic, const char* format, bool is_partner) {
        SensorSpec s;
        s.kind = k;
        s.topic = topic;
        s.format = format;
        s.partner = is_partner;
        return s;
    };
    sl.sensors = {sensor(SensorKind::accel, "bed/alex/accel", "hypnic", false),
                  sensor(SensorKind::accel, "bed/alex_partner/accel", "hypnic", true),
                  sensor(SensorKind::presence, "bed/alex/presence", "plain", false),
                  sensor(SensorKind::lights, "zigbee2mqtt/bedroom_light", "json", false)};
    sl.sensors[3].value_pointer = "/state";
    return sl;
}

std::size_t sensor_of(sim::Channel c) {
    switch (c) {
        case sim::Channel::accel: return 0;
        case sim::Channel::partner_accel: return 1;
        case sim::Channel::presence: return 2;
        case sim::Channel::light: return 3;
        case sim::Channel::factor_log: return SIZE_MAX;
    }
    return SIZE_MAX;
}

std::vector<AccelBatch> accel_batches(double hz) {
    std::vector<AccelBatch> out;
    for (const auto& m : night_messages(hz))
        if (m.channel == sim::Channel::accel) out.push_back(std::get<AccelBatch>(m.reading));
    return out;
}

}  // namespace hypnic::bench
