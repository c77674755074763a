// The Plugin facade: decoded readings and clock ticks in, typed outputs out. No I/O, no clock reads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic {

/// One sleeper's night while it is still open, as far as the core knows it at `until`: a read-only
/// copy for the live view, so a page at 01:00 shows the night so far. Nothing here is final: the
/// onset may still move (a later sleep start within the onset window rules) and minutes are decided
/// a few minutes late, so the last minutes are often still missing.
struct NightSoFar {
    /// The night as if it closed at `until`: night, in_bed, lights_out, sleep_onset (when already
    /// found), onset_latency_min and the counts so far; out_of_bed is unset.
    NightSummary summary;
    /// Phase transitions since getting into bed, sorted by time: (instant, phase entered).
    std::vector<std::pair<UnixS, Phase>> phases;
    Phase phase = Phase::awake_in_bed;   ///< the phase now
    NightMinutes minutes;                ///< decided minutes from in-bed to `until` (undecided: missing)
    std::vector<MovementEvent> events;   ///< counted movements so far (no plm_series), in order found
    /// The onset window: from lights-out (or settling) to onset_window_after_min after sleep onset;
    /// `onset_window_to` is unset while the onset is not known yet (the window is still open).
    std::optional<UnixS> onset_window_from;
    std::optional<UnixS> onset_window_to;
    UnixS until = 0;                     ///< the core's latest time (input arrival or tick), Unix s
};

/// The whole core for all configured sleepers. Single-threaded: call from one strand only.
/// Time only moves forward: every call's time (input arrival or `now`) must be >= the last one's;
/// older times are treated as the last one.
class Plugin {
public:
    Plugin(PluginParams params, const Zone& zone, History& history);
    ~Plugin();
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    /// Feed one decoded reading; appends what it causes to `out`.
    void on_input(const Input& in, std::vector<Output>& out);
    /// Advance the clock to `now`: fires due timers, closes nights, rate-limited state.
    void on_time(UnixS now, std::vector<Output>& out);
    /// The next instant at which on_time has work to do (+infinity when none).
    UnixS next_wakeup() const;
    /// The current retained outputs (state, last night, advice, next wind-down) for a re-announce.
    void retained(std::vector<Output>& out) const;
    /// Persist in-progress state now (the daemon calls this before exit and periodically).
    void checkpoint();

    /// Apply run-time wind-down settings for one sleeper (Home Assistant controls). They persist in
    /// History and survive a restart; the new retained settings (and the re-planned next trigger)
    /// are appended to `out`.
    void set_winddown_settings(std::size_t sleeper, const WinddownSettings& s, std::vector<Output>& out);
    /// The settings in force for one sleeper (configured values until a person changes them).
    WinddownSettings winddown_settings(std::size_t sleeper) const;

    const PluginParams& params() const;

    /// The open night of the sleeper with this id, as far as it is known now; nullopt when that
    /// sleeper is not in bed (or no such sleeper). Read-only: changes no state, reads History only
    /// for the heavy-night baseline and the evening's factors.
    std::optional<NightSoFar> night_so_far(const std::string& sleeper_id) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hypnic
