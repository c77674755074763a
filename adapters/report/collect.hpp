// Gathers what the night report shows from the SQLite history: closed nights, tonight so far, the trend.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/report/report.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "plugin/params.hpp"
#include "plugin/plugin.hpp"

namespace hypnic::report {

/// Every stored night of `sleeper`, oldest first. Throws StoreError.
std::vector<NightSummary> all_nights(const SqliteHistory& history, const std::string& sleeper);

/// The chart data of a closed night: its events from in-bed to out-of-bed and its stored minutes
/// (none for nights closed before schema 3). Throws StoreError.
NightData closed_night(const SqliteHistory& history, const std::string& sleeper, const NightSummary& night,
                       const NightParams& params);

/// Tonight as the live view shows it at `now`: tonight's closed night once it has closed, else the
/// night so far (the events since the evening began or the last night ended, the chart ending at
/// `now`; lights-out and sleep onset are only known once the night closes). Throws StoreError.
NightData tonight(const SqliteHistory& history, const std::string& sleeper, const NightParams& params,
                  const Zone& zone, UnixS now);

/// The same, completed from the running core: while `so_far` holds the open night (Plugin::night_so_far),
/// the night so far shows its phases, lights-out, sleep onset once found, the onset window and the
/// decided minutes up to `now`, besides the stored events. nullopt: as above. Throws StoreError.
NightData tonight(const SqliteHistory& history, const std::string& sleeper, const NightParams& params,
                  const Zone& zone, UnixS now, const std::optional<NightSoFar>& so_far);

/// The advice the daemon holds for `sleeper`: rebuilt from the stored nights by the same Advisor the
/// daemon uses (so it matches the retained `advice` topic); nullopt when advice is off or there are
/// no nights yet. Only reads `history`. Throws StoreError.
std::optional<Advice> current_advice(History& history, const SleeperParams& sleeper, const std::string& language,
                                     const Zone& zone);

/// A short text that changes whenever what `tonight` shows changes (the live page's poll version):
/// the night, open or closed, the events, the phases, lights-out and onset, and for an open night
/// every fifth decided minute (so an open page redraws its envelope every few minutes, not every poll).
std::string night_version(const NightData& night);

}  // namespace hypnic::report
