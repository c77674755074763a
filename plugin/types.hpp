// The values that flow through hypnic: decoded sensor readings in, detections and publications out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "plugin/time.hpp"

namespace hypnic {

// ---------------------------------------------------------------------------------------------
// Closed vocabularies (their spellings are part of the public contract).

enum class Phase { out_of_bed, awake_in_bed, settling, asleep, waking };
enum class MovementType { twitch, limb_movement, large_movement, plm_series };
enum class Factor { caffeine, exercise, stress, magnesium, discomfort };
enum class Stage { caffeine_cutoff, exercise_cutoff, dim_lights, relax, lights_out, caffeine_reminder, exercise_reminder };

std::string_view to_string(Phase p);
std::string_view to_string(MovementType t);
std::string_view to_string(Factor f);
std::string_view to_string(Stage s);
std::optional<Phase> phase_from_string(std::string_view s);
std::optional<MovementType> movement_type_from_string(std::string_view s);
std::optional<Factor> factor_from_string(std::string_view s);
std::optional<Stage> stage_from_string(std::string_view s);

inline constexpr std::array<Factor, 5> ALL_FACTORS = {Factor::caffeine, Factor::exercise, Factor::stress,
                                                      Factor::magnesium, Factor::discomfort};

// ---------------------------------------------------------------------------------------------
// Decoded readings (what a decoder makes of one MQTT payload). Units are in the names.

/// Raw accelerometer batch, samples evenly spaced at `hz`, first one at `t0`, in g.
struct AccelBatch {
    UnixS t0 = 0;
    double hz = 0;
    std::vector<std::array<float, 3>> xyz_g;
};

/// One-channel raw batch (piezo, load cell, pressure), any unit.
struct ScalarBatch {
    UnixS t0 = 0;
    double hz = 0;
    std::vector<float> v;
};

/// A coarse vibration report (e.g. Aqara DJT11LM: at most one a minute).
struct VibrationReport {
    UnixS t = 0;
    double strength = 0;  ///< device units; 0 when the device gave none
};

/// Epoch activity counts: counts[i] covers [t0 + i*epoch_s, t0 + (i+1)*epoch_s).
struct ActivityEpochs {
    UnixS t0 = 0;
    double epoch_s = 60;
    std::vector<double> counts;
};

/// Bed occupancy changed (or was re-stated).
struct PresenceReading {
    UnixS t = 0;
    bool in_bed = false;
};

/// Bedroom light state.
struct LightReading {
    UnixS t = 0;
    bool on = false;
    std::optional<double> brightness_pct;  ///< 0..100 where the payload says
};

/// A Sleep as Android event ("sleep_tracking_started", "awake", ...).
struct SleepAppEvent {
    UnixS t = 0;
    std::string event;
};

/// An evening factor: logged by hand or derived from a smart-home source.
struct FactorLog {
    UnixS t = 0;
    Factor factor = Factor::caffeine;
    double amount = 1;  ///< caffeine mg, exercise minutes, stress 0..10, magnesium mg, discomfort 0..10; 1 = "yes"
    std::string note;
    std::string source;  ///< "log" for the built-in topics, else the sensor's topic
};

/// A numeric value from a smart-home source (plug power, step count, HRV, ...); the core turns
/// it into factor logs by the source's rule, or a mask (an actuator shaking the bed) on/off.
struct SourceValue {
    UnixS t = 0;
    double value = 0;
};

using Reading = std::variant<AccelBatch, ScalarBatch, VibrationReport, ActivityEpochs, PresenceReading,
                             LightReading, SleepAppEvent, FactorLog, SourceValue>;

/// A reading addressed to one sleeper's sensor (indices into the configured lists).
struct Input {
    std::size_t sleeper = 0;
    std::size_t sensor = 0;  ///< index into SleeperParams::sensors; SIZE_MAX for built-in log topics
    UnixS arrival = 0;
    Reading reading;
    /// Wind-down routing (sensor is SIZE_MAX then): the index into WinddownParams::lights whose state
    /// topic carried this LightReading (manual-override detection); SIZE_MAX for everything else.
    std::size_t winddown_light = SIZE_MAX;
    /// True for the on/off LightReading of the wind-down's pause topic (on = paused).
    bool winddown_pause = false;
};

// ---------------------------------------------------------------------------------------------
// Detections and publications (typed; adapters render them to topics and JSON).

/// One detected movement (`<base>/<sleeper>/event`).
struct MovementEvent {
    MovementType type = MovementType::twitch;
    UnixS start = 0;
    double duration_s = 0;
    double peak_g = 0;  ///< peak of the high-passed magnitude envelope, g (device units for scalar sensors)
    Phase phase = Phase::out_of_bed;
    bool onset_window = false;
    int count = 0;      ///< plm_series only: number of limb movements in the series
    UnixS end = 0;      ///< plm_series only: end of the last movement
    bool gravity_shift = false;
};

struct TonightCounts {
    int onset_twitches = 0;
    int twitches = 0;
    int limb_movements = 0;
    int large_movements = 0;
};

/// Live state (`<base>/<sleeper>/state`, retained).
struct LiveState {
    Phase phase = Phase::out_of_bed;
    UnixS since = 0;
    TonightCounts tonight;
};

/// Robust summary of recent nights used for the twitch-heavy verdict.
struct Baseline {
    int nights = 0;                  ///< nights the statistics are over (0: absolute defaults in use)
    double onset_twitches_median = 0;
    double onset_twitches_mad = 0;
    double twitch_index_median = 0;
    double twitch_index_mad = 0;
    double threshold = 0;            ///< onset twitches at or above which a night is heavy
};

/// What the evening held for one factor.
struct FactorSummary {
    Factor factor = Factor::caffeine;
    int count = 0;
    double amount = 0;                  ///< summed
    std::optional<UnixS> last;          ///< the latest log before bed
    std::optional<double> hours_before_bed;  ///< from the latest log to in-bed (or lights-out)
    bool late = false;                  ///< inside the factor's critical window before bed
};

/// The closed night (`<base>/<sleeper>/night`, retained).
struct NightSummary {
    std::string night;  ///< local date of the evening, "2026-11-25"
    std::optional<UnixS> in_bed, lights_out, sleep_onset, out_of_bed;
    std::optional<double> onset_latency_min;
    int onset_twitches = 0;
    int twitches = 0;
    double twitch_index = 0;  ///< twitches per hour asleep
    int limb_movements = 0;
    int plm_series = 0;
    double plm_index = 0;  ///< PLMs in sleep per hour asleep
    double plm_periodicity = 0;
    int large_movements = 0;
    bool twitch_heavy = false;
    std::string heavy_reason;
    Baseline baseline;
    std::vector<FactorSummary> factors;
    std::string sensor_resolution;  ///< "raw 50 Hz accel", "epochs 60 s", "coarse vibration (≤1/min)"
    double coverage = 0;            ///< share of the in-bed time with sensor data, 0..1
    double asleep_h = 0;            ///< hours asleep used for the indices
};

/// One line of evidence behind an advice item.
using EvidenceValue = std::variant<bool, std::int64_t, double, std::string>;
struct Evidence {
    std::string key;
    EvidenceValue value;
};

struct AdviceItem {
    std::string id;  ///< caffeine, exercise, stress, magnesium, mattress, consult_doctor, reassurance, routine
    int priority = 1;
    std::string text;
    std::vector<Evidence> evidence;
};

/// `<base>/<sleeper>/advice`, retained.
struct Advice {
    UnixS generated = 0;
    int nights = 0;
    std::vector<AdviceItem> items;
};

/// `<base>/<sleeper>/winddown` (non-retained trigger).
struct WinddownTrigger {
    Stage stage = Stage::relax;
    UnixS at = 0;
    UnixS bedtime = 0;
    bool after_heavy_night = false;
    std::string reason;
    std::vector<Evidence> extra;  ///< stage-specific fields, e.g. dim_to_pct, fade_min
};

/// `<base>/<sleeper>/winddown/next` (retained).
struct WinddownNext {
    Stage stage = Stage::relax;
    UnixS at = 0;
};

/// Wind-down settings a person may change at run time (Home Assistant controls, `set/` topics).
/// They override the configured plan, persist in History and are published retained on
/// `<base>/<sleeper>/settings`.
struct WinddownSettings {
    bool winddown = true;              ///< wind-down triggers and light commands on
    std::string profile = "adaptive";  ///< adaptive | standard | extended | reminders_only
    double caffeine_cutoff_h = 8;      ///< hours before bedtime
};

/// A command for one configured light (rendered per protocol by adapters).
struct LightCommand {
    std::size_t light = 0;  ///< index into WinddownParams::lights
    bool on = true;
    std::optional<double> brightness_pct;  ///< 0..100
    std::optional<int> color_temp_k;
    double transition_s = 0;
};

/// Everything the core can ask the edges to publish for a sleeper.
using OutputBody = std::variant<MovementEvent, LiveState, NightSummary, Advice, WinddownTrigger, WinddownNext,
                                LightCommand, WinddownSettings>;
struct Output {
    std::size_t sleeper = 0;
    OutputBody body;
};

/// A rendered MQTT publication (also one line of `replay` output).
struct Publication {
    UnixS ts = 0;
    std::string topic;
    std::string payload;
    bool retain = false;
    int qos = 1;
};

}  // namespace hypnic
