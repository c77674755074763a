// One sleeper's wind-down plan, schedule, fades and reminders.
#include "plugin/winddown/winddown.hpp"

namespace hypnic::winddown {

Winddown::Winddown(const SleeperParams& params, const Zone& zone, History& history)
    : params_(params), zone_(zone), history_(history) {
    settings_.winddown = params.winddown.enabled;
    settings_.caffeine_cutoff_h = params.winddown.caffeine_cutoff_h;
}

void Winddown::on_input(const Input& /*in*/, UnixS /*now*/, std::vector<OutputBody>& /*out*/) {}

void Winddown::on_night_closed(const NightSummary& /*night*/, UnixS /*now*/, std::vector<OutputBody>& /*out*/) {}

void Winddown::on_time(UnixS /*now*/, std::vector<OutputBody>& /*out*/) {}

UnixS Winddown::next_wakeup() const { return std::numeric_limits<double>::infinity(); }

void Winddown::retained(std::vector<OutputBody>& out) const { out.emplace_back(settings_); }

void Winddown::checkpoint() {}

void Winddown::set_settings(const WinddownSettings& s, UnixS /*now*/, std::vector<OutputBody>& out) {
    settings_ = s;
    out.emplace_back(settings_);
}

const WinddownSettings& Winddown::settings() const { return settings_; }

}  // namespace hypnic::winddown
