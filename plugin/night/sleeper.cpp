// One sleeper's night tracker (first cut: phases from presence and lights, movements passed through).
#include "plugin/night/sleeper.hpp"

#include <limits>

namespace hypnic::night {

namespace {
constexpr double INF = std::numeric_limits<double>::infinity();
}

struct SleeperNight::Impl {
    const SleeperParams& p;
    const Zone& zone;
    History& history;
    std::vector<std::optional<Detector>> detectors;
    Phase phase = Phase::out_of_bed;
    UnixS since = 0;
    TonightCounts counts;
    std::optional<NightSummary> last_night;
    NightClosedHook hook;

    Impl(const SleeperParams& params, const Zone& z, History& h) : p(params), zone(z), history(h) {
        for (const auto& s : p.sensors) {
            if (s.kind == SensorKind::accel || s.kind == SensorKind::scalar)
                detectors.emplace_back(Detector(p.detector, 60));
            else
                detectors.emplace_back(std::nullopt);
        }
        auto nights = history.recent_nights(p.id, 1);
        if (!nights.empty()) last_night = nights.back();
    }

    void set_phase(Phase ph, UnixS t, std::vector<OutputBody>& out) {
        if (ph == phase) return;
        phase = ph;
        since = t;
        out.push_back(LiveState{phase, since, counts});
    }

    void movements(std::size_t sensor, const std::vector<DetectedMovement>& ms, std::vector<OutputBody>& out) {
        if (p.sensors[sensor].partner) return;
        for (const auto& m : ms) {
            MovementEvent e;
            e.type = m.type;
            e.start = m.start;
            e.duration_s = m.duration_s;
            e.peak_g = m.peak_g;
            e.gravity_shift = m.gravity_shift;
            e.phase = phase;
            history.save_event(p.id, e);
            out.push_back(e);
        }
    }
};

SleeperNight::SleeperNight(const SleeperParams& params, const Zone& zone, History& history)
    : impl_(std::make_unique<Impl>(params, zone, history)) {}
SleeperNight::~SleeperNight() = default;

void SleeperNight::on_accel(std::size_t sensor, UnixS, const AccelBatch& b, std::vector<OutputBody>& out) {
    auto& d = impl_->detectors[sensor];
    if (!d) return;
    std::vector<DetectedMovement> ms;
    d->feed(b, ms);
    impl_->movements(sensor, ms, out);
}
void SleeperNight::on_scalar(std::size_t sensor, UnixS, const ScalarBatch& b, std::vector<OutputBody>& out) {
    auto& d = impl_->detectors[sensor];
    if (!d) return;
    std::vector<DetectedMovement> ms;
    d->feed(b, ms);
    impl_->movements(sensor, ms, out);
}
void SleeperNight::on_vibration(std::size_t, UnixS, const VibrationReport&, std::vector<OutputBody>&) {}
void SleeperNight::on_activity(std::size_t, UnixS, const ActivityEpochs&, std::vector<OutputBody>&) {}
void SleeperNight::on_presence(std::size_t, UnixS, const PresenceReading& r, std::vector<OutputBody>& out) {
    impl_->set_phase(r.in_bed ? Phase::awake_in_bed : Phase::out_of_bed, r.t, out);
}
void SleeperNight::on_light(std::size_t, UnixS, const LightReading& r, std::vector<OutputBody>& out) {
    if (!r.on && impl_->phase == Phase::awake_in_bed) impl_->set_phase(Phase::settling, r.t, out);
}
void SleeperNight::on_sleep_app(std::size_t, UnixS, const SleepAppEvent&, std::vector<OutputBody>&) {}
void SleeperNight::on_source(std::size_t, UnixS, const SourceValue&, std::vector<OutputBody>&) {}
void SleeperNight::on_factor(std::size_t, UnixS, const FactorLog& log, std::vector<OutputBody>&) {
    impl_->history.save_factor(impl_->p.id, log);
}
void SleeperNight::on_time(UnixS, std::vector<OutputBody>&) {}
UnixS SleeperNight::next_wakeup() const { return INF; }
void SleeperNight::retained(std::vector<OutputBody>& out) const {
    out.push_back(LiveState{impl_->phase, impl_->since, impl_->counts});
    if (impl_->last_night) out.push_back(*impl_->last_night);
}
void SleeperNight::checkpoint() {}
void SleeperNight::set_night_closed_hook(NightClosedHook hook) { impl_->hook = std::move(hook); }
const SleeperParams& SleeperNight::params() const { return impl_->p; }
Phase SleeperNight::phase() const { return impl_->phase; }
const std::optional<NightSummary>& SleeperNight::last_night() const { return impl_->last_night; }

}  // namespace hypnic::night
