// Rendering of events, states, nights, advice, wind-down triggers and light commands to JSON.
#include "adapters/render.hpp"

#include <algorithm>
#include <cmath>

#include "adapters/homeassistant/settings.hpp"
#include "adapters/json_out.hpp"

namespace hypnic {

namespace {
// Decimals per kind of number: enough for the quantity, few enough to stay stable across builds.
constexpr int DEC_SECONDS = 3;
constexpr int DEC_PEAK = 4;
constexpr int DEC_RATE = 2;
constexpr int DEC_SHARE = 3;
constexpr int DEC_MINUTES = 1;
constexpr int DEC_EVIDENCE = 3;

void time_or_null(JsonWriter& w, const std::optional<UnixS>& t, const Zone& zone) {
    if (t)
        w.value(format_iso(*t, zone));
    else
        w.null();
}

void number_or_null(JsonWriter& w, const std::optional<double>& v, int decimals) {
    if (v)
        w.number(*v, decimals);
    else
        w.null();
}

void evidence_value(JsonWriter& w, const EvidenceValue& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, double>)
                w.number(x, DEC_EVIDENCE);
            else if constexpr (std::is_same_v<T, std::int64_t>)
                w.value(x);
            else if constexpr (std::is_same_v<T, bool>)
                w.value(x);
            else
                w.value(std::string_view(x));
        },
        v);
}

int brightness_254(double pct) {
    return static_cast<int>(std::clamp(std::lround(pct * 254.0 / 100.0), 0L, 254L));
}
int brightness_100(double pct) { return static_cast<int>(std::clamp(std::lround(pct), 0L, 100L)); }
int mired_of(int kelvin) { return static_cast<int>(std::lround(1e6 / kelvin)); }

void replace_all(std::string& s, std::string_view what, const std::string& with) {
    for (std::size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
        s.replace(pos, what.size(), with);
}
}  // namespace

std::string render_event(const MovementEvent& e, const Zone& zone) {
    JsonWriter w;
    w.begin_object();
    w.key("type").value(to_string(e.type));
    w.key("start").value(format_iso(e.start, zone));
    w.key("duration_s").number(e.duration_s, DEC_SECONDS);
    w.key("peak").number(e.peak_g, DEC_PEAK);
    w.key("phase").value(to_string(e.phase));
    w.key("onset_window").value(e.onset_window);
    if (e.type == MovementType::plm_series) {
        w.key("count").value(e.count);
        w.key("end").value(format_iso(e.end, zone));
    }
    w.end_object();
    return w.take();
}

std::string render_state(const LiveState& s, const Zone& zone) {
    JsonWriter w;
    w.begin_object();
    w.key("phase").value(to_string(s.phase));
    // Before the first reading the phase has no start: say so rather than print 1970.
    if (s.since > 0) w.key("since").value(format_iso(s.since, zone));
    else w.key("since").null();
    w.key("tonight").begin_object();
    w.key("onset_twitches").value(s.tonight.onset_twitches);
    w.key("twitches").value(s.tonight.twitches);
    w.key("limb_movements").value(s.tonight.limb_movements);
    w.key("large_movements").value(s.tonight.large_movements);
    w.end_object();
    w.end_object();
    return w.take();
}

std::string render_night(const NightSummary& n, const Zone& zone) {
    JsonWriter w;
    w.begin_object();
    w.key("night").value(n.night);
    w.key("in_bed");
    time_or_null(w, n.in_bed, zone);
    w.key("lights_out");
    time_or_null(w, n.lights_out, zone);
    w.key("sleep_onset");
    time_or_null(w, n.sleep_onset, zone);
    w.key("onset_latency_min");
    number_or_null(w, n.onset_latency_min, DEC_MINUTES);
    w.key("out_of_bed");
    time_or_null(w, n.out_of_bed, zone);
    w.key("onset_twitches").value(n.onset_twitches);
    w.key("twitches").value(n.twitches);
    w.key("twitch_index").number(n.twitch_index, DEC_RATE);
    w.key("limb_movements").value(n.limb_movements);
    w.key("plm_series").value(n.plm_series);
    w.key("plm_index").number(n.plm_index, DEC_RATE);
    w.key("plm_periodicity").number(n.plm_periodicity, DEC_SHARE);
    w.key("large_movements").value(n.large_movements);
    w.key("twitch_heavy").value(n.twitch_heavy);
    w.key("heavy_reason").value(n.heavy_reason);
    w.key("baseline").begin_object();
    w.key("nights").value(n.baseline.nights);
    w.key("onset_twitches_median").number(n.baseline.onset_twitches_median, DEC_RATE);
    w.key("onset_twitches_mad").number(n.baseline.onset_twitches_mad, DEC_RATE);
    w.key("twitch_index_median").number(n.baseline.twitch_index_median, DEC_RATE);
    w.key("twitch_index_mad").number(n.baseline.twitch_index_mad, DEC_RATE);
    w.key("threshold").number(n.baseline.threshold, DEC_RATE);
    w.end_object();
    w.key("factors").begin_object();
    for (const FactorSummary& f : n.factors) {
        w.key(to_string(f.factor)).begin_object();
        w.key("count").value(f.count);
        w.key("amount").number(f.amount, DEC_RATE);
        w.key("last");
        time_or_null(w, f.last, zone);
        w.key("hours_before_bed");
        number_or_null(w, f.hours_before_bed, DEC_RATE);
        w.key("late").value(f.late);
        w.end_object();
    }
    w.end_object();
    w.key("sensor_resolution").value(n.sensor_resolution);
    w.key("coverage").number(n.coverage, DEC_SHARE);
    w.key("asleep_h").number(n.asleep_h, DEC_RATE);
    w.end_object();
    return w.take();
}

std::string render_advice(const Advice& a, const Zone& zone) {
    JsonWriter w;
    w.begin_object();
    w.key("generated").value(format_iso(a.generated, zone));
    w.key("nights").value(a.nights);
    w.key("items").begin_array();
    for (const AdviceItem& item : a.items) {
        w.begin_object();
        w.key("id").value(item.id);
        w.key("priority").value(item.priority);
        w.key("text").value(item.text);
        w.key("evidence").begin_object();
        for (const Evidence& e : item.evidence) {
            w.key(e.key);
            evidence_value(w, e.value);
        }
        w.end_object();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return w.take();
}

std::string render_winddown(const WinddownTrigger& t, const Zone& zone) {
    JsonWriter w;
    w.begin_object();
    w.key("stage").value(to_string(t.stage));
    w.key("at").value(format_iso(t.at, zone));
    w.key("bedtime").value(format_iso(t.bedtime, zone));
    w.key("after_heavy_night").value(t.after_heavy_night);
    w.key("reason").value(t.reason);
    for (const Evidence& e : t.extra) {
        // The fixed fields come first and win: a duplicate key would make the JSON ambiguous.
        if (e.key == "stage" || e.key == "at" || e.key == "bedtime" || e.key == "after_heavy_night" ||
            e.key == "reason")
            continue;
        w.key(e.key);
        evidence_value(w, e.value);
    }
    w.end_object();
    return w.take();
}

std::string render_winddown_next(const WinddownNext& n, const Zone& zone) {
    JsonWriter w;
    w.begin_object();
    w.key("stage").value(to_string(n.stage));
    w.key("at").value(format_iso(n.at, zone));
    w.end_object();
    return w.take();
}

std::vector<Publication> render_light_command(const LightCommand& cmd, const LightSpec& light, UnixS ts,
                                              std::uint64_t rpc_id) {
    std::vector<Publication> pubs;
    const auto add = [&](std::string topic, std::string payload) {
        pubs.push_back(Publication{ts, std::move(topic), std::move(payload), false, 1});
    };
    const bool has_ct = cmd.color_temp_k && *cmd.color_temp_k > 0;
    const double transition_s = std::isfinite(cmd.transition_s) && cmd.transition_s > 0 ? cmd.transition_s : 0;
    switch (light.type) {
        case LightType::zigbee2mqtt: {
            JsonWriter w;
            w.begin_object();
            w.key("state").value(cmd.on ? "ON" : "OFF");
            if (cmd.on && cmd.brightness_pct) w.key("brightness").value(brightness_254(*cmd.brightness_pct));
            if (cmd.on && has_ct) w.key("color_temp").value(mired_of(*cmd.color_temp_k));
            if (transition_s > 0) w.key("transition").number(transition_s, 1);
            w.end_object();
            add(light.topic + "/set", w.take());
            break;
        }
        case LightType::tasmota: {
            // Tasmota fades at most ~20 s by itself, so the core steps long fades; each step is
            // a plain command. CT before Dimmer so that the light does not flash at the old colour.
            const std::string base = "cmnd/" + light.topic + "/";
            if (!cmd.on) {
                add(base + "Power", "OFF");
                break;
            }
            if (has_ct) add(base + "CT", std::to_string(std::clamp(mired_of(*cmd.color_temp_k), 153, 500)));
            if (cmd.brightness_pct)
                add(base + "Dimmer", std::to_string(brightness_100(*cmd.brightness_pct)));
            else
                add(base + "Power", "ON");
            break;
        }
        case LightType::shelly_gen1: {
            JsonWriter w;
            w.begin_object();
            w.key("turn").value(cmd.on ? "on" : "off");
            if (cmd.on && cmd.brightness_pct) w.key("brightness").value(brightness_100(*cmd.brightness_pct));
            // Gen1 lights accept transitions up to 5 s.
            if (transition_s > 0)
                w.key("transition").value(static_cast<int>(std::min(5000L, std::lround(transition_s * 1000))));
            w.end_object();
            add(light.topic + "/light/" + std::to_string(light.channel) + "/set", w.take());
            break;
        }
        case LightType::shelly_rpc: {
            JsonWriter w;
            w.begin_object();
            w.key("id").value(rpc_id);
            w.key("src").value("hypnic");
            w.key("method").value("Light.Set");
            w.key("params").begin_object();
            w.key("id").value(light.channel);
            w.key("on").value(cmd.on);
            if (cmd.on && cmd.brightness_pct) w.key("brightness").value(brightness_100(*cmd.brightness_pct));
            if (transition_s > 0) w.key("transition_duration").number(transition_s, 1);
            w.end_object();
            w.end_object();
            add(light.topic + "/rpc", w.take());
            break;
        }
        case LightType::template_: {
            std::string p = light.payload_template;
            const double pct = cmd.on ? cmd.brightness_pct.value_or(100) : 0;
            replace_all(p, "{brightness_pct}", std::to_string(brightness_100(pct)));
            replace_all(p, "{brightness_254}", std::to_string(brightness_254(pct)));
            replace_all(p, "{color_temp_k}", has_ct ? std::to_string(*cmd.color_temp_k) : "null");
            replace_all(p, "{mired}", has_ct ? std::to_string(mired_of(*cmd.color_temp_k)) : "null");
            replace_all(p, "{transition_s}", format_json_number(transition_s, 1));
            add(light.command_topic, std::move(p));
            break;
        }
    }
    return pubs;
}

Renderer::Renderer(std::string base_topic, const PluginParams& params, const Zone& zone)
    : base_(std::move(base_topic)), params_(params), zone_(zone) {}

std::string Renderer::topic(std::size_t sleeper, std::string_view leaf) const {
    std::string t = base_;
    t += '/';
    t += params_.sleepers[sleeper].id;
    t += '/';
    t += leaf;
    return t;
}

void Renderer::render(const Output& out, UnixS ts, std::vector<Publication>& pubs) {
    if (out.sleeper >= params_.sleepers.size()) return;
    const auto publish = [&](std::string_view leaf, std::string payload, bool retain) {
        pubs.push_back(Publication{ts, topic(out.sleeper, leaf), std::move(payload), retain, 1});
    };
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, MovementEvent>) {
                publish("event", render_event(body, zone_), false);
            } else if constexpr (std::is_same_v<T, LiveState>) {
                publish("state", render_state(body, zone_), true);
            } else if constexpr (std::is_same_v<T, NightSummary>) {
                publish("night", render_night(body, zone_), true);
            } else if constexpr (std::is_same_v<T, Advice>) {
                publish("advice", render_advice(body, zone_), true);
            } else if constexpr (std::is_same_v<T, WinddownTrigger>) {
                publish("winddown", render_winddown(body, zone_), false);
            } else if constexpr (std::is_same_v<T, WinddownNext>) {
                publish("winddown/next", render_winddown_next(body, zone_), true);
            } else if constexpr (std::is_same_v<T, WinddownSettings>) {
                publish("settings", ha::render_settings(body), true);
            } else {
                const auto& lights = params_.sleepers[out.sleeper].winddown.lights;
                if (body.light >= lights.size()) return;
                const LightSpec& spec = lights[body.light];
                const std::uint64_t id = spec.type == LightType::shelly_rpc ? ++rpc_seq_ : 0;
                for (Publication& p : render_light_command(body, spec, ts, id)) pubs.push_back(std::move(p));
            }
        },
        out.body);
}

}  // namespace hypnic
