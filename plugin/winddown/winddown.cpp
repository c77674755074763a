// One sleeper's wind-down plan, schedule, fades and reminders.
#include "plugin/winddown/winddown.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "plugin/night/rules.hpp"

namespace hypnic::winddown {

namespace {

constexpr int DAY_S = 86400;
constexpr int NOON_S = 12 * 3600;
constexpr int DEFAULT_AUTO_BEDTIME_S = 22 * 3600 + 30 * 60;
constexpr std::size_t AUTO_NIGHTS = 14;   // in-bed times the automatic bedtime is the median of
constexpr std::size_t NIGHTS_KEPT = 14;
constexpr double OVERRIDE_TOLERANCE_PCT = 3;  // a light's own rounding (0..254 steps) stays well inside this
constexpr double REMINDER_MAX_AGE_S = 3600;   // a log older than this when seen is history, not a habit to nudge
constexpr int FADE_STEP_S = 60;               // one command a minute: smooth to the eye, few messages
constexpr int MAX_FADE_STEPS = 360;
constexpr const char* STATE_MAGIC = "winddown-v1";
constexpr const char* SETTINGS_MAGIC = "settings-v1";

int day_number(LocalDate d) { return static_cast<int>(std::chrono::sys_days(d).time_since_epoch().count()); }
LocalDate date_of(int days) { return LocalDate{std::chrono::sys_days(std::chrono::days(days))}; }

// "HH:MM" → seconds after midnight; nullopt when malformed (config validates; this keeps a bad
// value from becoming a wrong bedtime).
std::optional<int> clock_s(const std::string& s) {
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    for (const std::size_t i : {0u, 1u, 3u, 4u})
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return std::nullopt;
    return h * 3600 + m * 60;
}

// A clock time seen from the evening: times before noon are the next morning's.
int evening_s(int sec_of_day) { return sec_of_day < NOON_S ? sec_of_day + DAY_S : sec_of_day; }

// The instant of `es` seconds after the local midnight starting `evening` (negative or past a day
// is fine): the wall-clock date and time first, then the Zone, so DST never shifts a stage.
UnixS local_instant(LocalDate evening, long long es, const Zone& zone) {
    const long long days = es >= 0 ? es / DAY_S : -((-es + DAY_S - 1) / DAY_S);
    const auto sec = static_cast<int>(es - days * DAY_S);
    return zone.to_instant(date_of(day_number(evening) + static_cast<int>(days)), sec);
}

const NightSummary* last_night_before(const std::vector<NightSummary>& nights, LocalDate evening) {
    const std::string e = format_date(evening);
    for (auto it = nights.rbegin(); it != nights.rend(); ++it)
        if (it->night < e) return &*it;
    return nullptr;
}

bool valid_profile(const std::string& p) {
    return p == "adaptive" || p == "standard" || p == "extended" || p == "reminders_only";
}

}  // namespace

int bedtime_evening_s(const WinddownParams& p, const std::vector<NightSummary>& nights, LocalDate evening,
                      const Zone& zone) {
    const unsigned iso = std::chrono::weekday(std::chrono::sys_days(evening)).iso_encoding();  // 1 = Monday
    const std::string& by_day = p.bedtime_by_weekday[iso - 1];
    const std::string& spec = by_day.empty() ? p.bedtime : by_day;
    if (spec != "auto") return evening_s(clock_s(spec).value_or(DEFAULT_AUTO_BEDTIME_S));

    const std::string e = format_date(evening);
    std::vector<int> in_bed_s;
    for (auto it = nights.rbegin(); it != nights.rend() && in_bed_s.size() < AUTO_NIGHTS; ++it)
        if (it->night < e && it->in_bed)
            in_bed_s.push_back(evening_s(static_cast<int>(std::floor(local_seconds_of_day(*it->in_bed, zone)))));
    int learned = DEFAULT_AUTO_BEDTIME_S;
    if (!in_bed_s.empty()) {
        std::sort(in_bed_s.begin(), in_bed_s.end());
        const std::size_t n = in_bed_s.size();
        const double median = n % 2 ? in_bed_s[n / 2] : 0.5 * (in_bed_s[n / 2 - 1] + in_bed_s[n / 2]);
        learned = static_cast<int>(std::lround(median / 60.0)) * 60;  // whole minutes, like a configured time
    }
    const int lo = evening_s(clock_s(p.auto_earliest).value_or(21 * 3600));
    const int hi = evening_s(clock_s(p.auto_latest).value_or(DAY_S / 48));
    if (lo <= hi) return std::clamp(learned, lo, hi);
    return lo;  // a window config would have refused; the earliest end is the cautious choice
}

EveningPlan plan_evening(const WinddownParams& p, const WinddownSettings& s, const std::vector<NightSummary>& nights,
                         LocalDate evening, const Zone& zone) {
    EveningPlan plan;
    plan.evening = evening;
    const NightSummary* last = last_night_before(nights, evening);
    plan.after_heavy_night = last != nullptr && last->twitch_heavy;
    const bool adapts = s.profile == "adaptive" || s.profile == "reminders_only";
    plan.longer = s.profile == "extended" || (adapts && plan.after_heavy_night);

    plan.caffeine_cutoff_h = s.caffeine_cutoff_h + (plan.longer ? p.heavy_extra_caffeine_h : 0);
    plan.dim_lights_min = p.dim_lights_min + (plan.longer ? p.heavy_extra_dim_min : 0);
    plan.fade_min = p.fade_min + (plan.longer ? p.heavy_extra_dim_min : 0);
    plan.relax_min = p.relax_min + (plan.longer ? p.heavy_extra_relax_min : 0);
    if (plan.longer) {
        const std::string what = "caffeine cut-off " + night::short_number(p.heavy_extra_caffeine_h) +
                                 " h earlier, dimming " + night::short_number(p.heavy_extra_dim_min) +
                                 " min earlier and longer, relax " + night::short_number(p.heavy_extra_relax_min) +
                                 " min earlier";
        if (s.profile == "extended")
            plan.reason = "extended profile: " + what;
        else
            plan.reason = "the night of " + last->night + " was twitch-heavy" +
                          (last->heavy_reason.empty() ? std::string() : " (" + last->heavy_reason + ")") + ": " + what;
    }

    const long long bed_es = bedtime_evening_s(p, nights, evening, zone);
    const std::array<double, 5> before_s = {plan.caffeine_cutoff_h * 3600, p.exercise_cutoff_h * 3600,
                                            plan.dim_lights_min * 60, plan.relax_min * 60, p.lights_out_min * 60};
    plan.bedtime = local_instant(evening, bed_es, zone);
    for (std::size_t i = 0; i < before_s.size(); ++i)
        plan.at[i] = local_instant(evening, bed_es - std::llround(before_s[i]), zone);
    return plan;
}

// ---------------------------------------------------------------------------------------------

double Winddown::Fade::step_s() const { return steps > 0 ? duration_s / steps : 0; }

double Winddown::Fade::pct(int k) const {
    if (steps <= 0) return to_pct;
    return from_pct + (to_pct - from_pct) * static_cast<double>(std::clamp(k, 0, steps)) / steps;
}

Winddown::Winddown(const SleeperParams& params, const Zone& zone, History& history)
    : params_(params), zone_(zone), history_(history) {
    settings_.winddown = params.winddown.enabled;
    settings_.caffeine_cutoff_h = params.winddown.caffeine_cutoff_h;
    fades_.resize(params.winddown.lights.size());
    seen_.resize(params.winddown.lights.size());
    for (const SensorSpec& s : params.sensors)
        if (s.kind == SensorKind::source && s.for_s > 0 && (s.factor == Factor::caffeine || s.factor == Factor::exercise))
            timed_source_ = true;
    nights_ = history_.recent_nights(params.id, NIGHTS_KEPT);
    if (auto blob = history_.get_state("winddown-settings/" + params.id); blob && !blob->empty()) {
        std::istringstream in(*blob);
        std::string magic, profile;
        int on = 0;
        double cutoff_h = 0;
        // A blob this version cannot read is ignored: the configured values are a safe start.
        if (in >> magic >> on >> profile >> cutoff_h && magic == SETTINGS_MAGIC && valid_profile(profile) &&
            std::isfinite(cutoff_h) && cutoff_h >= 0 && cutoff_h <= 24) {
            settings_.winddown = on != 0;
            settings_.profile = profile;
            settings_.caffeine_cutoff_h = cutoff_h;
        }
    }
    if (auto blob = history_.get_state("winddown/" + params.id); blob && !blob->empty()) restore_state(*blob);
}

bool Winddown::silenced() const { return !settings_.winddown || paused_; }

void Winddown::invalidate() {
    plans_.clear();
    dirty_ = true;
}

const EveningPlan& Winddown::plan(LocalDate evening) {
    const int key = day_number(evening);
    auto it = plans_.find(key);
    if (it == plans_.end())
        it = plans_.emplace(key, plan_evening(params_.winddown, settings_, nights_, evening, zone_)).first;
    return it->second;
}

void Winddown::on_input(const Input& in, UnixS now, std::vector<OutputBody>& out) {
    // Only what concerns the wind-down runs the schedule here; on_time drives it otherwise, so
    // a stream of bed-sensor batches costs nothing.
    const bool mine = in.winddown_pause || in.winddown_light != SIZE_MAX ||
                      std::holds_alternative<FactorLog>(in.reading) || std::holds_alternative<SourceValue>(in.reading);
    if (!mine) {
        // Before its first run the schedule does not know the time: ask for a tick right away, so
        // the evening is planned without waiting for a light state or a log.
        if (!std::isfinite(now_) && std::isfinite(now)) next_due_ = std::min(next_due_, now);
        return;
    }
    run(now, out);
    if (const auto* light = std::get_if<LightReading>(&in.reading)) {
        if (in.winddown_pause) {
            if (light->on != paused_) {
                paused_ = light->on;
                if (paused_) stop_fades();
                dirty_ = true;
                save_state();
            }
        } else if (in.winddown_light < seen_.size()) {
            on_light_state(in.winddown_light, *light);
        }
        return;
    }
    if (const auto* log = std::get_if<FactorLog>(&in.reading)) {
        if (log->factor == Factor::caffeine || log->factor == Factor::exercise) check_reminders(now, out);
    } else if (std::holds_alternative<SourceValue>(in.reading)) {
        check_reminders(now, out);
    }
}

void Winddown::on_light_state(std::size_t light, const LightReading& r) {
    seen_[light].on = r.on;
    if (r.brightness_pct) seen_[light].pct = r.brightness_pct;
    Fade& f = fades_[light];
    if (f.state != Fade::State::active || f.sent < 1) return;
    // A light turned off, or set to a level that is not one of the last two the fade sent (a
    // device may still echo the previous step), was changed by a person: the fade yields.
    bool by_hand = !r.on;
    if (r.on && r.brightness_pct) {
        const double lo = std::min(f.pct(f.sent), f.pct(f.sent - 1)) - OVERRIDE_TOLERANCE_PCT;
        const double hi = std::max(f.pct(f.sent), f.pct(f.sent - 1)) + OVERRIDE_TOLERANCE_PCT;
        by_hand = *r.brightness_pct < lo || *r.brightness_pct > hi;
    }
    if (by_hand) {
        f.state = Fade::State::stopped;
        dirty_ = true;
        save_state();
    }
}

void Winddown::on_night_closed(const NightSummary& night, UnixS now, std::vector<OutputBody>& out) {
    nights_.push_back(night);
    if (nights_.size() > NIGHTS_KEPT) nights_.erase(nights_.begin());
    invalidate();
    run(now, out);
}

void Winddown::on_time(UnixS now, std::vector<OutputBody>& out) {
    run(now, out);
    if (timed_source_) check_reminders(now, out);
}

UnixS Winddown::next_wakeup() const { return next_due_; }

void Winddown::retained(std::vector<OutputBody>& out) const {
    out.emplace_back(settings_);
    if (next_) out.emplace_back(*next_);
}

void Winddown::checkpoint() { save_state(); }

void Winddown::set_settings(const WinddownSettings& s, UnixS now, std::vector<OutputBody>& out) {
    settings_ = s;
    if (!valid_profile(settings_.profile)) settings_.profile = "adaptive";
    if (!std::isfinite(settings_.caffeine_cutoff_h))
        settings_.caffeine_cutoff_h = params_.winddown.caffeine_cutoff_h;
    settings_.caffeine_cutoff_h = std::clamp(settings_.caffeine_cutoff_h, 0.0, 24.0);
    save_settings();
    if (silenced() || settings_.profile == "reminders_only") stop_fades();
    invalidate();
    out.emplace_back(settings_);
    run(now, out);
}

const WinddownSettings& Winddown::settings() const { return settings_; }

void Winddown::run(UnixS now, std::vector<OutputBody>& out) {
    if (!std::isfinite(now)) return;
    now_ = now;
    if (!dirty_ && now < next_due_) return;
    dirty_ = false;
    bool changed = false;
    const int today = day_number(local_date(now, zone_));
    // Evenings whose stages can lie near today: a bedtime up to noon the next day, a cut-off up to
    // two days before bedtime.
    const int first = today - 1;
    const int last = today + 2;
    for (auto it = done_.begin(); it != done_.end();)
        it = it->first < first - 1 ? done_.erase(it) : std::next(it);
    for (auto it = logged_.begin(); it != logged_.end();)
        it = it->first < first - 1 ? logged_.erase(it) : std::next(it);
    for (auto it = plans_.begin(); it != plans_.end();)
        it = it->first < first ? plans_.erase(it) : std::next(it);

    struct Due {
        UnixS at;
        int evening;
        std::size_t stage;
    };
    std::vector<Due> due;
    for (int e = first; e <= last; ++e) {
        const EveningPlan& p = plan(date_of(e));
        for (std::size_t i = 0; i < SCHEDULED.size(); ++i)
            if (!(done_[e] & (1u << i)) && p.at[i] <= now) due.push_back(Due{p.at[i], e, i});
    }
    std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) { return a.at < b.at; });
    const double grace_s = params_.winddown.grace_min * 60;
    for (const Due& d : due) {
        // Marked first: whatever happens below, a stage is decided once per evening.
        done_[d.evening] |= 1u << d.stage;
        changed = true;
        if (silenced() || now - d.at > grace_s) continue;  // paused, or missed by more than the grace
        fire(plan(date_of(d.evening)), d.stage, now, out);
    }
    const std::size_t before = out.size();
    step_fades(now, out);
    if (out.size() != before) changed = true;

    UnixS next_stage_at = std::numeric_limits<double>::infinity();
    Stage next_stage = Stage::lights_out;
    for (int e = first; e <= last; ++e) {
        const EveningPlan& p = plan(date_of(e));
        for (std::size_t i = 0; i < SCHEDULED.size(); ++i)
            if (!(done_[e] & (1u << i)) && p.at[i] > now && p.at[i] < next_stage_at) {
                next_stage_at = p.at[i];
                next_stage = SCHEDULED[i];
            }
    }
    next_due_ = next_stage_at;
    for (const Fade& f : fades_)
        if (f.state == Fade::State::active) next_due_ = std::min(next_due_, f.start + f.sent * f.step_s());
    if (std::isfinite(next_stage_at) &&
        (!next_ || next_->stage != next_stage || next_->at != next_stage_at)) {
        next_ = WinddownNext{next_stage, next_stage_at};
        out.emplace_back(*next_);
    }
    if (changed) save_state();
}

void Winddown::fire(const EveningPlan& p, std::size_t stage, UnixS now, std::vector<OutputBody>& out) {
    const auto& w = params_.winddown;
    WinddownTrigger t;
    t.stage = SCHEDULED[stage];
    t.at = p.at[stage];
    t.bedtime = p.bedtime;
    t.after_heavy_night = p.after_heavy_night;
    t.reason = p.reason;
    t.extra.push_back({"profile", settings_.profile});
    switch (t.stage) {
        case Stage::caffeine_cutoff: t.extra.push_back({"cutoff_h", p.caffeine_cutoff_h}); break;
        case Stage::exercise_cutoff: t.extra.push_back({"cutoff_h", w.exercise_cutoff_h}); break;
        case Stage::dim_lights:
            t.extra.push_back({"dim_to_pct", w.dim_to_pct});
            t.extra.push_back({"fade_min", p.fade_min});
            t.extra.push_back({"color_temp_k", static_cast<std::int64_t>(w.warm_color_temp_k)});
            break;
        case Stage::relax: t.extra.push_back({"minutes_before_bed", p.relax_min}); break;
        default: break;
    }
    // Fired after its instant (a restart inside the grace window): say how late.
    if (now - t.at >= 1) t.extra.push_back({"late_s", std::round(now - t.at)});
    const Stage fired = t.stage;
    out.emplace_back(std::move(t));

    if (fired != Stage::dim_lights || settings_.profile == "reminders_only") return;
    for (std::size_t i = 0; i < fades_.size(); ++i) {
        Fade f;
        // A light that is off stays off: dimming must never switch a light on.
        if (seen_[i].on == false) {
            f.state = Fade::State::done;
            fades_[i] = f;
            continue;
        }
        f.state = Fade::State::active;
        f.start = p.at[stage];
        f.duration_s = std::max(0.0, p.fade_min * 60);
        f.steps = f.duration_s > 0
                      ? std::clamp(static_cast<int>(std::ceil(f.duration_s / FADE_STEP_S)), 1, MAX_FADE_STEPS)
                      : 1;
        f.from_pct = seen_[i].pct.value_or(100);
        // The fade only ever dims; a light already darker keeps its level and only turns warm.
        f.to_pct = std::min(f.from_pct, w.dim_to_pct);
        fades_[i] = f;
    }
}

void Winddown::step_fades(UnixS now, std::vector<OutputBody>& out) {
    const double grace_s = params_.winddown.grace_min * 60;
    for (std::size_t i = 0; i < fades_.size(); ++i) {
        Fade& f = fades_[i];
        if (f.state != Fade::State::active) continue;
        if (silenced()) {
            f.state = Fade::State::stopped;
            continue;
        }
        if (now - (f.start + f.duration_s) > grace_s) {
            f.state = Fade::State::done;  // the whole fade lies in the past (down too long): leave the light be
            continue;
        }
        const double dt = f.step_s();
        // The step that should be in force now; after a restart the fade jumps to it directly.
        const int due = dt > 0 ? std::min(f.steps, static_cast<int>(std::floor((now - f.start) / dt)) + 1) : f.steps;
        if (due <= f.sent) continue;
        f.sent = due;
        LightCommand c;
        c.light = i;
        c.on = true;
        c.brightness_pct = f.pct(due);
        c.color_temp_k = params_.winddown.warm_color_temp_k;
        c.transition_s = dt;
        out.emplace_back(c);
        if (f.sent >= f.steps) f.state = Fade::State::done;
    }
}

void Winddown::stop_fades() {
    for (Fade& f : fades_)
        if (f.state == Fade::State::active) f.state = Fade::State::stopped;
}

void Winddown::check_reminders(UnixS now, std::vector<OutputBody>& out) {
    if (!std::isfinite(now)) return;
    const int today = day_number(local_date(now, zone_));
    bool changed = false;
    for (int e = today - 1; e <= today + 1; ++e) {
        const EveningPlan& p = plan(date_of(e));
        for (std::size_t k = 0; k < 2; ++k) {
            const Factor factor = k == 0 ? Factor::caffeine : Factor::exercise;
            const UnixS cutoff = p.at[k];
            if (now < cutoff || now >= p.bedtime) continue;
            int count = 0;
            const FactorLog* latest = nullptr;
            const auto logs = history_.factors_between(params_.id, cutoff, p.bedtime);
            for (const FactorLog& l : logs)
                if (l.factor == factor) {
                    ++count;
                    latest = &l;
                }
            auto& seen = logged_[e];
            if (count <= seen[k]) continue;
            seen[k] = count;
            changed = true;
            if (silenced() || latest == nullptr || now - latest->t > REMINDER_MAX_AGE_S) continue;
            WinddownTrigger t;
            t.stage = k == 0 ? Stage::caffeine_reminder : Stage::exercise_reminder;
            t.at = now;
            t.bedtime = p.bedtime;
            t.after_heavy_night = p.after_heavy_night;
            t.reason = p.reason;
            t.extra.push_back({"profile", settings_.profile});
            t.extra.push_back({"cutoff", format_iso(cutoff, zone_)});
            t.extra.push_back({"logged_at", format_iso(latest->t, zone_)});
            t.extra.push_back({"amount", latest->amount});
            out.emplace_back(std::move(t));
        }
    }
    if (changed) save_state();
}

// The state blob is plain text, one record a line; anything this version cannot read is dropped
// line by line (never a crash, and the configured plan is always a safe start).
void Winddown::save_state() {
    std::ostringstream o;
    o.precision(17);
    o << STATE_MAGIC << '\n' << "paused " << (paused_ ? 1 : 0) << '\n';
    for (const auto& [e, mask] : done_)
        if (mask) o << "done " << e << ' ' << mask << '\n';
    for (const auto& [e, c] : logged_) o << "logged " << e << ' ' << c[0] << ' ' << c[1] << '\n';
    for (std::size_t i = 0; i < fades_.size(); ++i) {
        const Fade& f = fades_[i];
        if (f.state == Fade::State::idle) continue;
        o << "fade " << i << ' ' << static_cast<int>(f.state) << ' ' << f.start << ' ' << f.duration_s << ' '
          << f.steps << ' ' << f.sent << ' ' << f.from_pct << ' ' << f.to_pct << '\n';
    }
    history_.put_state("winddown/" + params_.id, o.str());
}

void Winddown::restore_state(const std::string& blob) {
    std::istringstream in(blob);
    std::string line;
    if (!std::getline(in, line) || line != STATE_MAGIC) return;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        std::string kind;
        l >> kind;
        if (kind == "paused") {
            int p = 0;
            if (l >> p) paused_ = p != 0;
        } else if (kind == "done") {
            int e = 0;
            unsigned mask = 0;
            if (l >> e >> mask) done_[e] = mask & 0x1fu;
        } else if (kind == "logged") {
            int e = 0, c0 = 0, c1 = 0;
            if (l >> e >> c0 >> c1) logged_[e] = {c0, c1};
        } else if (kind == "fade") {
            std::size_t i = 0;
            int state = 0;
            Fade f;
            if (!(l >> i >> state >> f.start >> f.duration_s >> f.steps >> f.sent >> f.from_pct >> f.to_pct)) continue;
            if (i >= fades_.size() || state < 0 || state > static_cast<int>(Fade::State::stopped)) continue;
            if (!std::isfinite(f.start) || !std::isfinite(f.duration_s) || f.duration_s < 0 || f.steps < 1 ||
                f.steps > MAX_FADE_STEPS || f.sent < 0 || f.sent > f.steps || !std::isfinite(f.from_pct) ||
                !std::isfinite(f.to_pct))
                continue;
            f.state = static_cast<Fade::State>(state);
            fades_[i] = f;
        }
    }
}

void Winddown::save_settings() {
    std::ostringstream o;
    o.precision(17);
    o << SETTINGS_MAGIC << ' ' << (settings_.winddown ? 1 : 0) << ' ' << settings_.profile << ' '
      << settings_.caffeine_cutoff_h << '\n';
    history_.put_state("winddown-settings/" + params_.id, o.str());
}

}  // namespace hypnic::winddown
