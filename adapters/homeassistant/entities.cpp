// The entity table: one row per Home Assistant entity or device trigger of a sleeper.
#include "adapters/homeassistant/entities.hpp"

#include <utility>

#include "plugin/types.hpp"

namespace hypnic::ha {

namespace {

constexpr std::array<std::string_view, 8> PLATFORMS = {"sensor", "binary_sensor", "event",  "device_automation",
                                                       "button", "switch",        "select", "number"};

// A row under construction. Each setter names one option, so a row reads like the discovery
// payload it becomes; aggregate initialisation would need every field spelled out.
class Row {
public:
    Row(Platform p, std::string object_id, std::string name) {
        spec_.platform = p;
        spec_.object_id = std::move(object_id);
        spec_.name = std::move(name);
    }
    Row& device_class(std::string v) { return set(spec_.device_class, std::move(v)); }
    Row& state_class(std::string v) { return set(spec_.state_class, std::move(v)); }
    Row& unit(std::string v) { return set(spec_.unit, std::move(v)); }
    Row& precision(int decimals) {
        spec_.display_precision = decimals;
        return *this;
    }
    Row& icon(std::string v) { return set(spec_.icon, std::move(v)); }
    Row& category(std::string v) { return set(spec_.entity_category, std::move(v)); }
    Row& state(Source s, std::string value_template) {
        spec_.state_source = s;
        spec_.value_template = std::move(value_template);
        return *this;
    }
    Row& attributes(Source s, std::string attributes_template = {}) {
        spec_.attributes_source = s;
        spec_.attributes_template = std::move(attributes_template);
        return *this;
    }
    Row& options(std::vector<std::string> v) {
        spec_.options = std::move(v);
        return *this;
    }
    Row& event_types(std::vector<std::string> v) {
        spec_.event_types = std::move(v);
        return *this;
    }
    Row& command(std::string suffix) { return set(spec_.command_suffix, std::move(suffix)); }
    Row& payload_press(std::string v) {
        spec_.payload_press = std::move(v);
        return *this;
    }
    Row& payloads_on_off(std::string on, std::string off) {
        spec_.payload_on = std::move(on);
        spec_.payload_off = std::move(off);
        return *this;
    }
    Row& range(double min, double max, double step) {
        spec_.min = min;
        spec_.max = max;
        spec_.step = step;
        return *this;
    }
    Row& trigger(std::string type, std::string subtype, std::string payload) {
        spec_.trigger_type = std::move(type);
        spec_.trigger_subtype = std::move(subtype);
        spec_.trigger_payload = std::move(payload);
        return *this;
    }
    EntitySpec take() { return std::move(spec_); }

private:
    Row& set(std::string& field, std::string v) {
        field = std::move(v);
        return *this;
    }
    EntitySpec spec_;
};

template <typename E, std::size_t N>
std::vector<std::string> spellings(const std::array<E, N>& values) {
    std::vector<std::string> out;
    for (E v : values) out.emplace_back(to_string(v));
    return out;
}

std::vector<std::string> phases() {
    return spellings(std::array{Phase::out_of_bed, Phase::awake_in_bed, Phase::settling, Phase::asleep, Phase::waking});
}
std::vector<std::string> movement_types() {
    return spellings(std::array{MovementType::twitch, MovementType::limb_movement, MovementType::large_movement,
                                MovementType::plm_series});
}
constexpr std::array ALL_STAGES = {Stage::caffeine_cutoff,   Stage::exercise_cutoff, Stage::dim_lights,
                                   Stage::relax,             Stage::lights_out,      Stage::caffeine_reminder,
                                   Stage::exercise_reminder};

std::string factor_label(Factor f) {
    switch (f) {
        case Factor::caffeine: return "caffeine";
        case Factor::exercise: return "exercise";
        case Factor::stress: return "stress";
        case Factor::magnesium: return "magnesium";
        case Factor::discomfort: return "leg discomfort";
    }
    return std::string(to_string(f));
}

std::string factor_icon(Factor f) {
    switch (f) {
        case Factor::caffeine: return "mdi:coffee";
        case Factor::exercise: return "mdi:dumbbell";
        case Factor::stress: return "mdi:emoticon-sad-outline";
        case Factor::magnesium: return "mdi:pill";
        case Factor::discomfort: return "mdi:foot-print";
    }
    return {};
}

std::vector<EntitySpec> build_table() {
    std::vector<EntitySpec> t;
    auto add = [&t](Row& r) { t.push_back(r.take()); };
    using P = Platform;

    // Last night (the retained night summary). Optional fields go through default(None): Home
    // Assistant shows "None" as unknown instead of failing on a missing key.
    add(Row(P::sensor, "onset_twitches", "Onset twitches (last night)")
            .state_class("measurement")
            .icon("mdi:vibrate")
            .state(Source::night, "{{ value_json.onset_twitches }}"));
    add(Row(P::sensor, "twitch_index", "Twitch index (last night)")
            .state_class("measurement")
            .unit("/h")
            .precision(1)
            .icon("mdi:chart-line")
            .state(Source::night, "{{ value_json.twitch_index }}"));
    add(Row(P::sensor, "plm_index", "PLM index (last night)")
            .state_class("measurement")
            .unit("/h")
            .precision(1)
            .icon("mdi:walk")
            .state(Source::night, "{{ value_json.plm_index }}"));
    add(Row(P::sensor, "onset_latency", "Onset latency (last night)")
            .device_class("duration")
            .state_class("measurement")
            .unit("min")
            .precision(1)
            .state(Source::night, "{{ value_json.onset_latency_min | default(None) }}"));
    add(Row(P::sensor, "sleep_onset", "Sleep onset (last night)")
            .device_class("timestamp")
            .icon("mdi:sleep")
            .state(Source::night, "{{ value_json.sleep_onset | default(None) }}"));
    add(Row(P::binary_sensor, "twitch_heavy", "Twitch-heavy night")
            .device_class("problem")
            .state(Source::night, "{{ 'ON' if value_json.twitch_heavy else 'OFF' }}")
            .attributes(Source::night,
                        "{{ {'night': value_json.night, 'reason': value_json.heavy_reason | default('')} | to_json }}"));

    // Tonight (the retained live state, at most once a second).
    add(Row(P::sensor, "phase", "Phase")
            .device_class("enum")
            .options(phases())
            .icon("mdi:bed")
            .state(Source::state, "{{ value_json.phase }}"));
    add(Row(P::binary_sensor, "in_bed", "In bed")
            .device_class("occupancy")
            .state(Source::state, "{{ 'OFF' if value_json.phase == 'out_of_bed' else 'ON' }}"));
    // total_increasing: the count only grows during a night and its drop to 0 marks a new night.
    add(Row(P::sensor, "twitches_tonight", "Twitches tonight")
            .state_class("total_increasing")
            .icon("mdi:vibrate")
            .state(Source::state, "{{ value_json.tonight.twitches }}"));

    // Advice: the state is the top item's text (cut to Home Assistant's 255-character state limit);
    // the whole advice object, with every item and its evidence, becomes the attributes. `items` is
    // read by subscript because value_json.items would be the dict method.
    add(Row(P::sensor, "advice", "Advice")
            .icon("mdi:lightbulb-on-outline")
            .state(Source::advice,
                   "{% set items = value_json['items'] | default([]) | sort(attribute='priority') %}"
                   "{{ (items | first).text[:255] if items else '' }}")
            .attributes(Source::advice));

    // Wind-down schedule and settings.
    add(Row(P::sensor, "next_winddown", "Next wind-down")
            .device_class("timestamp")
            .icon("mdi:bell-sleep")
            .state(Source::winddown_next, "{{ value_json.at }}")
            .attributes(Source::winddown_next));
    add(Row(P::switch_, "winddown", "Wind-down")
            .icon("mdi:weather-night")
            .state(Source::settings, "{{ 'ON' if value_json.winddown else 'OFF' }}")
            .command("set/winddown")
            .payloads_on_off("ON", "OFF"));
    {
        std::vector<std::string> profiles;
        for (std::string_view p : WINDDOWN_PROFILES) profiles.emplace_back(p);
        add(Row(P::select, "winddown_profile", "Wind-down profile")
                .icon("mdi:tune-variant")
                .category("config")
                .options(std::move(profiles))
                .state(Source::settings, "{{ value_json.winddown_profile }}")
                .command("set/winddown_profile"));
    }
    add(Row(P::number, "caffeine_cutoff", "Caffeine cut-off")
            .device_class("duration")
            .unit("h")
            .icon("mdi:coffee-off-outline")
            .category("config")
            .range(CAFFEINE_CUTOFF_MIN_H, CAFFEINE_CUTOFF_MAX_H, CAFFEINE_CUTOFF_STEP_H)
            .state(Source::settings, "{{ value_json.caffeine_cutoff_h }}")
            .command("set/caffeine_cutoff_h"));

    // Event entities. Home Assistant wants `event_type` in the JSON it reads; hypnic's payloads
    // carry `type` / `stage`, so the template copies the payload and adds event_type.
    add(Row(P::event, "movement", "Movement")
            .device_class("motion")
            .event_types(movement_types())
            .state(Source::event, "{{ dict(value_json, event_type=value_json.type) | to_json }}"));
    add(Row(P::event, "winddown_stage", "Wind-down stage")
            .icon("mdi:weather-night")
            .event_types(spellings(ALL_STAGES))
            .state(Source::winddown, "{{ dict(value_json, event_type=value_json.stage) | to_json }}"));

    // Buttons that log an evening factor now (empty payload on the contract's log topics).
    for (Factor f : ALL_FACTORS) {
        const std::string id(to_string(f));
        add(Row(P::button, "log_" + id, "Log " + factor_label(f))
                .icon(factor_icon(f))
                .command("log/" + id)
                .payload_press(""));
    }

    // Device triggers, so automations can be built in the UI: one per wind-down stage (the topic
    // is not retained, so a trigger fires once per stage) ...
    for (Stage s : ALL_STAGES) {
        const std::string id(to_string(s));
        add(Row(P::device_automation, "trigger_winddown_" + id, "")
                .state(Source::winddown, "{{ value_json.stage }}")
                .trigger("winddown", id, id));
    }
    // ... and one for a twitch-heavy night when it closes. The night topic is retained and Home
    // Assistant's MQTT trigger does not skip retained messages, so a restart of Home Assistant
    // would replay last night's verdict; the template only matches while the night is fresh
    // ({window_s} seconds after out_of_bed, filled in per sleeper).
    add(Row(P::device_automation, "trigger_twitch_heavy_night", "")
            .state(Source::night,
                   "{{ 'twitch_heavy' if value_json.twitch_heavy and "
                   "as_timestamp(now()) - as_timestamp(value_json.out_of_bed | default(None), 0) < {window_s} "
                   "else 'none' }}")
            .trigger("night_closed", "twitch_heavy", "twitch_heavy"));
    return t;
}

}  // namespace

std::string_view to_string(Platform p) { return PLATFORMS[static_cast<std::size_t>(p)]; }

std::optional<Platform> platform_from_string(std::string_view s) {
    for (std::size_t i = 0; i < PLATFORMS.size(); ++i)
        if (PLATFORMS[i] == s) return static_cast<Platform>(i);
    return std::nullopt;
}

bool is_entity(Platform p) { return p != Platform::device_automation; }

std::string_view topic_suffix(Source s) {
    switch (s) {
        case Source::none: return "";
        case Source::state: return "state";
        case Source::event: return "event";
        case Source::night: return "night";
        case Source::advice: return "advice";
        case Source::winddown: return "winddown";
        case Source::winddown_next: return "winddown/next";
        case Source::settings: return "settings";
    }
    return "";
}

const std::vector<EntitySpec>& entity_table() {
    static const std::vector<EntitySpec> table = build_table();
    return table;
}

std::string sleeper_topic(std::string_view base, std::string_view sleeper, std::string_view suffix) {
    std::string t;
    t.reserve(base.size() + sleeper.size() + suffix.size() + 2);
    t.append(base).append("/").append(sleeper).append("/").append(suffix);
    return t;
}

std::string setting_command_topic(std::string_view base, std::string_view sleeper, std::string_view name) {
    return sleeper_topic(base, sleeper, std::string("set/").append(name));
}

}  // namespace hypnic::ha
