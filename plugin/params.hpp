// Typed, validated parameters of the core. config/ fills them from YAML; defaults live here.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugin/types.hpp"

namespace hypnic {

enum class SensorKind { accel, scalar, vibration, activity, presence, lights, sleep_as_android, source, mask };
std::string_view to_string(SensorKind k);
std::optional<SensorKind> sensor_kind_from_string(std::string_view s);

/// One configured input topic of a sleeper.
struct SensorSpec {
    SensorKind kind = SensorKind::accel;
    std::string topic;
    std::string format = "hypnic";  ///< hypnic | zigbee2mqtt | plain | json | saa | tasmota
    std::string value_pointer;      ///< JSON pointer for json formats ("/state", "/occupancy")
    std::string unit = "g";         ///< accel: g | m/s2
    bool partner = false;           ///< the partner's side of a shared bed: used to reject bleed, never counted
    // kind: source — a smart-home value that becomes a factor log by a rule.
    std::optional<Factor> factor;
    double above = 0;   ///< value strictly above this counts as "on" (source and mask)
    double for_s = 0;   ///< ...once it has stayed on this long (source); 0 = every value above
    double amount = 1;  ///< amount logged per activation (e.g. 80 mg caffeine per coffee)
};

/// Movement detection on raw streams (see docs/detection.md for the physics behind each value).
struct DetectorParams {
    double highpass_hz = 0.5;       ///< removes gravity and breathing
    double envelope_ms = 80;        ///< RMS envelope window
    double noise_window_s = 60;     ///< rolling window of the adaptive noise floor
    double on_k = 6;                ///< on threshold: floor median + on_k * MAD-derived sigma
    double off_k = 3;               ///< off threshold (hysteresis)
    double min_on_g = 0.008;        ///< absolute lower bound of the on threshold, g
    double merge_gap_s = 0.5;       ///< bursts closer than this are one movement
    double twitch_max_s = 0.5;      ///< longer than this is at least a limb movement
    double lm_max_s = 10;           ///< longer than this is a large movement
    double large_min_s = 3;         ///< a movement this long with a gravity shift is a large movement
    double gravity_shift_deg = 3;   ///< posture change: gravity vector turns by at least this
    bool plm_wasm2016 = true;       ///< WASM 2016 (10–90 s); false: AASM 2007 (5–90 s)
    int plm_min_run = 4;            ///< at least this many LMs form a series
    double release_frac = 0.2;      ///< a movement younger than twitch_max_s ends below this share of its peak (cuts mattress ringing)
    double max_movement_s = 120;    ///< continuous activity longer than this is closed and taught to the noise floor (fan, pump)
    /// Mattress ringing learnt from the bed (docs/detection.md, "Ringing of this bed"): the time a
    /// clear impulse's short envelope takes from its peak down to the release level on the bed the
    /// limits were set for, s. Prior before enough impulses are seen, and the reference the learnt
    /// value is compared with: a clear impulse's twitch limit is twitch_max_s × learnt / this (cutting
    /// and merging of limb movements keep twitch_max_s). Twice this, stretched, is the longest fall
    /// from the peak to the release level of a clear impulse that is timed to that level.
    double ring_decay_s = 0.15;
    double ring_scale_max = 1.6;    ///< upper bound of that scale (>= 1; 1 turns the learning off)
    int ring_impulses = 9;          ///< the learnt ringing time is the median over the last this many impulses
};

/// Nights: phases, onset, closing.
struct NightParams {
    std::string sleep_algorithm = "cole-kripke";  ///< cole-kripke | sadeh | oakley (activity input)
    int onset_sleep_min = 5;        ///< Tudor-Locke n: this many consecutive sleep minutes = onset
    int wake_min = 10;              ///< Tudor-Locke m: this many consecutive wake minutes = awake
    double onset_window_after_min = 5;   ///< onset window runs from lights-out to this after sleep onset
    double bathroom_trip_max_min = 20;   ///< out of bed for less than this does not end the night
    double min_in_bed_min = 60;          ///< shorter stays in bed are not nights
    int evening_start_hour = 15;         ///< local times before this belong to the previous evening's night
    double wake_moving_s = 5;            ///< bed sensor: a minute with this many seconds of movement is wake
    double min_minute_coverage = 0.5;    ///< bed sensor: a minute with less raw data (0..1) is missing
    double data_stopped_min = 90;        ///< no data for this long after sleep closes the night
    double bleed_window_s = 0.5;         ///< partner bleed: starts this close (±s) ...
    double bleed_ratio = 2;              ///< ...with a partner peak this many times higher are the partner's
    double onset_twitch_gap_min = 10;    ///< a twitch this soon after the onset window closed moves the onset to it
    double onset_settle_max_min = 60;    ///< ...but only this long after settling began
    double onset_burst_gap_min = 3;      ///< two twitches this close after the onset are a burst of sleep starts: the onset moves to its first (0: off)
    double onset_single_start_min = 5;   ///< a lone twitch this soon after the still onset (inside the onset window) moves the onset to it (0: off)
    int onset_section_min = 0;           ///< bed sensors: onset needs this many minutes from a still one with at most one moving minute (0: off, the onset_sleep_min run alone)
};

/// Twitch-heavy verdict and baseline.
struct HeavyParams {
    int default_onset_twitches = 5;  ///< absolute threshold until enough nights exist
    int min_nights = 5;              ///< nights needed before the personal baseline is used
    int baseline_nights = 28;        ///< window of recent nights for median/MAD
    double k_mad = 2.5;              ///< heavy: above median + k_mad * 1.4826 * MAD
};

enum class LightType { zigbee2mqtt, tasmota, shelly_gen1, shelly_rpc, template_ };
std::string_view to_string(LightType t);
std::optional<LightType> light_type_from_string(std::string_view s);

/// A light the daemon dims directly during `dim_lights`.
struct LightSpec {
    LightType type = LightType::zigbee2mqtt;
    std::string topic;           ///< z2m: zigbee2mqtt/<name>; tasmota: <topic>; shelly: shellies/<id> or <prefix>
    std::string state_topic;     ///< where the light reports its state (manual override detection); derived if empty
    std::string command_topic;   ///< template only
    std::string payload_template;///< template only: {brightness_pct} {brightness_254} {color_temp_k} {mired} {transition_s}
    int channel = 0;             ///< Shelly light index
};

/// Wind-down plan.
struct WinddownParams {
    bool enabled = true;
    std::string bedtime = "22:30";              ///< "HH:MM" or "auto"
    std::array<std::string, 7> bedtime_by_weekday{};  ///< Monday..Sunday overrides ("" = use bedtime)
    std::string auto_earliest = "21:00";
    std::string auto_latest = "00:30";
    double caffeine_cutoff_h = 8;     ///< hours before bedtime
    double exercise_cutoff_h = 3;
    double dim_lights_min = 60;       ///< minutes before bedtime the fade starts
    double fade_min = 30;             ///< fade duration
    double dim_to_pct = 20;
    int warm_color_temp_k = 2200;
    double relax_min = 30;
    double lights_out_min = 0;
    double heavy_extra_caffeine_h = 2;   ///< after a twitch-heavy night: cut-off this much earlier
    double heavy_extra_dim_min = 30;     ///< ...dimming starts this much earlier and lasts longer
    double heavy_extra_relax_min = 15;
    double grace_min = 15;               ///< a stage missed (e.g. while down) fires only within this
    std::vector<LightSpec> lights;
    /// Optional topic whose ON/OFF state (plain, or JSON {"state": ...}) silences the wind-down while
    /// ON (a guest, "someone is home", holidays); "" = none.
    std::string pause_topic;
};

/// Advice from the history of nights and evening factors (docs/advice.md).
struct AdviceParams {
    bool enabled = true;
    int history_nights = 28;  ///< nights the factor comparison looks back over
    int min_nights = 7;       ///< closed nights before any factor advice is given
    int min_each = 3;         ///< nights needed on each side (with and without a factor) to compare them
    double z = 1.96;          ///< normal quantile of the two-sided intervals (1.96: 95 %)
    double min_effect = 0.1;  ///< a factor is advised when the lower bound of its heavy-rate difference exceeds this, 0..1
    double stress_level = 5;  ///< an evening's mean logged stress (0..10) at or above this counts as a stressful evening
    double plm_index_per_h = 15;   ///< doctor hint: PLM index at or above this (per hour asleep)...
    double plm_periodicity = 0.5;  ///< ...with at least this periodicity (0..1)...
    int plm_nights = 3;            ///< ...on at least this many nights (>= 2: never from one night)...
    int plm_window_nights = 7;     ///< ...of the most recent nights
    int discomfort_nights = 2;     ///< doctor hint: discomfort logged on this many twitch-heavy nights (>= 2)
    double mattress_share = 0.5;   ///< large movements dominate a night above this share of its movements (0..1)
    /// Texts of the items in the configured language, by item id (caffeine, exercise, stress, magnesium,
    /// mattress, consult_doctor, reassurance, routine). config/ fills them from config/advice/texts.yaml;
    /// an id without a text is published with an empty text (its evidence still says why).
    std::map<std::string, std::string> texts;
};

struct SleeperParams {
    std::string id;
    std::string name;  ///< display name; defaults to id
    std::vector<SensorSpec> sensors;
    DetectorParams detector;
    NightParams night;
    HeavyParams heavy;
    WinddownParams winddown;
    AdviceParams advice;
};

/// Everything the core needs.
struct PluginParams {
    std::string base_topic = "hypnic";
    std::string language = "en";
    std::vector<SleeperParams> sleepers;
};

}  // namespace hypnic
