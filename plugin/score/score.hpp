// Epoch sleep/wake scoring as ActiLife 6 (Cole-Kripke, Sadeh) and Actiware (Oakley) compute it,
// and Tudor-Locke sleep periods.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hypnic::score {

enum class State : char { sleep = 'S', wake = 'W', missing = '?' };

/// A count per epoch; nullopt where the device had no data.
using Counts = std::vector<std::optional<double>>;

/// Cole-Kripke on 60-s epochs (ActiLife variant: counts / 100, capped at 300).
std::vector<State> cole_kripke(const Counts& counts_60s);
/// Sadeh on 60-s epochs (counts capped at 300), ActiLife's edge handling.
std::vector<State> sadeh(const Counts& counts_60s);
/// Oakley (Actiware) on epochs of `epoch_s` seconds (15, 30, 60 or 120); wake if the weighted sum
/// exceeds `threshold` (20 low, 40 medium, 80 high).
std::vector<State> oakley(const Counts& counts, double epoch_s, double threshold = 40);

/// A sleep period found by Tudor-Locke's rules on a scored series (indices into it).
struct SleepPeriod {
    std::size_t onset = 0;   ///< first epoch of n consecutive sleep epochs
    std::size_t end = 0;     ///< first epoch of m consecutive wake epochs after onset (exclusive end)
};
struct TudorLockeParams {
    int onset_sleep_epochs = 5;    ///< n
    int wake_epochs = 10;          ///< m
    int min_period_epochs = 160;   ///< shorter periods are dropped
};
std::vector<SleepPeriod> tudor_locke(const std::vector<State>& states, const TudorLockeParams& p);

}  // namespace hypnic::score
