// Deterministic synthetic nights: a bed accelerometer's raw stream, presence, lights, evening logs and the truth.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::sim {

/// Which evening habit makes a night twitch-heavy (and how often PLM series appear).
/// plm_frequent: dense PLM series (an index of about 15/h or more) on every night, never a heavy one.
enum class Profile { none, caffeine, stress, exercise, plm, mixed, plm_frequent };
std::string_view to_string(Profile p);
std::optional<Profile> profile_from_string(std::string_view s);

/// What to simulate. Everything is drawn from std::mt19937_64 seeded with `seed`: the same
/// parameters give the same nights, sample for sample.
struct SimParams {
    int nights = 1;
    std::uint64_t seed = 1;
    double hz = 50;             ///< bed sensor sample rate, Hz (1..1000)
    double noise_g = 0.002;     ///< sensor noise per axis, g RMS
    bool partner = false;       ///< a second sleeper shares the bed: bleed into this sensor + their own sensor
    LocalDate start_date{std::chrono::year{2026}, std::chrono::month{11}, std::chrono::day{25}};  ///< first evening
    Profile profile = Profile::mixed;
    double batch_s = 1;         ///< raw samples per message, s
    double bleed_min = 0.1;     ///< partner movement reaching this sensor, share of its amplitude (lower bound)
    double bleed_max = 0.3;     ///< ...(upper bound; drawn per night)
    // Physical perturbations for robustness checks (1 and 0 leave the nights unchanged, sample for sample).
    double ring_hz_scale = 1;        ///< mattress resonance frequency after a jerk, multiple of the 3–8 Hz default
    double ring_tau_scale = 1;       ///< mattress ringing decay time (inverse damping), multiple of the 0.06–0.11 s default
    double jerk_duration_scale = 1;  ///< muscular impulse of a jerk, multiple of the 0.05–0.25 s default
    double jitter_s = 0;             ///< sampling-time jitter, s RMS: sample i is taken at t0 + i/hz + N(0, jitter_s)
};

/// Where a simulated message goes (app/ maps these to topics).
enum class Channel { accel, partner_accel, presence, light, factor_log };

/// One simulated message, in arrival order.
struct SimMessage {
    UnixS arrival = 0;
    Channel channel = Channel::accel;
    std::variant<AccelBatch, PresenceReading, LightReading, FactorLog> reading;
};

/// A true movement of the simulated sleeper (never the partner's).
struct TrueEvent {
    MovementType type = MovementType::twitch;  ///< twitch | limb_movement | large_movement
    UnixS start = 0;
    double duration_s = 0;   ///< twitch: the muscular impulse only (mattress ringing not included)
    double peak_g = 0;       ///< peak acceleration amplitude of the movement, g
    Phase phase = Phase::asleep;
    bool onset_window = false;  ///< between lights-out and 5 min after sleep onset
    bool gravity_shift = false;
    bool plm = false;           ///< member of a true PLM series
};

/// The truth of one night.
struct TrueNight {
    std::string night;       ///< local date of the evening
    UnixS in_bed = 0;
    UnixS lights_out = 0;
    UnixS sleep_onset = 0;
    UnixS wake = 0;          ///< final awakening
    UnixS out_of_bed = 0;
    std::optional<UnixS> bathroom_out, bathroom_back;
    int onset_twitches = 0;  ///< true twitches from lights-out to 5 min after sleep onset
    int twitches = 0;
    int limb_movements = 0;
    int large_movements = 0;
    int plm_count = 0;       ///< limb movements in sleep that form WASM 2016 series
    double asleep_h = 0;
    double plm_index = 0;    ///< plm_count per hour asleep
    bool twitch_heavy = false;
    std::string heavy_cause;  ///< the habit behind a heavy night ("caffeine", ...), "" otherwise
    std::vector<FactorLog> factors;  ///< the evening's logs (as published)
};

/// Minutes after sleep onset that still count as the onset window in the truth.
inline constexpr double TRUTH_ONSET_WINDOW_AFTER_MIN = 5;

/// Streams simulated nights message by message without holding a night of samples in memory:
/// each night is planned (events, timeline) when its first message is due, and raw samples are
/// generated per batch.
class Simulator {
public:
    Simulator(const SimParams& params, const Zone& zone);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    /// The next message in arrival order; false after the last night.
    bool next(SimMessage& m);
    /// Truth of every night planned since the last call (a night is planned, with all its truth,
    /// before its first message is returned).
    void take_truth(std::vector<TrueEvent>& events, std::vector<TrueNight>& nights);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hypnic::sim
