// The table of Home Assistant entities hypnic announces for each sleeper, and the topics they use.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypnic::ha {

/// The Home Assistant MQTT platforms hypnic publishes (spelled as Home Assistant spells them).
enum class Platform { sensor, binary_sensor, event, device_automation, button, switch_, select, number };

/// "sensor", "binary_sensor", ..., "switch".
std::string_view to_string(Platform p);
std::optional<Platform> platform_from_string(std::string_view s);
/// False only for device triggers, which are not entities (no unique_id, no availability).
bool is_entity(Platform p);

/// Which of a sleeper's topics an entity reads from. Each maps to `<base>/<sleeper>/<suffix>`.
enum class Source { none, state, event, night, advice, winddown, winddown_next, settings };

/// The topic suffix below `<base>/<sleeper>/` ("state", "winddown/next", ...); "" for none.
std::string_view topic_suffix(Source s);

/// The wind-down profiles the `winddown_profile` select offers (published in the settings JSON).
/// adaptive: the extended plan only after a twitch-heavy night (the default); standard: the same
/// plan every evening; extended: the extended plan every evening; reminders_only: triggers and
/// reminders, no light commands.
inline constexpr std::array<std::string_view, 4> WINDDOWN_PROFILES = {"adaptive", "standard", "extended",
                                                                      "reminders_only"};

/// Bounds of the caffeine cut-off number, hours before bedtime.
inline constexpr double CAFFEINE_CUTOFF_MIN_H = 0;
inline constexpr double CAFFEINE_CUTOFF_MAX_H = 16;
inline constexpr double CAFFEINE_CUTOFF_STEP_H = 0.5;

/// One row of the entity table: everything Home Assistant needs to know about one entity (or one
/// device trigger) of a sleeper, independent of the sleeper and of the discovery form. Empty
/// strings and empty lists mean "not set" and are left out of the payload.
struct EntitySpec {
    Platform platform = Platform::sensor;
    std::string object_id;        ///< [a-z0-9_]+, unique per sleeper; unique_id = hypnic_<sleeper>_<object_id>
    std::string name;             ///< entity name under the device (entities only)
    std::string device_class;
    std::string state_class;      ///< measurement | total_increasing (sensors)
    std::string unit;             ///< unit_of_measurement
    std::optional<int> display_precision;  ///< suggested_display_precision, decimals
    std::string icon;             ///< mdi:...
    std::string entity_category;  ///< "" | config | diagnostic
    Source state_source = Source::none;  ///< state_topic (entities) or topic (device triggers)
    std::string value_template;   ///< Jinja; may contain the placeholder {window_s} (device triggers)
    Source attributes_source = Source::none;  ///< json_attributes_topic
    std::string attributes_template;          ///< json_attributes_template
    std::vector<std::string> options;         ///< enum sensor / select
    std::vector<std::string> event_types;     ///< event
    std::string command_suffix;   ///< command_topic below `<base>/<sleeper>/`, e.g. "log/caffeine"
    std::optional<std::string> payload_press;  ///< button ("" = empty payload)
    std::string payload_on, payload_off;       ///< switch
    std::optional<double> min, max, step;      ///< number
    std::string trigger_type, trigger_subtype, trigger_payload;  ///< device_automation
};

/// The whole table, in announcement order. Built once; the same for every sleeper.
const std::vector<EntitySpec>& entity_table();

/// `<base>/<sleeper>/<suffix>`.
std::string sleeper_topic(std::string_view base, std::string_view sleeper, std::string_view suffix);

/// The command topic of a setting: `<base>/<sleeper>/set/<name>` (name: winddown, winddown_profile,
/// caffeine_cutoff_h). Commands are never retained.
std::string setting_command_topic(std::string_view base, std::string_view sleeper, std::string_view name);

}  // namespace hypnic::ha
