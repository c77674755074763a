// The Plugin facade: decoded readings and clock ticks in, typed outputs out. No I/O, no clock reads.
#pragma once

#include <memory>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic {

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

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hypnic
