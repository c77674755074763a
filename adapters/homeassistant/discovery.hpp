// Home Assistant MQTT discovery for hypnic: device-based (one retained config per sleeper) with a
// per-entity fallback, removal of what is no longer configured, and migration between the forms.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/homeassistant/entities.hpp"
#include "adapters/options.hpp"
#include "plugin/params.hpp"
#include "plugin/types.hpp"

namespace hypnic::ha {

/// The project's support URL, announced as the origin's `url`. Placeholder until the project has
/// its public home; the only place it is spelled.
inline constexpr std::string_view SUPPORT_URL = "https://github.com/hypnic/hypnic";
inline constexpr std::string_view MANUFACTURER = "hypnic";
inline constexpr std::string_view MODEL = "Sleep-onset twitch tracker";
/// Payload that hands an announced config over to the other discovery form without deleting the
/// entities (Home Assistant 2024.11+ keeps their history and user settings). `migr_discvry` is the
/// documented abbreviation of `migrate_discovery`.
inline constexpr std::string_view MIGRATE_PAYLOAD = R"({"migr_discvry":true})";

/// One sleeper as Home Assistant sees it.
struct DiscoverySleeper {
    std::string id;    ///< [a-z0-9_-]+ (the contract's sleeper id); object ids become hypnic_<id>
    std::string name;  ///< display name; the device is called "hypnic <name>"
    /// How long after out_of_bed the twitch-heavy trigger still matches the retained night, s.
    /// The night closes bathroom_trip_max_min after out_of_bed; an hour more covers delivery.
    double heavy_trigger_window_s = 2 * 3600;
};

/// Everything discovery needs, taken from HomeAssistantOptions and PluginParams.
struct DiscoveryOptions {
    bool enabled = true;                            ///< false: announce nothing, remove what was announced
    std::string discovery_prefix = "homeassistant";
    bool device_discovery = true;                   ///< false: one config per entity (HA before 2024.11)
    std::string base_topic = "hypnic";              ///< `<base>` of the contract's topics
    std::string sw_version;                         ///< hypnicd's version, e.g. "0.1.0"
    int qos = 1;                                    ///< QoS of the discovery publications and of HA's subscriptions
    std::vector<DiscoverySleeper> sleepers;
};

/// Builds the options. `sw_version` is hypnicd's version (known only to app/).
DiscoveryOptions make_discovery_options(const HomeAssistantOptions& ha, const PluginParams& params,
                                        std::string sw_version);

/// One config hypnic announced earlier (persisted by the daemon between runs, see
/// announced_to_json). In device form one row per component inside the device config.
struct AnnouncedEntity {
    std::string prefix;     ///< discovery prefix it was announced under
    std::string sleeper;    ///< sleeper id
    Platform platform = Platform::sensor;
    std::string object_id;  ///< row of the entity table
    bool device_form = true;  ///< inside `<prefix>/device/hypnic_<sleeper>/config`, else its own topic
    bool operator==(const AnnouncedEntity&) const = default;
};

/// What to publish now, in order, and what is announced afterwards.
struct DiscoveryPlan {
    /// Migration hand-overs, configs, then removals (empty retained payloads). All retained.
    std::vector<Publication> publications;
    /// What is announced once `publications` went out: persist it and pass it back next time.
    std::vector<AnnouncedEntity> announced;
    /// Problems with the options or the previous announcements, each naming what, where and why.
    /// The sleepers and rows concerned are skipped; everything else is still planned.
    std::vector<std::string> errors;
};

/// Plans discovery at time `now_s` (stamped on the publications):
/// - device form: `<prefix>/device/hypnic_<sleeper>/config` with `dev`, `o`, shared availability
///   (`<base>/status`, online/offline) and `qos` at the root and every table row under `cmps`;
///   rows announced before but no longer in the table are sent as `{"p": <platform>}` (removal);
/// - per-entity form: `<prefix>/<platform>/hypnic_<sleeper>/<object_id>/config` each;
/// - sleepers (or rows) in `previous` that are no longer configured get an empty retained payload;
/// - a sleeper announced in the other form first gets MIGRATE_PAYLOAD on its old topics, then the
///   new config, then the old topics are cleared.
/// Call it on every connect and whenever Home Assistant says `online` (with the last `announced`).
DiscoveryPlan plan_discovery(const DiscoveryOptions& options, const std::vector<AnnouncedEntity>& previous,
                             double now_s);

/// The discovery topic of one row in per-entity form.
std::string entity_config_topic(std::string_view prefix, Platform p, std::string_view sleeper,
                                std::string_view object_id);
/// The device-based discovery topic of a sleeper.
std::string device_config_topic(std::string_view prefix, std::string_view sleeper);

/// True for a valid id of the contract (`[a-z0-9_-]+`, at most 64 characters).
bool is_valid_sleeper_id(std::string_view id);
/// True for a topic prefix without wildcards, empty levels or control characters.
bool is_valid_topic_prefix(std::string_view prefix);

/// Serialises announcements for the state store: a JSON array of
/// `{"prefix":..,"sleeper":..,"platform":..,"object_id":..,"device":bool}`.
std::string announced_to_json(const std::vector<AnnouncedEntity>& announced);

struct AnnouncedParse {
    std::vector<AnnouncedEntity> announced;  ///< every well-formed entry
    std::vector<std::string> errors;         ///< one per rejected entry (or one for unreadable text)
};
/// Reads announced_to_json's output back. Never throws; malformed entries are skipped with an error
/// naming the entry's index and the problem. Text longer than `max_bytes` is rejected whole.
AnnouncedParse parse_announced(std::string_view json, std::size_t max_bytes = 1 << 20);

}  // namespace hypnic::ha
