// One sleeper's advice: what the history of nights and evening factors says, with its evidence.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/advice/stats.hpp"
#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::advice {

/// The habits advice compares nights by (discomfort only feeds the doctor hint).
enum class Habit { caffeine, exercise, stress, magnesium };
inline constexpr Habit ALL_HABITS[] = {Habit::caffeine, Habit::exercise, Habit::stress, Habit::magnesium};
/// The item id of a habit ("caffeine", ...).
std::string_view to_string(Habit h);

/// Whether a night counts as "with" the habit: caffeine or exercise inside its critical window
/// before bed (FactorSummary::late), a mean logged stress at or above `stress_level`, and for
/// magnesium its absence (magnesium is the suspected protector, so "with" means "without magnesium").
bool exposed(const NightSummary& night, Habit h, const AdviceParams& p);

/// The comparison of the twitch outcome on nights with and without one habit.
struct Comparison {
    Habit habit = Habit::caffeine;
    int nights_with = 0, nights_without = 0;
    int heavy_with = 0, heavy_without = 0;
    double rate_with = 0, rate_without = 0;  ///< Laplace-smoothed heavy-night rates, 0..1
    double effect = 0;                       ///< rate_with - rate_without
    Interval interval;                       ///< Newcombe interval of the raw heavy-rate difference
    Sample onset_with, onset_without;        ///< onset twitches per night
    MeanDifference onset_difference;         ///< onset_with.mean - onset_without.mean, Welch standard error
    bool enough_nights = false;              ///< min_nights in all and min_each on both sides
    bool advised = false;                    ///< enough_nights and interval.low > min_effect
};

/// Compares `nights` (oldest first) with and without `h`.
Comparison compare(const std::vector<NightSummary>& nights, Habit h, const AdviceParams& p);

/// Nights among the most recent `plm_window_nights` with a PLM index and periodicity at or above the thresholds.
int plm_nights(const std::vector<NightSummary>& nights, const AdviceParams& p);
/// Twitch-heavy nights with discomfort logged that evening.
int discomfort_heavy_nights(const std::vector<NightSummary>& nights);
/// Nights on which large movements make up more than `mattress_share` of all movements.
int large_dominated_nights(const std::vector<NightSummary>& nights, const AdviceParams& p);

/// The whole advice from `nights` (oldest first, at most history_nights of them): doctor hint
/// when warranted, advised habits ranked by the lower bound of their effect, mattress, routine,
/// reassurance. Priorities count from 1 in that order. Pure: the same nights give the same advice.
/// `sp.advice` holds the thresholds and texts; `sp.winddown` the caffeine and exercise windows (evidence only).
Advice make_advice(const std::vector<NightSummary>& nights, const SleeperParams& sp, const Zone& zone, UnixS generated);

/// Keeps the current advice of one sleeper and renews it after each closed night.
/// Single-threaded; reads History and keeps one state blob (when the advice was made) in it.
class Advisor {
public:
    /// Rebuilds the advice from the nights already in History, so a restart re-announces it.
    /// `language` is already applied: config/ put the texts of that language into params.advice.texts.
    Advisor(const SleeperParams& params, const std::string& language, const Zone& zone, History& history);

    /// A night has closed (and is already in History): renew the advice and append it to `out`.
    void on_night_closed(const NightSummary& night, UnixS now, std::vector<OutputBody>& out);
    /// The current advice (for a re-announce), if any was made since start or found in History.
    void retained(std::vector<OutputBody>& out) const;

private:
    std::vector<NightSummary> recent(const NightSummary* closed) const;
    std::string state_key() const;

    const SleeperParams& params_;
    const Zone& zone_;
    History& history_;
    std::optional<Advice> current_;
};

}  // namespace hypnic::advice
