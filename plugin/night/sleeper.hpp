// One sleeper's night tracker: sensors in, phases, movements, sleep onset and the closed night out.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plugin/detect/detector.hpp"
#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/plugin.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::night {

/// Called right after a night has closed and been saved, before the summary is returned to the
/// caller. This is the seam for advice and wind-down planning: they may append outputs.
using NightClosedHook = std::function<void(const NightSummary& night, UnixS now, std::vector<OutputBody>& out)>;

/// Everything one sleeper's sensors say, folded into phases, movement events and nights.
/// `now` arguments are arrival/clock times (monotonic, enforced by the Plugin); reading times inside
/// the readings are data times. Single-threaded.
class SleeperNight {
public:
    SleeperNight(const SleeperParams& params, const Zone& zone, History& history);
    ~SleeperNight();
    SleeperNight(const SleeperNight&) = delete;
    SleeperNight& operator=(const SleeperNight&) = delete;

    void on_accel(std::size_t sensor, UnixS now, const AccelBatch& b, std::vector<OutputBody>& out);
    void on_scalar(std::size_t sensor, UnixS now, const ScalarBatch& b, std::vector<OutputBody>& out);
    void on_vibration(std::size_t sensor, UnixS now, const VibrationReport& r, std::vector<OutputBody>& out);
    void on_activity(std::size_t sensor, UnixS now, const ActivityEpochs& e, std::vector<OutputBody>& out);
    void on_presence(std::size_t sensor, UnixS now, const PresenceReading& r, std::vector<OutputBody>& out);
    void on_light(std::size_t sensor, UnixS now, const LightReading& r, std::vector<OutputBody>& out);
    void on_sleep_app(std::size_t sensor, UnixS now, const SleepAppEvent& e, std::vector<OutputBody>& out);
    void on_source(std::size_t sensor, UnixS now, const SourceValue& v, std::vector<OutputBody>& out);
    /// A factor log from a built-in log topic (sensor == SIZE_MAX) or any other origin.
    void on_factor(std::size_t sensor, UnixS now, const FactorLog& log, std::vector<OutputBody>& out);

    void on_time(UnixS now, std::vector<OutputBody>& out);
    /// +infinity when nothing is due.
    UnixS next_wakeup() const;
    /// The live state and, when one exists, the last closed night.
    void retained(std::vector<OutputBody>& out) const;
    /// Saves the in-progress night to History (key "night/<id>") so a restart resumes it.
    void checkpoint();

    void set_night_closed_hook(NightClosedHook hook);

    const SleeperParams& params() const;
    Phase phase() const;
    const std::optional<NightSummary>& last_night() const;
    /// The night in progress as far as it is known now (see NightSoFar); nullopt when not in bed.
    std::optional<NightSoFar> night_so_far() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hypnic::night
