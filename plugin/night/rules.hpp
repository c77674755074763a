// Pure rules of a night: naming, per-minute bed sleep/wake, onset, partner bleed, factors, verdict.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "plugin/detect/detector.hpp"
#include "plugin/params.hpp"
#include "plugin/score/score.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::night {

/// The local date of the evening a night that began at `t` belongs to: the local date of `t`, or
/// the day before when the local time is before `evening_start_hour` (0..23).
LocalDate night_date(UnixS t, const Zone& zone, int evening_start_hour);
/// The instant the evening of `date` starts (local `evening_start_hour`:00).
UnixS evening_start(LocalDate date, const Zone& zone, int evening_start_hour);

/// What the bed sensors saw in one minute of one sleeper's side.
struct BedMinute {
    double moving_s = 0;     ///< summed duration of counted movements that started in the minute, s
    bool large = false;      ///< a large movement started in the minute
    bool limb = false;       ///< a limb (or large) movement started in the minute
    int vibrations = 0;      ///< coarse vibration reports in the minute
    double coverage = 0;     ///< share of the minute with raw samples, 0..1 (max over the sensors)
    bool coarse_only = false;///< only a vibration sensor reports (it sends events, never "quiet")
};

/// The bed-sensor sleep/wake rule: a minute is wake when it holds at least `wake_moving_s` seconds
/// of movement, any large movement, or any coarse vibration report, and, while not yet asleep
/// (`strict`), any limb movement at all; missing when raw coverage is below `min_minute_coverage`
/// (and no vibration sensor vouches for it); otherwise sleep. Twitches never make a minute wake:
/// they are sleep starts themselves.
score::State bed_minute_state(const BedMinute& m, const NightParams& p, bool strict = false);

/// Tudor-Locke onset: the first index >= from that starts `n` consecutive sleep states (a missing
/// state breaks a run). nullopt when there is none yet.
std::optional<std::size_t> find_run(const std::vector<score::State>& states, std::size_t from, int n,
                                    score::State kind);

/// Sleep starts (hypnic jerks) come at the wake-to-sleep transition and in the first minutes after
/// it, so twitches after an onset found from still minutes (which can come while the sleeper is
/// still lying awake) show where the transition really was. Considers the `twitch_starts` (s, any
/// order) after `onset` and no later than `onset_settle_max_min` after `settle_from` (s), so that
/// sleep starts deep in the night never move it:
///  1. after the window (`onset` + `onset_window_after_min`) has closed, a twitch moves the onset to
///     its own start when it comes within `onset_twitch_gap_min` of the window's end (a straggler of
///     the transition) or the next twitch follows within `onset_burst_gap_min` (a burst: the
///     transition itself, however long the stillness before it); such moves chain, in time order;
///  2. when that moved nothing and the onset does not already sit on a twitch, the first burst inside
///     the window moves the onset to its first twitch, and so does a lone twitch no later than
///     `onset_single_start_min` after `onset` (a sleep start minutes into the stillness: those
///     minutes were the drowsy approach); step 1 then runs again from there.
/// The result is never earlier than `onset`, nor than step 1 alone; a gap of 0 turns its part off.
UnixS onset_after_sleep_starts(UnixS onset, UnixS settle_from, std::vector<UnixS> twitch_starts, const NightParams& p);

/// True when `own` is the partner's movement felt through the mattress: it starts while a partner
/// movement is under way (from `window_s` before that movement's start to `window_s` after its end)
/// and the partner movement peaks at least `ratio` times higher. A jerk on top of a longer movement
/// (`own.on_top`) is the partner's only when, within `window_s` of it, the partner has a twitch or
/// the peak of a movement at least `ratio` times higher.
bool is_partner_bleed(const DetectedMovement& own, const std::vector<DetectedMovement>& partner,
                      double window_s = 0.5, double ratio = 2.0);

/// Median of the values (0 for none).
double median(std::vector<double> v);
/// A number for a sentence: whole numbers without decimals ("2"), others with one ("1.5").
std::string short_number(double x);
/// Median absolute deviation from the median (unscaled; 0 for none).
double mad(const std::vector<double>& v);

/// The twitch-heavy verdict for one night.
struct Verdict {
    bool heavy = false;
    std::string reason;
    Baseline baseline;
};
/// `prior`: earlier closed nights (oldest first, this night excluded). Until `min_nights` of them exist
/// the threshold is `default_onset_twitches`; then it is the smallest whole count strictly above
/// median + k_mad * max(1.4826 * MAD, 1), computed over the last `baseline_nights`, never below the
/// default. Heavy when onset_twitches >= threshold.
Verdict judge_heavy(int onset_twitches, const std::vector<NightSummary>& prior, const HeavyParams& p);

/// One FactorSummary per factor (in ALL_FACTORS order) over `logs` taken before `bed`.
/// Late: caffeine within `caffeine_window_h` of bed, exercise within `exercise_window_h`, stress and
/// discomfort whenever logged in the evening, magnesium never (it is not a trigger).
std::vector<FactorSummary> summarize_factors(const std::vector<FactorLog>& logs, UnixS bed,
                                             double caffeine_window_h, double exercise_window_h);

}  // namespace hypnic::night
