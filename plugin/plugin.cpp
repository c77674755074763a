// The Plugin facade: routes each decoded reading to its sleeper's night tracker and collects outputs.
#include "plugin/plugin.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "plugin/advice/advisor.hpp"
#include "plugin/night/sleeper.hpp"
#include "plugin/winddown/winddown.hpp"

namespace hypnic {

struct Plugin::Impl {
    PluginParams params;
    const Zone& zone;
    History& history;
    std::vector<std::unique_ptr<night::SleeperNight>> sleepers;
    std::vector<std::unique_ptr<advice::Advisor>> advisors;
    std::vector<std::unique_ptr<winddown::Winddown>> winddowns;
    UnixS now = -std::numeric_limits<double>::infinity();

    Impl(PluginParams p, const Zone& z, History& h) : params(std::move(p)), zone(z), history(h) {
        sleepers.reserve(params.sleepers.size());
        for (std::size_t i = 0; i < params.sleepers.size(); ++i) {
            sleepers.push_back(std::make_unique<night::SleeperNight>(params.sleepers[i], zone, history));
            advisors.push_back(std::make_unique<advice::Advisor>(params.sleepers[i], params.language, zone, history));
            winddowns.push_back(std::make_unique<winddown::Winddown>(params.sleepers[i], zone, history));
            sleepers.back()->set_night_closed_hook(
                [this, i](const NightSummary& n, UnixS t, std::vector<OutputBody>& out) { on_night_closed(i, n, t, out); });
        }
    }

    // What follows a night: advice from the recent nights and factors in History, and the wind-down
    // plan adapted to it. Outputs appended to `out` are published for the sleeper.
    void on_night_closed(std::size_t sleeper, const NightSummary& night, UnixS t, std::vector<OutputBody>& out) {
        advisors[sleeper]->on_night_closed(night, t, out);
        winddowns[sleeper]->on_night_closed(night, t, out);
    }

    // Time only moves forward: an older time is treated as the latest one seen.
    UnixS advance(UnixS t) {
        if (t > now) now = t;
        return now;
    }

    static void wrap(std::size_t sleeper, std::vector<OutputBody>& bodies, std::vector<Output>& out) {
        for (auto& b : bodies) out.push_back(Output{sleeper, std::move(b)});
        bodies.clear();
    }
};

Plugin::Plugin(PluginParams params, const Zone& zone, History& history)
    : impl_(std::make_unique<Impl>(std::move(params), zone, history)) {}

Plugin::~Plugin() = default;

void Plugin::on_input(const Input& in, std::vector<Output>& out) {
    auto& im = *impl_;
    const UnixS now = im.advance(in.arrival);
    // An input for a sleeper or sensor that is not configured is dropped: the adapters only
    // address configured topics, so this can only be a stale capture or a config change.
    if (in.sleeper >= im.sleepers.size()) return;
    auto& s = *im.sleepers[in.sleeper];
    std::vector<OutputBody> bodies;
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, FactorLog>) {
                s.on_factor(in.sensor, now, r, bodies);
            } else {
                if (in.sensor >= s.params().sensors.size()) return;
                if constexpr (std::is_same_v<T, AccelBatch>) s.on_accel(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, ScalarBatch>) s.on_scalar(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, VibrationReport>) s.on_vibration(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, ActivityEpochs>) s.on_activity(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, PresenceReading>) s.on_presence(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, LightReading>) s.on_light(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, SleepAppEvent>) s.on_sleep_app(in.sensor, now, r, bodies);
                else if constexpr (std::is_same_v<T, SourceValue>) s.on_source(in.sensor, now, r, bodies);
            }
        },
        in.reading);
    im.winddowns[in.sleeper]->on_input(in, now, bodies);
    Impl::wrap(in.sleeper, bodies, out);
}

void Plugin::on_time(UnixS now, std::vector<Output>& out) {
    auto& im = *impl_;
    const UnixS t = im.advance(now);
    std::vector<OutputBody> bodies;
    for (std::size_t i = 0; i < im.sleepers.size(); ++i) {
        im.sleepers[i]->on_time(t, bodies);
        im.winddowns[i]->on_time(t, bodies);
        Impl::wrap(i, bodies, out);
    }
}

UnixS Plugin::next_wakeup() const {
    UnixS next = std::numeric_limits<double>::infinity();
    for (const auto& s : impl_->sleepers) next = std::min(next, s->next_wakeup());
    for (const auto& w : impl_->winddowns) next = std::min(next, w->next_wakeup());
    return next;
}

void Plugin::retained(std::vector<Output>& out) const {
    std::vector<OutputBody> bodies;
    for (std::size_t i = 0; i < impl_->sleepers.size(); ++i) {
        impl_->sleepers[i]->retained(bodies);
        impl_->advisors[i]->retained(bodies);
        impl_->winddowns[i]->retained(bodies);
        Impl::wrap(i, bodies, out);
    }
}

void Plugin::checkpoint() {
    for (auto& s : impl_->sleepers) s->checkpoint();
    for (auto& w : impl_->winddowns) w->checkpoint();
}

void Plugin::set_winddown_settings(std::size_t sleeper, const WinddownSettings& s, std::vector<Output>& out) {
    auto& im = *impl_;
    if (sleeper >= im.winddowns.size()) return;
    std::vector<OutputBody> bodies;
    im.winddowns[sleeper]->set_settings(s, im.now, bodies);
    Impl::wrap(sleeper, bodies, out);
}

WinddownSettings Plugin::winddown_settings(std::size_t sleeper) const {
    if (sleeper >= impl_->winddowns.size()) return WinddownSettings{};
    return impl_->winddowns[sleeper]->settings();
}

const PluginParams& Plugin::params() const { return impl_->params; }

std::optional<NightSoFar> Plugin::night_so_far(const std::string& sleeper_id) const {
    for (const auto& s : impl_->sleepers)
        if (s->params().id == sleeper_id) return s->night_so_far();
    return std::nullopt;
}

}  // namespace hypnic
