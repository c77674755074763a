// A scripted bedroom for night tests: synthetic bed-sensor streams and events fed through Plugin in time order.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/plugin.hpp"
#include "plugin/time.hpp"

namespace hypnic::test {

/// 2026-11-25 00:00:00 UTC.
inline constexpr UnixS DAY0 = 1795564800.0;
/// Local (zone) clock time on 2026-11-25 + day_offset, as an instant in a zone `offset_s` east of UTC.
inline UnixS at(int hh, int mm, double ss = 0, int day_offset = 0, int offset_s = 0) {
    return DAY0 + day_offset * 86400.0 + hh * 3600 + mm * 60 + ss - offset_s;
}

/// A shaped burst of movement added on top of a bed sensor's resting signal.
struct Burst {
    UnixS start = 0;
    double duration_s = 0.2;
    double amp_g = 0.12;
    double freq_hz = 8;
    double tilt_g = 0;  ///< a lasting step on x (posture change) from the burst's end on
};

inline Burst twitch_at(UnixS t, double amp_g = 0.12) { return {t, 0.2, amp_g, 8, 0}; }
inline Burst limb_at(UnixS t, double duration_s = 2) { return {t, duration_s, 0.05, 3, 0}; }
/// Restless-awake movement: long enough to make its minute a wake minute.
inline Burst fidget_at(UnixS t) { return {t, 7, 0.08, 2, 0}; }

/// One raw accelerometer stream (1-s batches), with gaps where no batch is sent.
struct AccelStream {
    std::size_t sensor = 0;
    double hz = 25;
    UnixS from = 0, to = 0;
    double noise_g = 0.002;
    std::vector<Burst> bursts;
    std::vector<std::pair<UnixS, UnixS>> gaps;
    std::uint64_t seed = 1;

    bool in_gap(UnixS t) const {
        return std::any_of(gaps.begin(), gaps.end(), [&](const auto& g) { return t >= g.first && t < g.second; });
    }

    AccelBatch batch(UnixS t0) {
        AccelBatch b;
        b.t0 = t0;
        b.hz = hz;
        const int n = static_cast<int>(std::lround(hz));
        b.xyz_g.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            const double t = t0 + i / hz;
            std::array<double, 3> a{0, 0, 1};
            for (auto& v : a) v += noise();
            for (const auto& bu : bursts) {
                if (t >= bu.start && t < bu.start + bu.duration_s) {
                    const double ph = 2 * M_PI * bu.freq_hz * (t - bu.start);
                    a[2] += bu.amp_g * std::sin(ph);
                    a[0] += 0.5 * bu.amp_g * std::cos(ph);
                }
                if (bu.tilt_g != 0 && t >= bu.start + bu.duration_s) a[0] += bu.tilt_g;
            }
            b.xyz_g.push_back({static_cast<float>(a[0]), static_cast<float>(a[1]), static_cast<float>(a[2])});
        }
        return b;
    }

private:
    double noise() {
        // xorshift64*: deterministic, uniform in [-noise_g*sqrt(3), +noise_g*sqrt(3)] (sd = noise_g)
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        const double u = static_cast<double>((seed * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
        return (2 * u - 1) * noise_g * 1.7320508;
    }
};

/// Feeds streams and discrete readings through a Plugin in arrival order, with on_time calls
/// whenever the plugin asks for them.
struct Bedroom {
    PluginParams params;
    std::unique_ptr<Zone> zone = std::make_unique<FixedZone>(0);
    MemoryHistory history;
    std::unique_ptr<Plugin> plugin;
    std::vector<Output> out;
    std::vector<AccelStream> streams;
    std::multimap<UnixS, Input> discrete;
    UnixS resume_at = -std::numeric_limits<double>::infinity();  ///< a later run() goes on from here

    Bedroom() {
        SleeperParams s;
        s.id = "alex";
        params.sleepers.push_back(s);
    }
    SleeperParams& sleeper() { return params.sleepers[0]; }

    std::size_t add_sensor(SensorKind kind, bool partner = false) {
        SensorSpec spec;
        spec.kind = kind;
        spec.topic = "bed/alex/" + std::string(to_string(kind)) + (partner ? "_partner" : "") +
                     std::to_string(sleeper().sensors.size());
        spec.partner = partner;
        sleeper().sensors.push_back(spec);
        return sleeper().sensors.size() - 1;
    }
    AccelStream& add_accel(UnixS from, UnixS to, bool partner = false) {
        AccelStream s;
        s.sensor = add_sensor(SensorKind::accel, partner);
        s.from = from;
        s.to = to;
        s.seed = 0x9E3779B97F4A7C15ULL + s.sensor;
        streams.push_back(s);
        return streams.back();
    }
    void at(UnixS t, std::size_t sensor, Reading r) { discrete.emplace(t, Input{0, sensor, t, std::move(r)}); }
    void presence(std::size_t sensor, UnixS t, bool in_bed) { at(t, sensor, PresenceReading{t, in_bed}); }
    void light(std::size_t sensor, UnixS t, bool on) { at(t, sensor, LightReading{t, on, std::nullopt}); }
    void value(std::size_t sensor, UnixS t, double v) { at(t, sensor, SourceValue{t, v}); }

    void start() { plugin = std::make_unique<Plugin>(params, *zone, history); }

    /// Runs everything up to `until` (batches arrive at the end of their second).
    void run(UnixS until) {
        if (!plugin) start();
        UnixS first = until;
        for (const auto& s : streams) first = std::min(first, s.from);
        if (!discrete.empty()) first = std::min(first, discrete.begin()->first);
        auto next_discrete = discrete.begin();
        first = std::max(first, resume_at);
        resume_at = std::floor(until) + 1;
        for (UnixS t = std::floor(first); t <= until; t += 1) {
            while (next_discrete != discrete.end() && next_discrete->first <= t) {
                plugin->on_input(next_discrete->second, out);
                ++next_discrete;
            }
            for (auto& s : streams) {
                const UnixS b0 = t - 1;
                if (b0 < s.from || b0 >= s.to || s.in_gap(b0)) continue;
                plugin->on_input(Input{0, s.sensor, t, s.batch(b0)}, out);
            }
            if (plugin->next_wakeup() <= t) plugin->on_time(t, out);
            // Nothing scripted is left: jump from wake-up to wake-up instead of second by second.
            bool streams_done = std::all_of(streams.begin(), streams.end(), [&](const auto& s) { return t >= s.to + 1; });
            if (streams_done && next_discrete == discrete.end()) {
                for (int guard = 0; guard < 10000; ++guard) {
                    const UnixS w = plugin->next_wakeup();
                    if (!(w <= until)) break;
                    plugin->on_time(std::max(w, t), out);
                    t = std::max(w, t);
                }
                plugin->on_time(until, out);
                break;
            }
        }
        discrete.erase(discrete.begin(), next_discrete);
    }

    template <typename T>
    std::vector<T> outputs() const {
        std::vector<T> v;
        for (const auto& o : out)
            if (const T* x = std::get_if<T>(&o.body)) v.push_back(*x);
        return v;
    }
    std::vector<MovementEvent> events(MovementType type) const {
        std::vector<MovementEvent> v;
        for (const auto& e : outputs<MovementEvent>())
            if (e.type == type) v.push_back(e);
        return v;
    }
    std::optional<MovementEvent> event_near(UnixS t, double tol_s = 0.6) const {
        for (const auto& e : outputs<MovementEvent>())
            if (std::abs(e.start - t) <= tol_s) return e;
        return std::nullopt;
    }
    std::vector<Phase> phases() const {
        std::vector<Phase> v;
        for (const auto& s : outputs<LiveState>())
            if (v.empty() || v.back() != s.phase) v.push_back(s.phase);
        return v;
    }
};

/// Awake and restless from `from` until `to`: a 7-s fidget every minute (at second 10).
inline void restless(AccelStream& s, UnixS from, UnixS to) {
    for (UnixS t = from; t + 10 < to; t += 60) s.bursts.push_back(fidget_at(t + 10));
}

}  // namespace hypnic::test
