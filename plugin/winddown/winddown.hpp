// One sleeper's wind-down: the evening plan, its DST-safe schedule, light fades and reminders.
#pragma once

#include <limits>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::winddown {

/// Plans and fires one sleeper's wind-down stages and drives its lights. Single-threaded; time
/// only moves forward (the Plugin enforces it).
class Winddown {
public:
    Winddown(const SleeperParams& params, const Zone& zone, History& history);

    /// Every input of this sleeper (light states for manual override, factor logs for reminders, ...).
    void on_input(const Input& in, UnixS now, std::vector<OutputBody>& out);
    /// A night has closed: adapt the plan (after a twitch-heavy night) and re-plan.
    void on_night_closed(const NightSummary& night, UnixS now, std::vector<OutputBody>& out);
    void on_time(UnixS now, std::vector<OutputBody>& out);
    /// +infinity when nothing is due.
    UnixS next_wakeup() const;
    /// The settings and the next trigger, for a re-announce.
    void retained(std::vector<OutputBody>& out) const;
    void checkpoint();

    void set_settings(const WinddownSettings& s, UnixS now, std::vector<OutputBody>& out);
    const WinddownSettings& settings() const;

private:
    const SleeperParams& params_;
    const Zone& zone_;
    History& history_;
    WinddownSettings settings_;
};

}  // namespace hypnic::winddown
