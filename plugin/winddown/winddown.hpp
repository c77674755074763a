// One sleeper's wind-down: the evening plan, its DST-safe schedule, light fades and reminders.
#pragma once

#include <array>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::winddown {

/// The five scheduled stages; EveningPlan::at is indexed in this order.
inline constexpr std::array<Stage, 5> SCHEDULED = {Stage::caffeine_cutoff, Stage::exercise_cutoff, Stage::dim_lights,
                                                   Stage::relax, Stage::lights_out};

/// One evening's plan. Every instant comes from a LOCAL wall-clock time on the evening's date (or
/// the next one for a bedtime after midnight) through the Zone: in a spring-forward gap the first
/// valid instant after it, in a repeated hour the earlier instant.
struct EveningPlan {
    LocalDate evening;                 ///< the date the evening (and its night) is named after
    UnixS bedtime = 0;
    std::array<UnixS, 5> at{};         ///< per SCHEDULED stage
    double caffeine_cutoff_h = 0;      ///< hours before bedtime, after any adaptation
    double dim_lights_min = 0;         ///< minutes before bedtime the fade starts
    double fade_min = 0;               ///< fade duration, minutes
    double relax_min = 0;
    bool after_heavy_night = false;    ///< the last closed night before this evening was twitch-heavy
    bool longer = false;               ///< the longer plan is in force (adaptive after a heavy night, or extended)
    std::string reason;                ///< why the plan is the longer one; "" for the usual plan
};

/// Bedtime of `evening` in seconds after that date's local midnight, 12:00..35:59 (a clock time before
/// noon belongs to the next morning). `nights` (oldest first) feed `auto`: the median in-bed clock
/// time of up to 14 nights before the evening, clamped to auto_earliest..auto_latest; 22:30 (clamped)
/// without any.
int bedtime_evening_s(const WinddownParams& p, const std::vector<NightSummary>& nights, LocalDate evening,
                      const Zone& zone);

/// The plan of one evening from the configured values, the run-time settings and the recent
/// nights (oldest first; only nights before `evening` count).
EveningPlan plan_evening(const WinddownParams& p, const WinddownSettings& s, const std::vector<NightSummary>& nights,
                         LocalDate evening, const Zone& zone);

/// Plans and fires one sleeper's wind-down stages and drives its lights. Single-threaded; time
/// only moves forward (the Plugin enforces it). State (fired stages, fades, reminder counts) is
/// kept in History under "winddown/<id>", the run-time settings under "winddown-settings/<id>".
class Winddown {
public:
    Winddown(const SleeperParams& params, const Zone& zone, History& history);

    /// Every input of this sleeper (light states for manual override, factor logs for reminders, ...).
    void on_input(const Input& in, UnixS now, std::vector<OutputBody>& out);
    /// A night has closed: adapt the plan (after a twitch-heavy night) and re-plan.
    void on_night_closed(const NightSummary& night, UnixS now, std::vector<OutputBody>& out);
    void on_time(UnixS now, std::vector<OutputBody>& out);
    /// The next stage instant or fade step; +infinity before the first call that brings a time.
    UnixS next_wakeup() const;
    /// The settings and the next trigger, for a re-announce.
    void retained(std::vector<OutputBody>& out) const;
    void checkpoint();

    void set_settings(const WinddownSettings& s, UnixS now, std::vector<OutputBody>& out);
    const WinddownSettings& settings() const;

private:
    /// The daemon-driven fade of one light during dim_lights: command k (1..steps) is sent at
    /// start + (k-1)*duration/steps and glides to from + (to-from)*k/steps over one step.
    struct Fade {
        enum class State { idle, active, done, stopped };
        State state = State::idle;
        UnixS start = 0;
        double duration_s = 0;
        int steps = 0;
        int sent = 0;
        double from_pct = 100;
        double to_pct = 0;
        double pct(int k) const;
        double step_s() const;
    };
    struct LightSeen {
        std::optional<bool> on;
        std::optional<double> pct;
    };

    void run(UnixS now, std::vector<OutputBody>& out);
    const EveningPlan& plan(LocalDate evening);
    void fire(const EveningPlan& p, std::size_t stage, UnixS now, std::vector<OutputBody>& out);
    void step_fades(UnixS now, std::vector<OutputBody>& out);
    void stop_fades();
    void check_reminders(UnixS now, std::vector<OutputBody>& out);
    void on_light_state(std::size_t light, const LightReading& r);
    bool silenced() const;
    void invalidate();
    void save_state();
    void restore_state(const std::string& blob);
    void save_settings();

    const SleeperParams& params_;
    const Zone& zone_;
    History& history_;
    WinddownSettings settings_;
    std::vector<NightSummary> nights_;          // recent closed nights, oldest first
    std::map<int, EveningPlan> plans_;          // by days since the epoch of the evening
    std::map<int, unsigned> done_;              // evening → bit per SCHEDULED stage fired or skipped
    std::map<int, std::array<int, 2>> logged_;  // evening → caffeine/exercise logs seen after the cut-offs
    std::vector<Fade> fades_;                   // per configured light
    std::vector<LightSeen> seen_;               // per configured light
    bool paused_ = false;                       // the pause topic says ON
    bool timed_source_ = false;                 // a caffeine/exercise source that logs after a delay
    bool dirty_ = true;                         // plan inputs changed: recompute on the next call
    UnixS now_ = -std::numeric_limits<double>::infinity();
    UnixS next_due_ = std::numeric_limits<double>::infinity();
    std::optional<WinddownNext> next_;
};

}  // namespace hypnic::winddown
