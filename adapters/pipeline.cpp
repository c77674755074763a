// The message path shared by `run` and `replay`: route, cap, decode, de-duplicate, feed, render.
#include "adapters/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_map>

#include "adapters/decoders/registry.hpp"
#include "adapters/homeassistant/settings.hpp"
#include "adapters/json_out.hpp"
#include "adapters/render.hpp"

namespace hypnic {

namespace {
// Enough distinct (topic, reason) pairs for any real installation; beyond that a flood of
// made-up topics is folded into one bucket so the counters cannot grow without bound.
constexpr std::size_t MAX_REJECT_KEYS = 1024;
constexpr std::string_view OTHER_TOPICS = "(other topics)";
// Recent explicitly timestamped logs remembered to drop QoS 1 re-deliveries.
constexpr std::size_t LOG_MEMORY = 256;

struct Route {
    std::size_t sleeper;
    std::size_t sensor;
};

// A wind-down input: a light's state topic (light = index into WinddownParams::lights) or the
// sleeper's pause topic (light = SIZE_MAX).
struct WinddownRoute {
    std::size_t sleeper;
    std::size_t light;
};

// Where a light reports its state: the configured state_topic, else the protocol's own topics
// (a template light without one has no override detection).
std::vector<std::string> light_state_topics(const LightSpec& l) {
    if (!l.state_topic.empty()) return {l.state_topic};
    switch (l.type) {
        case LightType::zigbee2mqtt: return {l.topic};
        case LightType::tasmota: return {"stat/" + l.topic + "/RESULT", "tele/" + l.topic + "/STATE"};
        case LightType::shelly_gen1: return {l.topic + "/light/" + std::to_string(l.channel) + "/status"};
        case LightType::shelly_rpc: return {l.topic + "/status/light:" + std::to_string(l.channel)};
        case LightType::template_: break;
    }
    return {};
}

struct LogKey {
    std::size_t sleeper;
    Factor factor;
    UnixS t;
    double amount;
    std::string note;
    bool operator==(const LogKey&) const = default;
};

// Drops the leading samples of an evenly spaced batch at or before `last_t`. Returns false when
// nothing is left (the whole batch was seen before). Half a period of tolerance absorbs the
// rounding of t0 + i/hz without ever dropping a genuinely new sample.
template <typename Samples>
bool trim_seen(UnixS& t0, double period_s, Samples& samples, double& last_t) {
    const std::size_t n = samples.size();
    const double new_last = t0 + static_cast<double>(n - 1) * period_s;
    const double cut = last_t + 0.5 * period_s;
    if (new_last < cut) return false;
    if (t0 < cut) {
        const double k_real = std::ceil((cut - t0) / period_s);
        const std::size_t k = k_real <= 0 ? 0 : std::min(n, static_cast<std::size_t>(k_real));
        samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k));
        t0 += static_cast<double>(k) * period_s;
    }
    last_t = new_last;
    return !samples.empty();
}

// The sleepers of this shard; the ids of the others are kept to ignore their log topics quietly.
PluginParams shard_params(const PluginParams& all, const ShardOptions& shard, std::vector<std::string>& others) {
    if (shard.count <= 1) return all;
    PluginParams mine = all;
    mine.sleepers.clear();
    for (const SleeperParams& s : all.sleepers) {
        if (in_shard(s.id, shard)) mine.sleepers.push_back(s);
        else others.push_back(s.id);
    }
    return mine;
}
}  // namespace

std::uint64_t shard_hash(std::string_view id) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : id) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

bool in_shard(std::string_view id, const ShardOptions& shard) {
    return shard.count <= 1 || shard_hash(id) % shard.count == shard.index;
}

struct Pipeline::Impl {
    Impl(const MqttOptions& m, const PluginParams& p, const Zone& z, History& h)
        : mqtt(m),
          params(shard_params(p, m.shard, other_shards)),
          base(m.base_topic.empty() ? p.base_topic : m.base_topic),
          plugin(params, z, h),
          renderer(base, params, z) {
        for (std::size_t s = 0; s < params.sleepers.size(); ++s) {
            const auto& sensors = params.sleepers[s].sensors;
            last_t.emplace_back(sensors.size(), -std::numeric_limits<double>::infinity());
            for (std::size_t k = 0; k < sensors.size(); ++k) {
                auto& r = routes[sensors[k].topic];
                if (r.empty()) topics.push_back(sensors[k].topic);
                r.push_back(Route{s, k});
            }
        }
        for (std::size_t s = 0; s < params.sleepers.size(); ++s) {
            const WinddownParams& w = params.sleepers[s].winddown;
            const auto add = [&](const std::string& topic, std::size_t light) {
                if (topic.empty()) return;
                auto& r = winddown_routes[topic];
                if (r.empty() && !routes.count(topic)) topics.push_back(topic);
                r.push_back(WinddownRoute{s, light});
            };
            for (std::size_t k = 0; k < w.lights.size(); ++k)
                for (const std::string& t : light_state_topics(w.lights[k])) add(t, k);
            add(w.pause_topic, SIZE_MAX);
        }
    }

    std::optional<Rejection> reject(std::string_view topic, std::string reason, std::string detail) {
        std::pair<std::string, std::string> key{std::string(topic), reason};
        if (!rejects.by_topic_reason.count(key) && rejects.by_topic_reason.size() >= MAX_REJECT_KEYS)
            key.first = std::string(OTHER_TOPICS);
        ++rejects.by_topic_reason[key];
        ++rejects.total;
        return Rejection{std::string(topic), std::move(reason), std::move(detail)};
    }

    // Applies sensor-level de-duplication; false when the reading is entirely a repeat.
    bool dedupe(const Route& r, Reading& reading) {
        double& last = last_t[r.sleeper][r.sensor];
        return std::visit(
            [&](auto& x) -> bool {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, AccelBatch>)
                    return trim_seen(x.t0, 1.0 / x.hz, x.xyz_g, last);
                else if constexpr (std::is_same_v<T, ScalarBatch>)
                    return trim_seen(x.t0, 1.0 / x.hz, x.v, last);
                else if constexpr (std::is_same_v<T, ActivityEpochs>)
                    return trim_seen(x.t0, x.epoch_s, x.counts, last);
                else
                    return true;  // state-like readings carry no sample time of their own
            },
            reading);
    }

    void feed(std::size_t sleeper, std::size_t sensor, UnixS arrival, Reading reading, std::vector<Publication>& out) {
        outs.clear();
        plugin.on_input(Input{sleeper, sensor, arrival, std::move(reading)}, outs);
        for (const Output& o : outs) renderer.render(o, arrival, out);
    }

    // Splits `<base>/<sleeper><kind><leaf>` (kind "/log/" or "/set/"); false for any other topic.
    bool split_sleeper_topic(std::string_view topic, std::string_view kind, std::string_view& sleeper_id,
                             std::string_view& leaf) const {
        if (topic.size() <= base.size() + 1 || topic.substr(0, base.size()) != base || topic[base.size()] != '/')
            return false;
        const std::string_view rest = topic.substr(base.size() + 1);
        const std::size_t slash = rest.find('/');
        if (slash == std::string_view::npos || rest.substr(slash, kind.size()) != kind) return false;
        sleeper_id = rest.substr(0, slash);
        leaf = rest.substr(slash + kind.size());
        return true;
    }

    std::optional<Rejection> on_log(std::string_view topic, std::string_view payload, UnixS arrival,
                                    std::vector<Publication>& out, bool& matched) {
        matched = false;
        std::string_view sleeper_id, factor_name;
        if (!split_sleeper_topic(topic, "/log/", sleeper_id, factor_name)) return std::nullopt;
        matched = true;
        std::size_t sleeper = params.sleepers.size();
        for (std::size_t s = 0; s < params.sleepers.size(); ++s)
            if (params.sleepers[s].id == sleeper_id) sleeper = s;
        if (sleeper == params.sleepers.size() &&
            std::find(other_shards.begin(), other_shards.end(), sleeper_id) != other_shards.end())
            return std::nullopt;  // another instance's sleeper: its shard takes the log
        if (sleeper == params.sleepers.size())
            return reject(topic, "topic", "log topic names sleeper \"" + std::string(sleeper_id) +
                                              "\", which is not configured");
        const auto factor = factor_from_string(factor_name);
        if (!factor)
            return reject(topic, "topic", "log topic names factor \"" + std::string(factor_name) +
                                              "\"; expected caffeine, exercise, stress, magnesium or discomfort");
        DecodeResult r = decode_factor_log(*factor, payload, arrival);
        if (!r.ok()) return reject(topic, r.failure->reason, r.failure->detail);
        for (Reading& reading : r.readings) {
            const FactorLog& log = std::get<FactorLog>(reading);
            // Only logs with their own "ts" can be recognised as re-deliveries; "now" logs differ by arrival.
            if (log.t != arrival) {
                LogKey key{sleeper, log.factor, log.t, log.amount, log.note};
                for (const LogKey& k : recent_logs)
                    if (k == key)
                        return reject(topic, "duplicate", "a " + std::string(to_string(log.factor)) +
                                                              " log with the same ts, amount and note was already taken");
                recent_logs.push_back(std::move(key));
                if (recent_logs.size() > LOG_MEMORY) recent_logs.pop_front();
            }
            feed(sleeper, SIZE_MAX, arrival, std::move(reading), out);
        }
        return std::nullopt;
    }

    // `<base>/<sleeper>/set/<name>`: a Home Assistant control (switch, select, number). Sets
    // `matched` when the topic has that form. A retained command is refused: left on the broker,
    // it would replay on every reconnect and undo what the person changed since.
    std::optional<Rejection> on_setting(std::string_view topic, std::string_view payload, bool retained,
                                        UnixS arrival, std::vector<Publication>& out, bool& matched) {
        matched = false;
        std::string_view sleeper_id, name;
        if (!split_sleeper_topic(topic, "/set/", sleeper_id, name)) return std::nullopt;
        matched = true;
        const auto mine = std::find_if(params.sleepers.begin(), params.sleepers.end(),
                                       [&](const SleeperParams& s) { return s.id == sleeper_id; });
        if (mine == params.sleepers.end()) {
            if (std::find(other_shards.begin(), other_shards.end(), sleeper_id) != other_shards.end())
                return std::nullopt;  // another instance's sleeper: its shard takes the command
            return reject(topic, "topic", "setting topic names sleeper \"" + std::string(sleeper_id) +
                                              "\", which is not configured");
        }
        const auto sleeper = static_cast<std::size_t>(mine - params.sleepers.begin());
        ha::SettingCommandResult r =
            ha::apply_setting_command(plugin.winddown_settings(sleeper), name, payload, retained);
        if (!r.settings) return reject(topic, std::move(r.reason), std::move(r.error));
        outs.clear();
        plugin.set_winddown_settings(sleeper, *r.settings, outs);
        for (const Output& o : outs) renderer.render(o, arrival, out);
        return std::nullopt;
    }

    // A light's state or a pause switch for the wind-down: ON/OFF text or a JSON state object
    // (zigbee2mqtt, Tasmota, Shelly), decoded by the lights decoders. Keeps the first refusal.
    void feed_winddown(const std::vector<WinddownRoute>& targets, std::string_view payload, UnixS arrival,
                       std::vector<Publication>& out, std::optional<DecodeFailure>& first) {
        SensorSpec spec;
        spec.kind = SensorKind::lights;
        const std::size_t brace = payload.find_first_not_of(" \t\r\n");
        spec.format = brace != std::string_view::npos && payload[brace] == '{' ? "json" : "plain";
        DecodeResult res = decode_payload(spec, payload, arrival);
        if (!res.ok()) {
            if (!first) first = std::move(res.failure);
            return;
        }
        for (const WinddownRoute& r : targets)
            for (const Reading& reading : res.readings) {
                Input in{r.sleeper, SIZE_MAX, arrival, reading};
                in.winddown_light = r.light;
                in.winddown_pause = r.light == SIZE_MAX;
                outs.clear();
                plugin.on_input(in, outs);
                for (const Output& o : outs) renderer.render(o, arrival, out);
            }
    }

    MqttOptions mqtt;
    std::vector<std::string> other_shards;  // ids of configured sleepers handled by other instances
    PluginParams params;
    std::string base;
    Plugin plugin;
    mutable Renderer renderer;  // holds only the Shelly RPC request counter as state
    std::unordered_map<std::string, std::vector<Route>> routes;
    std::unordered_map<std::string, std::vector<WinddownRoute>> winddown_routes;
    std::vector<std::string> topics;             // sensor topics in configuration order
    std::vector<std::vector<double>> last_t;     // last processed sample time per (sleeper, sensor)
    std::deque<LogKey> recent_logs;
    RejectCounters rejects;
    std::vector<Output> outs;
};

Pipeline::Pipeline(const MqttOptions& mqtt, const PluginParams& params, const Zone& zone, History& history)
    : impl_(std::make_unique<Impl>(mqtt, params, zone, history)) {}

Pipeline::~Pipeline() = default;

std::vector<std::string> Pipeline::subscriptions() const {
    std::vector<std::string> subs = impl_->topics;
    subs.push_back(impl_->base + "/+/log/+");
    subs.push_back(impl_->base + "/+/set/+");
    // In a shared subscription the broker hands each message to one member of the group.
    if (const std::string& group = impl_->mqtt.shared_group; !group.empty())
        for (std::string& s : subs) s = "$share/" + group + "/" + s;
    return subs;
}

std::optional<Rejection> Pipeline::on_message(std::string_view topic, std::string_view payload, UnixS arrival,
                                              std::vector<Publication>& out, bool retained) {
    Impl& m = *impl_;
    // The cap comes before any parsing so that an oversized message costs nothing but its count.
    if (payload.size() > m.mqtt.max_payload_bytes)
        return m.reject(topic, "too_large",
                        "payload of " + std::to_string(payload.size()) + " bytes exceeds mqtt max_payload_bytes " +
                            std::to_string(m.mqtt.max_payload_bytes));

    const auto it = m.routes.find(std::string(topic));
    const auto wd = m.winddown_routes.find(std::string(topic));
    if (it == m.routes.end() && wd == m.winddown_routes.end()) {
        bool matched = false;
        auto rej = m.on_log(topic, payload, arrival, out, matched);
        if (matched) return rej;
        rej = m.on_setting(topic, payload, retained, arrival, out, matched);
        if (matched) return rej;
        return m.reject(topic, "topic", "no sensor, log or setting topic is configured for this topic");
    }
    // A topic shared by several sensors (one light for two sleepers) is decoded for each; the
    // message counts as one rejection, the first refusal, however many sensors refused it.
    std::optional<DecodeFailure> first;
    static const std::vector<Route> NO_SENSORS;
    for (const Route& r : it == m.routes.end() ? NO_SENSORS : it->second) {
        const SensorSpec& spec = m.params.sleepers[r.sleeper].sensors[r.sensor];
        DecodeResult res = decode_payload(spec, payload, arrival);
        if (!res.ok()) {
            if (!first) first = std::move(res.failure);
            continue;
        }
        for (Reading& reading : res.readings) {
            if (!m.dedupe(r, reading)) {
                if (!first)
                    first = DecodeFailure{"duplicate", std::string(to_string(spec.kind)) +
                                                           " batch lies entirely at or before the last processed "
                                                           "sample of this sensor"};
                continue;
            }
            m.feed(r.sleeper, r.sensor, arrival, std::move(reading), out);
        }
    }
    if (wd != m.winddown_routes.end()) m.feed_winddown(wd->second, payload, arrival, out, first);
    if (first) return m.reject(topic, std::move(first->reason), std::move(first->detail));
    return std::nullopt;
}

void Pipeline::on_time(UnixS now, std::vector<Publication>& out) {
    Impl& m = *impl_;
    m.outs.clear();
    m.plugin.on_time(now, m.outs);
    for (const Output& o : m.outs) m.renderer.render(o, now, out);
}

UnixS Pipeline::next_wakeup() const { return impl_->plugin.next_wakeup(); }

void Pipeline::retained(UnixS now, std::vector<Publication>& out) const {
    std::vector<Output> outs;
    impl_->plugin.retained(outs);
    for (const Output& o : outs) impl_->renderer.render(o, now, out);
}

void Pipeline::checkpoint() { impl_->plugin.checkpoint(); }

const RejectCounters& Pipeline::rejects() const { return impl_->rejects; }

Plugin& Pipeline::plugin() { return impl_->plugin; }

std::string diagnostics_payload(const DaemonCounters& c, const RejectCounters& rejects, UnixS ts) {
    JsonWriter w;
    w.begin_object();
    w.key("ts").number(ts, 3);
    w.key("uptime_s").number(c.uptime_s, 0);
    w.key("messages_in").value(c.messages_in);
    w.key("messages_out").value(c.messages_out);
    w.key("connects").value(c.connects);
    w.key("reconnects").value(c.connects > 0 ? c.connects - 1 : std::uint64_t{0});
    w.key("connections_lost").value(c.connections_lost);
    w.key("connect_failures").value(c.connect_failures);
    w.key("dropped_oversize").value(c.dropped_oversize);
    w.key("dropped_queue_full").value(c.dropped_queue_full);
    w.key("rejected_total").value(rejects.total);
    w.key("rejects").begin_object();
    // The map is ordered by (topic, reason), so each topic's reasons are adjacent.
    std::string_view open_topic;
    bool any = false;
    for (const auto& [key, n] : rejects.by_topic_reason) {
        if (!any || key.first != open_topic) {
            if (any) w.end_object();
            w.key(key.first).begin_object();
            open_topic = key.first;
            any = true;
        }
        w.key(key.second).value(n);
    }
    if (any) w.end_object();
    w.end_object();
    w.end_object();
    return w.take();
}

}  // namespace hypnic
