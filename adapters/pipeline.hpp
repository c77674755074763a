// MQTT message → decoder → Plugin → rendered publications: the one path shared by `run` and `replay`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/options.hpp"
#include "plugin/plugin.hpp"

namespace hypnic {

/// Rejected-message counters, per topic and reason ("json", "range", "too_large", "duplicate", ...).
struct RejectCounters {
    std::map<std::pair<std::string, std::string>, std::uint64_t> by_topic_reason;
    std::uint64_t total = 0;
};

/// A rejected message, for rate-limited logging by the caller.
struct Rejection {
    std::string topic;
    std::string reason;   ///< short code
    std::string detail;   ///< human-readable: what, where, why
};

/// FNV-1a 64 (offset basis 14695981039346656037, prime 1099511628211) over the bytes of `id`: the
/// stable hash behind `shard: "i/n"`, the same on every machine and release (docs/scale.md).
std::uint64_t shard_hash(std::string_view id);
/// True when the instance configured with `shard` handles the sleeper `id`: shard_hash(id) % count == index.
bool in_shard(std::string_view id, const ShardOptions& shard);

class Pipeline {
public:
    /// Only the sleepers of `mqtt.shard` are handled (subscribed, fed, published); the others are
    /// left to the other instances, and their log topics are ignored without a rejection.
    Pipeline(const MqttOptions& mqtt, const PluginParams& params, const Zone& zone, History& history);
    ~Pipeline();

    /// Topic filters to subscribe to (sensor topics, built-in log topics `<base>/+/log/+` and the
    /// Home Assistant controls `<base>/+/set/+`), each as
    /// `$share/<group>/<filter>` when mqtt.shared_group is set.
    std::vector<std::string> subscriptions() const;
    /// One incoming message. Appends rendered publications; returns a rejection when the payload
    /// was refused (nothing else happens then). `retained`: the broker delivered it as a retained
    /// message (a command on `<base>/<sleeper>/set/<name>` is then refused, reason "retained").
    std::optional<Rejection> on_message(std::string_view topic, std::string_view payload, UnixS arrival,
                                        std::vector<Publication>& out, bool retained = false);
    /// Clock tick.
    void on_time(UnixS now, std::vector<Publication>& out);
    UnixS next_wakeup() const;
    /// Every retained publication of the current state (after a (re)connect).
    void retained(UnixS now, std::vector<Publication>& out) const;
    void checkpoint();
    const RejectCounters& rejects() const;
    Plugin& plugin();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// What the live daemon counts about its own traffic, for `<base>/diagnostics`. Every counter only
/// grows for the life of the process.
struct DaemonCounters {
    double uptime_s = 0;                   ///< seconds since the daemon started
    std::uint64_t messages_in = 0;         ///< messages received from the broker (after the size cap)
    std::uint64_t messages_out = 0;        ///< publications handed to the MQTT client
    std::uint64_t connects = 0;            ///< successful connects, the first one included
    std::uint64_t connections_lost = 0;
    std::uint64_t connect_failures = 0;
    std::uint64_t dropped_oversize = 0;    ///< payloads over mqtt.max_payload_bytes, never parsed
    std::uint64_t dropped_queue_full = 0;  ///< publications lost to the bounded queue while disconnected
};

/// The JSON payload of `<base>/diagnostics` (docs/reliability.md): the counters above, `reconnects`
/// (= connects - 1, never negative), `rejected_total` and `rejects` as
/// {"<topic>": {"<reason>": count}} from `rejects`, and `ts` (Unix seconds, 3 decimals).
std::string diagnostics_payload(const DaemonCounters& c, const RejectCounters& rejects, UnixS ts);

}  // namespace hypnic
