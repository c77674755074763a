// Epoch sleep/wake scoring as ActiLife 6 (Cole-Kripke, Sadeh) and Actiware (Oakley) compute it,
// and Tudor-Locke sleep periods.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hypnic::score {

enum class State : char { sleep = 'S', wake = 'W', missing = '?' };

/// A count per epoch; nullopt where the device had no data.
using Counts = std::vector<std::optional<double>>;

// Common rules for the three epoch scorers (docs/scoring.md has the derivation):
// - the result has one state per input epoch; a missing count gives State::missing;
// - a missing neighbour inside a window counts as 0, and so does a neighbour beyond either end of
//   the series (zero padding). This reproduces ActiLife's and Actiware's reference labels exactly.
// - counts must be finite and >= 0 (the CSV reader enforces it); a negative or NaN count is treated
//   as missing rather than trusted.

/// Cole-Kripke on 60-s epochs (ActiLife variant: counts / 100, capped at 300).
std::vector<State> cole_kripke(const Counts& counts_60s);
/// Sadeh on 60-s epochs (counts capped at 300), ActiLife's edge handling.
/// SD is the sample standard deviation (n - 1) of the epoch and the 5 before it; AVG and NATS use
/// the 11-epoch centred window; both windows are zero-padded beyond the ends of the series.
std::vector<State> sadeh(const Counts& counts_60s);
/// Oakley (Actiware) on epochs of `epoch_s` seconds (15, 30, 60 or 120); wake if the weighted sum
/// exceeds `threshold` (20 low, 40 medium, 80 high).
/// Throws std::invalid_argument for any other epoch length or a threshold that is not finite and > 0.
std::vector<State> oakley(const Counts& counts, double epoch_s, double threshold = 40);

/// The Oakley weights for `epoch_s` (15, 30, 60 or 120), from the farthest past epoch through the
/// epoch itself to the farthest future epoch (odd length, symmetric). Empty for other lengths.
std::vector<double> oakley_weights(double epoch_s);

/// Sums runs of `factor` consecutive epochs into one (e.g. six 10-s epochs into one 60-s epoch),
/// starting at index 0. A block with any missing epoch is missing; a shorter final block (the
/// recording stopped inside it) is the sum of what it has, as ActiLife's 60-s export does.
/// `factor` must be >= 1 (throws std::invalid_argument otherwise).
Counts sum_epochs(const Counts& counts, std::size_t factor);

/// A sleep period found by Tudor-Locke's rules on a scored series (indices into it).
struct SleepPeriod {
    std::size_t onset = 0;   ///< first epoch of n consecutive sleep epochs
    std::size_t end = 0;     ///< first epoch of m consecutive wake epochs after onset (exclusive end)
};
struct TudorLockeParams {
    int onset_sleep_epochs = 5;    ///< n
    int wake_epochs = 10;          ///< m
    int min_period_epochs = 160;   ///< shorter periods are dropped
    int max_period_epochs = 1440;  ///< longer periods are dropped
    int min_nonzero_epochs = 0;    ///< periods with fewer epochs of count > 0 are dropped (needs counts)
};
/// Tudor-Locke periods as ActiLife 6 reports them: a period that is still running when the series
/// ends (no m wake epochs after it) is not reported. A missing state breaks both kinds of run.
/// This overload cannot apply `min_nonzero_epochs` (it has no counts) and ignores it.
std::vector<SleepPeriod> tudor_locke(const std::vector<State>& states, const TudorLockeParams& p);
/// As above, also dropping periods with fewer than `p.min_nonzero_epochs` epochs of count > 0.
/// `counts` must be as long as `states` (throws std::invalid_argument otherwise).
std::vector<SleepPeriod> tudor_locke(const std::vector<State>& states, const Counts& counts,
                                     const TudorLockeParams& p);

/// ActiLife's per-period sleep quality figures (all durations in epochs; percentages 0..100).
struct SleepPeriodSummary {
    std::size_t duration_epochs = 0;      ///< end - onset
    std::size_t sleep_epochs = 0;         ///< total sleep time
    std::size_t wake_epochs = 0;          ///< wake after onset (latency is 0 by definition)
    std::size_t awakenings = 0;           ///< runs of wake epochs inside the period
    double average_awakening_epochs = 0;  ///< wake_epochs / awakenings, 0 without awakenings
    double efficiency_pct = 0;            ///< 100 * sleep / duration
    double total_counts = 0;              ///< sum of the counts in the period (missing = 0)
    std::size_t nonzero_epochs = 0;       ///< epochs with count > 0
    double movement_index_pct = 0;        ///< 100 * nonzero / duration
    double fragmentation_index_pct = 0;   ///< 100 * one-epoch sleep runs / sleep runs
    double sleep_fragmentation_index_pct = 0;  ///< movement + fragmentation index
};
/// Summarises `period` of a scored series. `counts` must be as long as `states` and the period must
/// lie inside it (throws std::invalid_argument otherwise).
SleepPeriodSummary summarize(const std::vector<State>& states, const Counts& counts,
                             const SleepPeriod& period);

}  // namespace hypnic::score
