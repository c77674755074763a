// Payload encoders for simulated nights: compact device JSON written with std::to_chars.
#include "adapters/sim_encode.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <system_error>

#include "adapters/json_out.hpp"

namespace hypnic {

namespace {

// Appends the shortest decimal text that reads back to `v` (t0 and hz must survive exactly).
void append_exact(std::string& out, double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// Appends `v` rounded to 4 decimals in plain (never exponent) notation: 0.1 mg is far below any
// sensor's noise, and the shortest form keeps a night of 50 Hz data small.
void append_g(std::string& out, float v) {
    double r = std::round(static_cast<double>(v) * 1e4) / 1e4;
    if (r == 0) r = 0;  // no "-0"
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, r, std::chars_format::fixed);
    out.append(buf, res.ptr);
}

constexpr int TIME_DECIMALS = 3;

}  // namespace

SimTopics sim_topics(const std::string& sleeper, const std::string& base_topic) {
    SimTopics t;
    t.accel = "bed/" + sleeper + "/accel";
    t.partner_accel = "bed/" + sleeper + "_partner/accel";
    t.presence = "bed/" + sleeper + "/presence";
    t.light = "zigbee2mqtt/bedroom_light";
    t.log_prefix = base_topic + "/" + sleeper + "/log/";
    return t;
}

std::string encode_accel(const AccelBatch& b) {
    std::string out;
    out.reserve(32 + b.xyz_g.size() * 26);
    out += "{\"t0\":";
    append_exact(out, b.t0);
    out += ",\"hz\":";
    append_exact(out, b.hz);
    out += ",\"xyz\":[";
    bool first = true;
    for (const auto& s : b.xyz_g) {
        if (!first) out += ',';
        first = false;
        out += '[';
        append_g(out, s[0]);
        out += ',';
        append_g(out, s[1]);
        out += ',';
        append_g(out, s[2]);
        out += ']';
    }
    out += "]}";
    return out;
}

std::string encode_presence(const PresenceReading& r) { return r.in_bed ? "ON" : "OFF"; }

std::string encode_light(const LightReading& r) {
    JsonWriter w;
    w.begin_object().key("state").value(r.on ? "ON" : "OFF");
    if (r.on && r.brightness_pct) {
        const double pct = std::clamp(*r.brightness_pct, 0.0, 100.0);
        w.key("brightness").value(static_cast<int>(std::lround(pct * 254.0 / 100.0)));
    }
    w.end_object();
    return w.take();
}

std::string encode_factor_log(const FactorLog& f) {
    JsonWriter w;
    w.begin_object().key("ts").number(f.t, TIME_DECIMALS).key("amount").number(f.amount, 3).end_object();
    return w.take();
}

CaptureLine encode_sim_message(const sim::SimMessage& m, const SimTopics& topics) {
    CaptureLine line;
    line.ts = std::round(m.arrival * 1000) / 1000;
    switch (m.channel) {
        case sim::Channel::accel:
        case sim::Channel::partner_accel:
            line.topic = m.channel == sim::Channel::accel ? topics.accel : topics.partner_accel;
            line.payload = encode_accel(std::get<AccelBatch>(m.reading));
            break;
        case sim::Channel::presence:
            line.topic = topics.presence;
            line.payload = encode_presence(std::get<PresenceReading>(m.reading));
            break;
        case sim::Channel::light:
            line.topic = topics.light;
            line.payload = encode_light(std::get<LightReading>(m.reading));
            break;
        case sim::Channel::factor_log: {
            const auto& f = std::get<FactorLog>(m.reading);
            line.topic = topics.log_prefix + std::string(to_string(f.factor));
            line.payload = encode_factor_log(f);
            break;
        }
    }
    return line;
}

std::string encode_truth_event(const sim::TrueEvent& e) {
    JsonWriter w;
    w.begin_object();
    w.key("type").value(to_string(e.type));
    w.key("start").number(e.start, TIME_DECIMALS);
    w.key("duration_s").number(e.duration_s, 3);
    w.key("peak").number(e.peak_g, 4);
    w.key("phase").value(to_string(e.phase));
    w.key("onset_window").value(e.onset_window);
    w.key("gravity_shift").value(e.gravity_shift);
    w.key("plm").value(e.plm);
    w.end_object();
    return w.take();
}

std::string encode_truth_night(const sim::TrueNight& n) {
    JsonWriter w;
    w.begin_object();
    w.key("night").value(n.night);
    w.key("in_bed").number(n.in_bed, TIME_DECIMALS);
    w.key("lights_out").number(n.lights_out, TIME_DECIMALS);
    w.key("sleep_onset").number(n.sleep_onset, TIME_DECIMALS);
    w.key("wake").number(n.wake, TIME_DECIMALS);
    w.key("out_of_bed").number(n.out_of_bed, TIME_DECIMALS);
    w.key("bathroom_out");
    if (n.bathroom_out) w.number(*n.bathroom_out, TIME_DECIMALS);
    else w.null();
    w.key("bathroom_back");
    if (n.bathroom_back) w.number(*n.bathroom_back, TIME_DECIMALS);
    else w.null();
    w.key("onset_twitches").value(n.onset_twitches);
    w.key("twitches").value(n.twitches);
    w.key("limb_movements").value(n.limb_movements);
    w.key("large_movements").value(n.large_movements);
    w.key("plm_count").value(n.plm_count);
    w.key("plm_index").number(n.plm_index, 2);
    w.key("asleep_h").number(n.asleep_h, 3);
    w.key("twitch_heavy").value(n.twitch_heavy);
    w.key("heavy_cause").value(n.heavy_cause);
    // Summed amount per factor over the evening's logs; every factor present (0 when none).
    std::map<std::string, double> sums;
    for (Factor f : ALL_FACTORS) sums[std::string(to_string(f))] = 0;
    for (const FactorLog& l : n.factors) sums[std::string(to_string(l.factor))] += l.amount;
    w.key("factors").begin_object();
    for (Factor f : ALL_FACTORS) w.key(to_string(f)).number(sums[std::string(to_string(f))], 3);
    w.end_object();
    w.key("logs").begin_array();
    for (const FactorLog& l : n.factors)
        w.begin_object().key("factor").value(to_string(l.factor)).key("ts").number(l.t, TIME_DECIMALS).key("amount").number(l.amount, 3).end_object();
    w.end_array();
    w.end_object();
    return w.take();
}

}  // namespace hypnic
