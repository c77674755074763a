// Plain option structs for the adapters (filled by config/, which must not see Asio or paho).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hypnic {

struct TlsOptions {
    bool enabled = false;
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    bool verify = true;  ///< verify the server certificate and host name
};

/// Static sharding (docs/scale.md): an instance handles only the sleepers whose id hashes to `index`
/// modulo `count` (FNV-1a 64 over the id's bytes); the others are not subscribed. Invariant:
/// 0 <= index < count. The default 0/1 handles every sleeper.
struct ShardOptions {
    unsigned index = 0;
    unsigned count = 1;
};

struct MqttOptions {
    std::string url = "tcp://localhost:1883";  ///< tcp://host:port | ssl://host:port | mqtt:// | mqtts://
    std::string base_topic = "hypnic";
    std::string client_id;        ///< stable id; default "hypnic-<hostname>"
    std::string username;
    std::string password;         ///< resolved from password / password_file / password_env; never logged
    int keepalive_s = 30;
    int qos = 1;                  ///< subscriptions
    bool clean_session = false;   ///< persistent session: the broker queues sensor data while down
    int reconnect_min_s = 1;
    int reconnect_max_s = 60;
    std::size_t max_payload_bytes = 256 * 1024;
    int diagnostics_interval_s = 60;  ///< `<base>/diagnostics` at most this often, seconds; 0: never
    TlsOptions tls;
    /// MQTT 5 shared subscription group: non-empty subscribes `$share/<group>/<filter>` and connects
    /// with MQTT 5 (docs/scale.md). Empty: plain subscriptions over MQTT 3.1.1.
    std::string shared_group;
    ShardOptions shard;  ///< from the top-level `shard: "i/n"` key
};

struct HomeAssistantOptions {
    bool enabled = true;
    std::string discovery_prefix = "homeassistant";
    std::string status_topic = "homeassistant/status";
    bool device_discovery = true;  ///< false: per-entity discovery for Home Assistant older than 2024.11
    double announce_delay_max_s = 5;  ///< random delay before re-announcing after HA's birth message
};

/// The SQLite history (adapters/store, docs/storage.md).
struct StoreOptions {
    std::string path;          ///< database file; empty: <state_dir>/hypnic.db
    int retention_days = 365;  ///< movement events older than this many days are deleted; 0 keeps all
    /// Journal every received message to <state_dir>/journal/ before handling it, so that a crash
    /// (kill -9) loses nothing since the last checkpoint (docs/reliability.md).
    bool journal = true;
    /// fdatasync each journal record: a power cut then loses nothing either, at one disk flush per message.
    bool journal_fsync = false;
};

struct LogOptions {
    std::string level = "info";  ///< trace | debug | info | warn | error
};

/// The live web view of the night report (docs/report.md): GET only, loopback by default.
struct WebOptions {
    bool enabled = false;
    std::string listen = "127.0.0.1";  ///< IP address to bind (IPv4 or IPv6 literal); 0.0.0.0 opens it to the network
    int port = 8099;                   ///< TCP port, 1..65535
    double refresh_s = 30;             ///< how often an open page checks for news, seconds, 2..3600
    /// Peers allowed to connect: IPv4/IPv6 addresses or CIDR ranges ("172.30.32.2", "10.0.0.0/8",
    /// "::1", "fd00::/8"). Empty: any peer. Others are answered 403 Forbidden.
    std::vector<std::string> allow_from;
};

}  // namespace hypnic
