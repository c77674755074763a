// One sleeper's night tracker: phases, counted movements, sleep onset, onset window and closing.
#include "plugin/night/sleeper.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "plugin/detect/state_text.hpp"
#include "plugin/night/rules.hpp"
#include "plugin/score/score.hpp"

namespace hypnic::night {

namespace {
constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double MINUTE_S = 60;
// A bed movement is decided only once the raw stream is this far past its minute: movements are
// emitted after they end (plus the merge gap), and partner-bleed checks hold them a little longer.
constexpr double MINUTE_SETTLE_S = 100;
// Own movements wait for the partner sensor to reach start + window + this before the bleed check
// (a partner movement is only known once it has ended); a longer one still running is not waited for.
constexpr double BLEED_HOLD_S = 60;
// ...but never longer than this past their start (partner sensor silent or lagging).
constexpr double BLEED_MAX_HOLD_S = 90;
// Without a presence sensor: two movements this close put someone in bed.
constexpr double SUSTAINED_MOVE_S = 120;
constexpr double SUSTAINED_VIBRATION_S = 300;
// Without a presence sensor: after a wake spell, this many bathroom-trip lengths of complete stillness
// mean the bed is empty.
constexpr double EMPTY_BED_FACTOR = 2;
// PLM series are final once no limb movement can extend them (the longest allowed interval).
constexpr double PLM_MAX_INTERVAL_S = 90;
constexpr double STATE_MIN_INTERVAL_S = 1;
// Still for this many minutes with the light on (awake_in_bed) counts as asleep after all.
constexpr int LIGHTS_ON_SLEEP_MIN = 30;

long long minute_of(UnixS t) { return static_cast<long long>(std::floor(t / MINUTE_S)); }

struct SensorState {
    SensorKind kind = SensorKind::accel;
    bool partner = false;
    std::optional<Detector> detector;
    // mask
    bool mask_on = false;
    // source
    std::optional<UnixS> on_since;
    bool fired = false;
    // activity (wearable epochs): epoch index (floor(t / epoch_s)) -> count
    double epoch_s = 0;
    std::map<long long, double> counts;
};

struct Interval {
    UnixS from = 0;
    UnixS to = INF;
};

/// The night in progress.
struct OpenNight {
    UnixS in_bed = 0;
    std::optional<UnixS> lights_out;
    std::optional<UnixS> settle_start;
    std::optional<UnixS> onset;
    std::optional<UnixS> out_since;     // out of bed right now (bathroom trip or morning)
    std::optional<UnixS> waking_since;  // last entry into the waking phase
    std::vector<Interval> away;         // bathroom trips that ended
    std::vector<std::pair<UnixS, Phase>> phases;
    std::vector<MovementEvent> events;  // counted movements (not plm_series)
    std::vector<LimbMovement> lms;
    std::vector<double> lm_peaks_g;
    std::set<double> plm_published;     // series start times already published
    std::map<long long, score::State> states;  // decided minute states since in-bed
    TonightCounts counts;
    UnixS last_move_end = -INF;
    bool settle_by_signal = false;      // lights-out or sleep app, not the quiet-minute fallback
    UnixS runs_from = 0;                // minutes starting before this do not count towards runs
    // Tudor-Locke runs over decided minutes (minute index of the run start, length)
    long long sleep_run_start = 0;
    int sleep_run = 0;
    long long wake_run_start = 0;
    int wake_run = 0;
};

// Checkpoint: the text of plugin/detect/state_text.hpp. Version 1 held the night only; version 2
// adds the detectors, the movements held for the partner check and the live-state timing, so that
// a restart continues exactly where it stopped; version 3 keeps, with each of those movements, the
// time of its peak and whether it is a jerk on top of a longer one (the partner-bleed check reads
// both). Version 1 and 2 checkpoints are still resumed.
using state_text::Reader;
using state_text::Writer;

constexpr const char* CHECKPOINT_MAGIC_V1 = "hypnic-night-1";
constexpr const char* CHECKPOINT_MAGIC_V2 = "hypnic-night-2";
constexpr const char* CHECKPOINT_MAGIC = "hypnic-night-3";
constexpr long long MINUTE_LIMIT = 100000000000LL;  // minute indices far beyond any real time
}  // namespace

struct SleeperNight::Impl {
    const SleeperParams& p;
    const Zone& zone;
    History& history;
    std::vector<SensorState> sensors;
    bool has_presence = false, has_lights = false, has_raw = false, has_activity = false, has_vibration = false,
         has_partner = false;

    Phase phase = Phase::out_of_bed;
    UnixS since = 0;
    std::optional<bool> light_on;
    std::optional<bool> presence;
    std::vector<Interval> masks;
    std::vector<DetectedMovement> partner_moves;
    std::vector<DetectedMovement> held;  // own movements waiting for the partner-bleed check
    std::optional<DetectedMovement> candidate;  // no presence sensor: first movement of a possible in-bed
    std::optional<UnixS> vibration_candidate;
    std::map<long long, BedMinute> minutes;
    long long next_minute = std::numeric_limits<long long>::min();
    std::optional<OpenNight> night;
    std::optional<NightSummary> last_night;
    TonightCounts idle_counts;
    UnixS last_data_t = -INF;       // latest data time seen (any sensor)
    UnixS last_data_arrival = -INF; // arrival of the latest bed/presence data
    UnixS now = -INF;
    UnixS last_state_emit = -INF;
    bool state_dirty = false;
    NightClosedHook hook;

    Impl(const SleeperParams& params, const Zone& z, History& h) : p(params), zone(z), history(h) {
        for (const auto& s : p.sensors) {
            SensorState st;
            st.kind = s.kind;
            st.partner = s.partner;
            if (s.kind == SensorKind::accel || s.kind == SensorKind::scalar) {
                st.detector.emplace(p.detector, MINUTE_S);
                (s.partner ? has_partner : has_raw) = true;
            }
            if (!s.partner) {
                has_presence |= s.kind == SensorKind::presence;
                has_lights |= s.kind == SensorKind::lights;
                has_activity |= s.kind == SensorKind::activity;
                has_vibration |= s.kind == SensorKind::vibration;
            }
            sensors.push_back(std::move(st));
        }
        auto nights = history.recent_nights(p.id, 1);
        if (!nights.empty()) last_night = nights.back();
        // Resume a night that was in progress when hypnic stopped; a damaged or foreign checkpoint
        // is ignored (the night then starts again from the next readings).
        if (auto blob = history.get_state(state_key()); blob && !blob->empty()) restore(*blob);
    }

    std::string state_key() const { return "night/" + p.id; }

    // -------------------------------------------------------------------------------------------
    // Live state

    const TonightCounts& counts() const { return night ? night->counts : idle_counts; }

    void emit_state(std::vector<OutputBody>& out) {
        out.push_back(LiveState{phase, since, counts()});
        last_state_emit = now;
        state_dirty = false;
    }

    void counts_changed(std::vector<OutputBody>& out) {
        if (now - last_state_emit >= STATE_MIN_INTERVAL_S)
            emit_state(out);
        else
            state_dirty = true;
    }

    void set_phase(Phase ph, UnixS t, std::vector<OutputBody>& out) {
        if (ph == phase) return;
        phase = ph;
        since = t;
        if (night) night->phases.emplace_back(t, ph);
        emit_state(out);  // every phase change is published at once
    }

    Phase phase_at(UnixS t) const {
        if (!night) return phase;
        // Transitions found from minutes are dated back to the run start, so the list is not sorted.
        Phase ph = Phase::out_of_bed;
        UnixS best = -INF;
        for (const auto& [at, p2] : night->phases)
            if (at <= t && at >= best) {
                best = at;
                ph = p2;
            }
        return ph;
    }

    // -------------------------------------------------------------------------------------------
    // The onset window: from lights-out (or settling start) to onset_window_after_min after onset.
    // Before onset is known its end is open, so live events use the best knowledge so far.

    std::optional<UnixS> window_start() const {
        if (!night) return std::nullopt;
        return night->settle_start;
    }

    /// Sleep starts come at the wake-to-sleep transition and in the first minutes after it: the
    /// onset follows the night's twitches by onset_after_sleep_starts (rules.hpp), always from the
    /// onset the still minutes gave (the first `asleep` phase) over every twitch recorded so far plus
    /// `extra` (one being published), so that the result does not depend on when each twitch was
    /// published. Twitches arrive in time order, so the onset only moves later.
    void follow_sleep_starts(std::optional<UnixS> extra = std::nullopt) {
        if (!night || !night->onset) return;
        auto& n = *night;
        UnixS still_onset = *n.onset;
        for (const auto& [t, ph] : n.phases)
            if (ph == Phase::asleep) {
                still_onset = t;
                break;
            }
        std::vector<UnixS> starts;
        for (const auto& e : n.events)
            if (e.type == MovementType::twitch && e.start > still_onset) starts.push_back(e.start);
        if (extra && *extra > still_onset) starts.push_back(*extra);
        const auto ws = window_start();
        n.onset = onset_after_sleep_starts(still_onset, ws ? *ws : n.in_bed, std::move(starts), p.night);
    }

    bool in_window(UnixS t) const {
        const auto ws = window_start();
        if (!ws || t < *ws) return false;
        if (night->onset) return t <= *night->onset + p.night.onset_window_after_min * 60;
        return true;
    }

    // -------------------------------------------------------------------------------------------
    // Night lifecycle

    void start_night(UnixS t, std::vector<OutputBody>& out) {
        night.emplace();
        night->in_bed = t;
        night->sleep_run_start = night->wake_run_start = minute_of(t);
        night->runs_from = t;
        phase = Phase::out_of_bed;  // so that set_phase publishes
        set_phase(Phase::awake_in_bed, t, out);
        if (light_on && !*light_on) begin_settling(t, true, out);
    }

    void begin_settling(UnixS t, bool by_signal, std::vector<OutputBody>& out) {
        if (!night) return;
        night->settle_start = t;
        night->settle_by_signal = by_signal;
        reset_runs(t);
        set_phase(Phase::settling, t, out);
    }

    /// Sleep and wake runs restart with the first whole minute at or after t.
    void reset_runs(UnixS t) {
        night->sleep_run = night->wake_run = 0;
        night->runs_from = t;
    }

    UnixS closing_deadline() const {
        if (!night) return INF;
        const LocalDate d = night_date(night->in_bed, zone, p.night.evening_start_hour);
        const LocalDate next{std::chrono::sys_days(d) + std::chrono::days(1)};
        return evening_start(next, zone, p.night.evening_start_hour);
    }

    double in_bed_s(UnixS until) const {
        double s = until - night->in_bed;
        for (const auto& a : night->away) s -= std::max(0.0, std::min(a.to, until) - a.from);
        return s;
    }

    bool away_at(UnixS t) const {
        for (const auto& a : night->away)
            if (t >= a.from && t < a.to) return true;
        return false;
    }

    /// Ends the night at `out_of_bed`: summary, history, hook; or drops a stay that was no night.
    void close_night(UnixS out_of_bed, std::vector<OutputBody>& out) {
        if (!night) return;
        release_held(INF, out);
        advance_minutes(INF, out);
        check_plm(INF, out);
        const bool is_night = night->onset && in_bed_s(out_of_bed) >= p.night.min_in_bed_min * 60;
        if (is_night) {
            NightSummary s = summarize(out_of_bed);
            // A nap later the same evening-day must not replace the real night of that date.
            auto prev = history.recent_nights(p.id, 1);
            const bool shadowed = !prev.empty() && prev.back().night == s.night && prev.back().asleep_h > s.asleep_h;
            if (!shadowed) {
                history.save_night(p.id, s);
                history.save_minutes(p.id, make_night_minutes(s.night, night->in_bed, out_of_bed, night->states,
                                                              night->events));
                last_night = s;
                out.push_back(s);
                if (hook) hook(s, now, out);
            }
        }
        night.reset();
        history.put_state(state_key(), "");
        phase = Phase::waking;  // force a publication of out_of_bed below
        set_phase(Phase::out_of_bed, out_of_bed, out);
    }

    NightSummary summarize(UnixS out_of_bed) const {
        const auto& n = *night;
        NightSummary s;
        const LocalDate d = night_date(n.in_bed, zone, p.night.evening_start_hour);
        s.night = format_date(d);
        s.in_bed = n.in_bed;
        s.lights_out = n.lights_out;
        s.sleep_onset = n.onset;
        s.out_of_bed = out_of_bed;
        const UnixS ws = n.settle_start ? *n.settle_start : n.in_bed;
        // Latency runs from lights-out (or the sleep app's start); without either, from getting into bed.
        const UnixS latency_from = n.settle_start && n.settle_by_signal ? *n.settle_start : n.in_bed;
        if (n.onset) s.onset_latency_min = (*n.onset - latency_from) / 60.0;
        const UnixS we = n.onset ? *n.onset + p.night.onset_window_after_min * 60 : out_of_bed;
        for (const auto& e : n.events) {
            if (e.start >= out_of_bed) continue;
            switch (e.type) {
                case MovementType::twitch:
                    ++s.twitches;
                    if (e.start >= ws && e.start <= we) ++s.onset_twitches;
                    break;
                case MovementType::limb_movement: ++s.limb_movements; break;
                case MovementType::large_movement: ++s.large_movements; break;
                case MovementType::plm_series: break;
            }
        }
        // Hours asleep: decided sleep minutes from onset to out of bed, bathroom trips excluded.
        int sleep_min = 0;
        if (n.onset) {
            for (const auto& [m, st] : n.states) {
                const UnixS t = m * MINUTE_S;
                if (t < *n.onset || t >= out_of_bed || away_at(t)) continue;
                if (st == score::State::sleep) ++sleep_min;
            }
        }
        s.asleep_h = sleep_min / 60.0;
        s.twitch_index = s.asleep_h > 0 ? s.twitches / s.asleep_h : 0;
        const PlmResult plm = find_plm_series(n.lms, p.detector);
        s.plm_series = static_cast<int>(std::count_if(plm.series.begin(), plm.series.end(), [&](const PlmSeries& x) {
            return n.onset && x.start >= *n.onset && x.start < out_of_bed;
        }));
        s.plm_periodicity = plm.periodicity;
        int plm_in_sleep = 0;
        for (const auto& series : plm.series)
            for (std::size_t i : series.members) {
                if (i >= n.lms.size()) continue;
                const UnixS t = n.lms[i].start;
                if (!n.onset || t < *n.onset || t >= out_of_bed) continue;
                auto it = n.states.find(minute_of(t));
                if (it != n.states.end() && it->second == score::State::sleep) ++plm_in_sleep;
            }
        s.plm_index = s.asleep_h > 0 ? plm_in_sleep / s.asleep_h : 0;

        auto prior = history.recent_nights(p.id, static_cast<std::size_t>(std::max(1, p.heavy.baseline_nights)) + 1);
        prior.erase(std::remove_if(prior.begin(), prior.end(), [&](const NightSummary& x) { return x.night == s.night; }),
                    prior.end());
        const Verdict v = judge_heavy(s.onset_twitches, prior, p.heavy);
        s.twitch_heavy = v.heavy;
        s.heavy_reason = v.reason;
        s.baseline = v.baseline;

        const auto logs = history.factors_between(p.id, evening_start(d, zone, p.night.evening_start_hour), n.in_bed);
        s.factors = summarize_factors(logs, n.in_bed, p.winddown.caffeine_cutoff_h, p.winddown.exercise_cutoff_h);
        s.sensor_resolution = resolution();
        s.coverage = coverage(out_of_bed);
        return s;
    }

    std::string resolution() const {
        char buf[96];
        for (std::size_t i = 0; i < sensors.size(); ++i) {
            const auto& st = sensors[i];
            if (st.partner || !st.detector) continue;
            const double hz = st.detector->sample_rate_hz();
            std::snprintf(buf, sizeof buf, "raw %.0f Hz %s", hz, st.kind == SensorKind::accel ? "accel" : "scalar");
            return buf;
        }
        for (const auto& st : sensors)
            if (!st.partner && st.kind == SensorKind::activity && st.epoch_s > 0) {
                std::snprintf(buf, sizeof buf, "epochs %.0f s", st.epoch_s);
                return buf;
            }
        if (has_vibration) return "coarse vibration (\u2264 1 event/min): twitches not countable";
        return "none";
    }

    /// Share of the in-bed minutes (bathroom trips excluded) that had sensor data.
    double coverage(UnixS out_of_bed) const {
        const auto& n = *night;
        double total = 0, with = 0;
        for (long long m = minute_of(n.in_bed); m * MINUTE_S < out_of_bed; ++m) {
            const UnixS t = m * MINUTE_S;
            if (away_at(t)) continue;
            // Partial first and last minutes weigh by their share of in-bed time.
            const double w = (std::min(out_of_bed, t + MINUTE_S) - std::max(n.in_bed, t)) / MINUTE_S;
            if (w <= 0) continue;
            total += w;
            with += w * minute_data_share(m);
        }
        return total > 0 ? std::clamp(with / total, 0.0, 1.0) : 0.0;
    }

    double minute_data_share(long long m) const {
        double share = 0;
        auto it = minutes.find(m);
        if (it != minutes.end()) share = std::max(share, std::min(1.0, it->second.coverage));
        // Event-only sensors (vibration) never report silence, so they cannot show gaps.
        if (!has_raw && !has_activity && has_vibration) share = 1;
        if (has_activity) {
            for (const auto& st : sensors) {
                if (st.partner || st.kind != SensorKind::activity || st.epoch_s <= 0) continue;
                double got = 0;
                for (double t = m * MINUTE_S; t < (m + 1) * MINUTE_S; t += std::min(st.epoch_s, MINUTE_S)) {
                    if (st.counts.count(static_cast<long long>(std::floor(t / st.epoch_s)))) got += std::min(st.epoch_s, MINUTE_S);
                }
                share = std::max(share, std::min(1.0, got / MINUTE_S));
            }
        }
        return share;
    }

    // -------------------------------------------------------------------------------------------
    // Movements

    bool masked(UnixS t) const {
        return std::any_of(masks.begin(), masks.end(), [&](const Interval& i) { return t >= i.from && t <= i.to; });
    }

    UnixS partner_consumed() const {
        UnixS c = INF;
        for (const auto& st : sensors)
            if (st.partner && st.detector) c = std::min(c, st.detector->consumed_until());
        return c;
    }

    UnixS own_consumed() const {
        UnixS c = -INF;
        for (const auto& st : sensors)
            if (!st.partner && st.detector) c = std::max(c, st.detector->consumed_until());
        return c;
    }

    void on_detected(std::size_t sensor, std::vector<DetectedMovement>& ms, std::vector<OutputBody>& out) {
        if (sensors[sensor].partner) {
            partner_moves.insert(partner_moves.end(), ms.begin(), ms.end());
        } else {
            held.insert(held.end(), ms.begin(), ms.end());
        }
        ms.clear();
        release_held(own_consumed(), out);
    }

    /// Releases own movements whose partner-bleed check can be decided; `force_until`: release
    /// everything that started before it regardless (end of data, night closing).
    void release_held(UnixS own_until, std::vector<OutputBody>& out) {
        std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
        const UnixS pc = partner_consumed();
        std::size_t i = 0;
        for (; i < held.size(); ++i) {
            const auto& m = held[i];
            const bool partner_done = !has_partner || pc >= m.start + p.night.bleed_window_s + BLEED_HOLD_S;
            const bool waited_enough = own_until >= m.start + BLEED_MAX_HOLD_S;
            if (!partner_done && !waited_enough) break;
            if (has_partner && is_partner_bleed(m, partner_moves, p.night.bleed_window_s, p.night.bleed_ratio)) continue;
            counted_movement(m, out);
        }
        held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(i));
        // Partner movements older than any own movement that could still be checked are no longer needed.
        const UnixS keep_from = (held.empty() ? own_until : held.front().start) - 2 * BLEED_MAX_HOLD_S;
        partner_moves.erase(std::remove_if(partner_moves.begin(), partner_moves.end(),
                                           [&](const DetectedMovement& m) { return m.start < keep_from; }),
                            partner_moves.end());
    }

    /// A movement on the sleeper's side that is neither the partner's nor an actuator's.
    void counted_movement(const DetectedMovement& m, std::vector<OutputBody>& out) {
        if (masked(m.start)) return;
        auto& bm = minutes[minute_of(m.start)];
        if (!m.on_top) bm.moving_s += m.duration_s;  // a jerk on top: its movement counted its time
        bm.large |= m.type == MovementType::large_movement;
        bm.limb |= m.type != MovementType::twitch;
        if (!night) {
            // A jerk on top of a movement is part of that movement's stir, not a second one.
            if (has_presence || m.on_top) return;
            // Without a presence sensor, sustained movement on an empty bed means someone lay down.
            if (candidate && m.start - candidate->start <= SUSTAINED_MOVE_S) {
                const DetectedMovement first = *candidate;
                candidate.reset();
                start_night(first.start, out);
                publish_movement(first, out);
                publish_movement(m, out);
            } else {
                candidate = m;
            }
            return;
        }
        publish_movement(m, out);
    }

    void publish_movement(const DetectedMovement& m, std::vector<OutputBody>& out) {
        if (!night || m.start < night->in_bed || phase_at(m.start) == Phase::out_of_bed) return;
        MovementEvent e;
        e.type = m.type;
        e.start = m.start;
        e.duration_s = m.duration_s;
        e.peak_g = m.peak_g;
        e.gravity_shift = m.gravity_shift;
        e.phase = phase_at(m.start);
        if (m.type == MovementType::twitch) follow_sleep_starts(m.start);
        e.onset_window = in_window(m.start);
        night->events.push_back(e);
        night->last_move_end = std::max(night->last_move_end, m.start + m.duration_s);
        auto& c = night->counts;
        switch (m.type) {
            case MovementType::twitch:
                ++c.twitches;
                if (e.onset_window) ++c.onset_twitches;
                break;
            case MovementType::limb_movement:
                ++c.limb_movements;
                night->lms.push_back(LimbMovement{m.start, m.duration_s});
                night->lm_peaks_g.push_back(m.peak_g);
                break;
            case MovementType::large_movement: ++c.large_movements; break;
            case MovementType::plm_series: break;
        }
        history.save_event(p.id, e);
        out.push_back(e);
        counts_changed(out);
    }

    /// Publishes PLM series that can no longer grow (no LM can follow within the longest interval).
    void check_plm(UnixS data_until, std::vector<OutputBody>& out) {
        if (!night || night->lms.size() < static_cast<std::size_t>(std::max(1, p.detector.plm_min_run))) return;
        const PlmResult r = find_plm_series(night->lms, p.detector);
        for (const auto& s : r.series) {
            if (s.members.empty() || night->plm_published.count(s.start)) continue;
            // PLMs in wake are not PLMS: only series that begin once the sleeper is asleep count.
            if (!night->onset || s.start < *night->onset) continue;
            const UnixS last_start = night->lms[s.members.back()].start;
            if (data_until < last_start + PLM_MAX_INTERVAL_S) continue;
            night->plm_published.insert(s.start);
            MovementEvent e;
            e.type = MovementType::plm_series;
            e.start = s.start;
            e.end = s.end;
            e.duration_s = s.end - s.start;
            e.count = s.count;
            for (std::size_t i : s.members)
                if (i < night->lm_peaks_g.size()) e.peak_g = std::max(e.peak_g, night->lm_peaks_g[i]);
            e.phase = phase_at(s.start);
            e.onset_window = in_window(s.start);
            history.save_event(p.id, e);
            out.push_back(e);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Minutes: sleep/wake per minute and the phase machine that runs on them

    /// Minutes before the returned index are final.
    long long minute_horizon(UnixS force_until) const {
        if (force_until == INF) {
            long long last = std::numeric_limits<long long>::min();
            for (const auto& [m, bm] : minutes) last = std::max(last, m);
            for (const auto& st : sensors)
                if (!st.counts.empty())
                    last = std::max(last, minute_of((st.counts.rbegin()->first + 1) * st.epoch_s - 1e-6));
            return last == std::numeric_limits<long long>::min() ? last : last + 1;
        }
        if (has_activity) {
            UnixS until = INF;
            for (const auto& st : sensors) {
                if (st.partner || st.kind != SensorKind::activity) continue;
                if (st.counts.empty()) return std::numeric_limits<long long>::min();
                until = std::min(until, (st.counts.rbegin()->first + 1) * st.epoch_s - lookahead_s(st.epoch_s));
            }
            return std::isfinite(until) ? minute_of(until) : std::numeric_limits<long long>::min();
        }
        if (has_raw) {
            const UnixS c = own_consumed();
            return std::isfinite(c) ? minute_of(c - MINUTE_SETTLE_S) : std::numeric_limits<long long>::min();
        }
        if (has_vibration && std::isfinite(now)) return minute_of(now - MINUTE_SETTLE_S);
        return std::numeric_limits<long long>::min();
    }

    double lookahead_s(double epoch_s) const {
        const auto& a = p.night.sleep_algorithm;
        if (a == "sadeh") return 6 * epoch_s;
        if (a == "oakley") return 2 * MINUTE_S + epoch_s;
        return 3 * epoch_s;  // cole-kripke looks two epochs ahead
    }

    /// Sleep/wake per minute from the wearable epochs, re-scored over what is held.
    std::map<long long, score::State> activity_states() const {
        std::map<long long, std::pair<int, int>> votes;  // minute -> (sleep, wake)
        for (const auto& st : sensors) {
            if (st.partner || st.kind != SensorKind::activity || st.counts.empty()) continue;
            const long long first = st.counts.begin()->first, last = st.counts.rbegin()->first;
            score::Counts c;
            c.reserve(static_cast<std::size_t>(last - first + 1));
            for (long long i = first; i <= last; ++i) {
                auto it = st.counts.find(i);
                c.push_back(it == st.counts.end() ? std::nullopt : std::optional<double>(it->second));
            }
            std::vector<score::State> s;
            const auto& a = p.night.sleep_algorithm;
            try {
                if (a == "oakley")
                    s = score::oakley(c, st.epoch_s);
                else if (a == "sadeh")
                    s = score::sadeh(c);
                else
                    s = score::cole_kripke(c);
            } catch (const std::exception&) {
                continue;  // an epoch length the algorithm does not define: no sleep/wake from it
            }
            for (std::size_t k = 0; k < s.size(); ++k) {
                if (s[k] == score::State::missing) continue;
                const UnixS t0 = static_cast<double>(first + static_cast<long long>(k)) * st.epoch_s;
                for (long long m = minute_of(t0); m * MINUTE_S < t0 + st.epoch_s; ++m)
                    (s[k] == score::State::sleep ? votes[m].first : votes[m].second)++;
            }
        }
        std::map<long long, score::State> out;
        // A minute is sleep only when most of its epochs are: ties count as wake.
        for (const auto& [m, v] : votes) out[m] = v.first > v.second ? score::State::sleep : score::State::wake;
        return out;
    }

    void advance_minutes(UnixS force_until, std::vector<OutputBody>& out) {
        const long long h = minute_horizon(force_until);
        if (h == std::numeric_limits<long long>::min()) return;
        if (next_minute == std::numeric_limits<long long>::min()) {
            next_minute = minutes.empty() ? h : std::min(h, minutes.begin()->first);
            for (const auto& st : sensors)
                if (!st.counts.empty()) next_minute = std::min(next_minute, minute_of(st.counts.begin()->first * st.epoch_s));
        }
        if (h <= next_minute) return;
        std::map<long long, score::State> act;
        if (has_activity) act = activity_states();
        for (long long m = next_minute; m < h; ++m) {
            score::State st = score::State::missing;
            if (has_activity) {
                auto it = act.find(m);
                if (it != act.end()) st = it->second;
            } else {
                BedMinute bm;
                if (auto it = minutes.find(m); it != minutes.end()) bm = it->second;
                bm.coarse_only = !has_raw && has_vibration;
                st = bed_minute_state(bm, p.night, phase != Phase::asleep);
            }
            on_minute(m, st, out);
        }
        next_minute = h;
        prune();
    }

    void on_minute(long long m, score::State st, std::vector<OutputBody>& out) {
        if (!night) return;
        auto& n = *night;
        const UnixS t = m * MINUTE_S;
        if (t + MINUTE_S <= n.in_bed) return;
        n.states[m] = st;
        if (phase == Phase::out_of_bed) return;
        // Without lights or a sleep app, settling starts at the first quiet minute in bed.
        if (t < n.runs_from - 1e-6) return;
        if (phase == Phase::awake_in_bed && !light_on && st == score::State::sleep) begin_settling(t, false, out);
        if (phase == Phase::awake_in_bed) {
            // Asleep with the light on (reading, TV): a long still stretch is sleep all the same,
            // so that the night is not lost; settling and onset are both its first minute.
            n.sleep_run = st == score::State::sleep ? n.sleep_run + 1 : 0;
            if (n.sleep_run == 1) n.sleep_run_start = m;
            if (n.sleep_run >= LIGHTS_ON_SLEEP_MIN) {
                const UnixS at = n.sleep_run_start * MINUTE_S;
                n.settle_start = at;
                n.settle_by_signal = false;
                n.onset = at;
                set_phase(Phase::settling, at, out);
                set_phase(Phase::asleep, at, out);
                n.sleep_run = n.wake_run = 0;
            }
            return;
        }
        if (st == score::State::sleep) {
            if (n.sleep_run == 0) n.sleep_run_start = m;
            ++n.sleep_run;
        } else {
            n.sleep_run = 0;
        }
        if (st == score::State::wake) {
            if (n.wake_run == 0) n.wake_run_start = m;
            ++n.wake_run;
        } else {
            n.wake_run = 0;
        }
        std::optional<long long> asleep_from;
        // The first onset from a bed sensor also needs the still run to open a section with no more
        // than one moving minute: someone lying awake keeps adjusting, a sleeper moves rarely (the
        // immobile-minutes rule of Actiware). Wearable epochs keep Tudor-Locke's run alone.
        if (phase == Phase::settling && !has_activity && !n.onset && p.night.onset_section_min > 0)
            asleep_from = still_section_from(m);
        else if ((phase == Phase::settling || phase == Phase::waking) && n.sleep_run >= p.night.onset_sleep_min)
            asleep_from = n.sleep_run_start;
        if (asleep_from) {
            const UnixS at = *asleep_from * MINUTE_S;
            if (!n.onset) {
                n.onset = at;
                follow_sleep_starts();
            }
            set_phase(Phase::asleep, at, out);
            n.wake_run = 0;
        } else if (phase == Phase::asleep && n.wake_run >= p.night.wake_min) {
            const UnixS at = n.wake_run_start * MINUTE_S;
            n.waking_since = at;
            set_phase(Phase::waking, at, out);
            n.sleep_run = 0;
        }
    }

    /// The first minute of the section of max(onset_section_min, onset_sleep_min) minutes that ends
    /// with minute m when the section lies after settling began, opens with onset_sleep_min sleep
    /// minutes (Tudor-Locke's run), holds no missing minute and at most one wake minute; otherwise
    /// nothing. Each section is looked at once, when its last minute is decided.
    std::optional<long long> still_section_from(long long m) const {
        const auto& n = *night;
        const long long first = m - std::max(p.night.onset_section_min, p.night.onset_sleep_min) + 1;
        if (first * MINUTE_S < n.runs_from - 1e-6) return std::nullopt;
        int moving = 0;
        for (long long k = first; k <= m; ++k) {
            const auto it = n.states.find(k);
            if (it == n.states.end() || it->second == score::State::missing) return std::nullopt;
            if (it->second != score::State::wake) continue;
            if (k < first + p.night.onset_sleep_min || ++moving > 1) return std::nullopt;
        }
        return first;
    }

    void prune() {
        // Keep only what the open night (or a possible next one) can still use.
        const UnixS keep_from = night ? night->in_bed - 10 * MINUTE_S : now - 3 * 3600;
        const long long km = minute_of(keep_from);
        while (!minutes.empty() && minutes.begin()->first < km && minutes.begin()->first < next_minute)
            minutes.erase(minutes.begin());
        for (auto& st : sensors) {
            if (st.epoch_s <= 0) continue;
            while (!st.counts.empty() && st.counts.begin()->first * st.epoch_s < keep_from - 30 * MINUTE_S)
                st.counts.erase(st.counts.begin());
        }
        masks.erase(std::remove_if(masks.begin(), masks.end(), [&](const Interval& i) { return i.to < keep_from - 3600; }),
                    masks.end());
    }

    // -------------------------------------------------------------------------------------------
    // Clock-driven checks

    void checks(std::vector<OutputBody>& out) {
        if (!night) return;
        const double trip_s = p.night.bathroom_trip_max_min * 60;
        if (night->out_since && now - *night->out_since > trip_s) {
            close_night(*night->out_since, out);
            return;
        }
        if (!has_presence && night->onset && night->waking_since && phase != Phase::out_of_bed) {
            // No presence sensor: complete stillness long after a wake spell means an empty bed.
            const UnixS last = std::max(night->last_move_end, *night->waking_since);
            const UnixS data_until = has_raw ? own_consumed() : now;
            if (data_until - last > EMPTY_BED_FACTOR * trip_s) {
                close_night(last, out);
                return;
            }
        }
        // Only streaming sensors (raw, epochs) can stop: a vibration or presence sensor is silent by design.
        if (night->onset && streaming() && now - last_data_arrival > p.night.data_stopped_min * 60) {
            const UnixS at = night->out_since ? *night->out_since : std::max(night->in_bed, last_data_t);
            close_night(at, out);
            return;
        }
        if (now >= closing_deadline()) {
            const UnixS at = night->out_since ? *night->out_since : std::min(closing_deadline(), std::max(night->in_bed, last_data_t));
            close_night(at, out);
        }
    }

    void fire_sources(UnixS t) {
        for (std::size_t i = 0; i < sensors.size(); ++i) {
            auto& st = sensors[i];
            const auto& spec = p.sensors[i];
            if (st.kind != SensorKind::source || !st.on_since || st.fired || !spec.factor) continue;
            if (t - *st.on_since < spec.for_s) continue;
            st.fired = true;
            FactorLog log;
            log.t = *st.on_since;
            log.factor = *spec.factor;
            log.amount = spec.amount;
            log.source = spec.topic;
            history.save_factor(p.id, log);
        }
    }

    UnixS next_due() const {
        UnixS next = INF;
        if (state_dirty) next = std::min(next, last_state_emit + STATE_MIN_INTERVAL_S);
        for (std::size_t i = 0; i < sensors.size(); ++i) {
            const auto& st = sensors[i];
            if (st.kind == SensorKind::source && st.on_since && !st.fired && p.sensors[i].factor)
                next = std::min(next, *st.on_since + p.sensors[i].for_s);
        }
        if (night) {
            if (night->out_since) next = std::min(next, *night->out_since + p.night.bathroom_trip_max_min * 60 + 1e-3);
            if (night->onset && streaming()) next = std::min(next, last_data_arrival + p.night.data_stopped_min * 60 + 1e-3);
            if (!has_presence && night->onset && night->waking_since && !has_raw)
                next = std::min(next, std::max(night->last_move_end, *night->waking_since) +
                                          EMPTY_BED_FACTOR * p.night.bathroom_trip_max_min * 60 + 1e-3);
            // A vibration sensor is silent when nothing moves, so its minutes are decided by the clock.
            if (has_vibration && !has_raw && !has_activity && next_minute != std::numeric_limits<long long>::min())
                next = std::min(next, (next_minute + 1) * MINUTE_S + MINUTE_SETTLE_S);
            next = std::min(next, closing_deadline());
        }
        return std::max(next, now);
    }

    void after_bed_data(std::vector<OutputBody>& out) {
        advance_minutes(now, out);
        if (night) check_plm(has_raw ? own_consumed() : now, out);
        checks(out);
    }

    template <typename Batch>
    void feed_raw(std::size_t sensor, const Batch& b, std::size_t samples, std::vector<OutputBody>& out) {
        auto& st = sensors[sensor];
        if (!st.detector || !(b.hz > 0) || !std::isfinite(b.t0)) return;
        std::vector<DetectedMovement> ms;
        st.detector->feed(b, ms);
        std::vector<EpochActivity> epochs;
        st.detector->take_epochs(epochs);
        if (!st.partner)
            for (const auto& e : epochs) {
                auto& bm = minutes[minute_of(e.start + 1e-6)];
                bm.coverage = std::max(bm.coverage, e.coverage);
            }
        note_data(b.t0 + static_cast<double>(samples) / b.hz);
        on_detected(sensor, ms, out);
        after_bed_data(out);
    }

    std::string serialize() const {
        Writer w;
        auto fin = [](double x) { return std::isfinite(x) ? std::optional<double>(x) : std::nullopt; };
        const bool has_next = next_minute != std::numeric_limits<long long>::min();
        w.word(CHECKPOINT_MAGIC);
        w.integer(static_cast<int>(phase));
        w.num(since);
        w.integer(light_on ? *light_on : -1);
        w.integer(presence ? *presence : -1);
        w.opt(fin(last_data_t));
        w.opt(fin(last_data_arrival));
        w.integer(has_next ? 1 : 0);
        w.integer(has_next ? next_minute : 0);
        w.integer(static_cast<long long>(minutes.size()));
        for (const auto& [m, b] : minutes) {
            w.integer(m);
            w.num(b.moving_s);
            w.integer(b.large);
            w.integer(b.limb);
            w.integer(b.vibrations);
            w.num(b.coverage);
        }
        w.integer(static_cast<long long>(sensors.size()));
        for (const auto& st : sensors) {
            w.opt(st.on_since);
            w.integer(st.fired);
            w.integer(st.mask_on);
        }
        w.integer(static_cast<long long>(masks.size()));
        for (const auto& m : masks) {
            w.num(m.from);
            w.opt(fin(m.to));
        }
        w.integer(night ? 1 : 0);
        if (night) {
            const auto& n = *night;
            w.num(n.in_bed);
            w.opt(n.lights_out);
            w.opt(n.settle_start);
            w.integer(n.settle_by_signal);
            w.opt(n.onset);
            w.opt(n.out_since);
            w.opt(n.waking_since);
            w.num(n.runs_from);
            w.integer(n.sleep_run_start);
            w.integer(n.sleep_run);
            w.integer(n.wake_run_start);
            w.integer(n.wake_run);
            w.opt(fin(n.last_move_end));
            w.integer(n.counts.onset_twitches);
            w.integer(n.counts.twitches);
            w.integer(n.counts.limb_movements);
            w.integer(n.counts.large_movements);
            w.integer(static_cast<long long>(n.away.size()));
            for (const auto& a : n.away) {
                w.num(a.from);
                w.num(a.to);
            }
            w.integer(static_cast<long long>(n.phases.size()));
            for (const auto& [t, ph] : n.phases) {
                w.num(t);
                w.integer(static_cast<int>(ph));
            }
            w.integer(static_cast<long long>(n.events.size()));
            for (const auto& e : n.events) {
                w.integer(static_cast<int>(e.type));
                w.num(e.start);
                w.num(e.duration_s);
                w.num(e.peak_g);
                w.integer(static_cast<int>(e.phase));
                w.integer(e.onset_window);
                w.integer(e.gravity_shift);
            }
            w.integer(static_cast<long long>(n.lms.size()));
            for (std::size_t i = 0; i < n.lms.size(); ++i) {
                w.num(n.lms[i].start);
                w.num(n.lms[i].duration_s);
                w.num(i < n.lm_peaks_g.size() ? n.lm_peaks_g[i] : 0);
            }
            w.integer(static_cast<long long>(n.plm_published.size()));
            for (double t : n.plm_published) w.num(t);
            w.integer(static_cast<long long>(n.states.size()));
            for (const auto& [m, st] : n.states) {
                w.integer(m);
                w.integer(static_cast<int>(st));
            }
        }
        save_stream_state(w);
        w.word("end");
        return w.str();
    }

    static void save_movement(Writer& w, const DetectedMovement& m) {
        w.integer(static_cast<int>(m.type));
        w.num(m.start);
        w.num(m.duration_s);
        w.num(m.peak_g);
        w.integer(m.gravity_shift);
        w.num(m.peak_after_s);
        w.integer(m.on_top);
    }

    /// `version` 2 lacked the peak's time (taken as the start) and the on-top mark (none was).
    static DetectedMovement load_movement(Reader& r, int version) {
        DetectedMovement m;
        m.type = static_cast<MovementType>(r.integer(0, 2));
        m.start = r.num();
        m.duration_s = r.num();
        m.peak_g = r.num();
        m.gravity_shift = r.flag();
        if (version >= 3) {
            m.peak_after_s = r.num();
            m.on_top = r.flag();
            // The peak may lie past the published end (a duration is measured to the last sample
            // above the off level less half the envelope window), never before the start.
            if (!(m.peak_after_s >= 0) || (m.on_top && m.type != MovementType::twitch)) r.reject();
        }
        return m;
    }

    /// Version 2: what lies between the sensors and the night (detector state, movements not yet
    /// decided, wearable epochs, live-state timing).
    void save_stream_state(Writer& w) const {
        auto fin = [](double x) { return std::isfinite(x) ? std::optional<double>(x) : std::nullopt; };
        w.opt(fin(now));
        w.opt(fin(last_state_emit));
        w.integer(state_dirty);
        w.integer(idle_counts.onset_twitches);
        w.integer(idle_counts.twitches);
        w.integer(idle_counts.limb_movements);
        w.integer(idle_counts.large_movements);
        w.integer(candidate ? 1 : 0);
        if (candidate) save_movement(w, *candidate);
        w.opt(vibration_candidate);
        for (const auto* v : {&held, &partner_moves}) {
            w.integer(static_cast<long long>(v->size()));
            for (const auto& m : *v) save_movement(w, m);
        }
        for (const auto& st : sensors) {
            w.integer(st.detector ? 1 : 0);
            if (st.detector) st.detector->save_state(w);
            w.num(st.epoch_s);
            w.integer(static_cast<long long>(st.counts.size()));
            for (const auto& [i, c] : st.counts) {
                w.integer(i);
                w.num(c);
            }
        }
    }

    /// What restore() reads of version 2, staged until the whole checkpoint proved sound.
    struct StreamState {
        std::optional<double> now, last_state_emit;
        bool state_dirty = false;
        TonightCounts idle;
        std::optional<DetectedMovement> candidate;
        std::optional<double> vibration_candidate;
        std::vector<DetectedMovement> held, partner_moves;
        std::vector<std::optional<Detector>> detectors;
        std::vector<std::pair<double, std::map<long long, double>>> epochs;
    };

    std::optional<StreamState> load_stream_state(Reader& r, int version) const {
        StreamState s;
        s.now = r.opt();
        s.last_state_emit = r.opt();
        s.state_dirty = r.flag();
        s.idle.onset_twitches = static_cast<int>(r.integer(0, 1000000));
        s.idle.twitches = static_cast<int>(r.integer(0, 1000000));
        s.idle.limb_movements = static_cast<int>(r.integer(0, 1000000));
        s.idle.large_movements = static_cast<int>(r.integer(0, 1000000));
        if (r.flag()) s.candidate = load_movement(r, version);
        s.vibration_candidate = r.opt();
        for (auto* v : {&s.held, &s.partner_moves})
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) v->push_back(load_movement(r, version));
        for (const auto& st : sensors) {
            if (!r.ok()) return std::nullopt;
            // The sensor list was checked already; a detector where the configuration has none
            // (or the reverse) means the checkpoint belongs to another configuration.
            if (r.flag() != st.detector.has_value()) return std::nullopt;
            auto& d = s.detectors.emplace_back();
            if (st.detector) {
                d.emplace(p.detector, MINUTE_S);
                if (!d->restore_state(r)) return std::nullopt;
            }
            auto& [epoch_s, counts] = s.epochs.emplace_back();
            epoch_s = r.num();
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
                const long long idx = r.integer(-MINUTE_LIMIT * 60, MINUTE_LIMIT * 60);
                counts[idx] = r.num();
            }
        }
        if (!r.ok()) return std::nullopt;
        return s;
    }

    /// Restores a checkpoint; returns false (and changes nothing) when it is malformed or was
    /// written for another sensor list.
    bool restore(const std::string& blob) {
        Reader r(blob);
        const int version = r.next_is(CHECKPOINT_MAGIC) ? 3 : r.next_is(CHECKPOINT_MAGIC_V2) ? 2 : r.word(CHECKPOINT_MAGIC_V1) ? 1 : 0;
        if (version == 0) return false;
        auto phase_of = [&](long long x) { return static_cast<Phase>(x); };
        const Phase ph = phase_of(r.integer(0, 4));
        const double since_t = r.num();
        const long long lo = r.integer(-1, 1), pr = r.integer(-1, 1);
        const auto ldt = r.opt();
        const auto lda = r.opt();
        const long long has_next = r.integer(0, 1);
        const long long nm = r.integer(-MINUTE_LIMIT, MINUTE_LIMIT);
        std::map<long long, BedMinute> mins;
        for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
            const long long m = r.integer(-MINUTE_LIMIT, MINUTE_LIMIT);
            BedMinute b;
            b.moving_s = r.num();
            b.large = r.integer(0, 1);
            b.limb = r.integer(0, 1);
            b.vibrations = static_cast<int>(r.integer(0, 1000000));
            b.coverage = r.num();
            mins[m] = b;
        }
        const std::size_t ns = r.count();
        if (!r.ok() || ns != sensors.size()) return false;
        std::vector<std::tuple<std::optional<double>, bool, bool>> src;
        for (std::size_t i = 0; r.ok() && i < ns; ++i) {
            auto on = r.opt();
            const bool fired = r.integer(0, 1);
            const bool mask = r.integer(0, 1);
            src.emplace_back(on, fired, mask);
        }
        std::vector<Interval> mk;
        for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
            Interval iv;
            iv.from = r.num();
            iv.to = r.opt().value_or(INF);
            mk.push_back(iv);
        }
        std::optional<OpenNight> nt;
        if (r.integer(0, 1) == 1) {
            OpenNight n;
            n.in_bed = r.num();
            n.lights_out = r.opt();
            n.settle_start = r.opt();
            n.settle_by_signal = r.integer(0, 1);
            n.onset = r.opt();
            n.out_since = r.opt();
            n.waking_since = r.opt();
            n.runs_from = r.num();
            n.sleep_run_start = r.integer(-MINUTE_LIMIT, MINUTE_LIMIT);
            n.sleep_run = static_cast<int>(r.integer(0, 100000));
            n.wake_run_start = r.integer(-MINUTE_LIMIT, MINUTE_LIMIT);
            n.wake_run = static_cast<int>(r.integer(0, 100000));
            n.last_move_end = r.opt().value_or(-INF);
            n.counts.onset_twitches = static_cast<int>(r.integer(0, 1000000));
            n.counts.twitches = static_cast<int>(r.integer(0, 1000000));
            n.counts.limb_movements = static_cast<int>(r.integer(0, 1000000));
            n.counts.large_movements = static_cast<int>(r.integer(0, 1000000));
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
                Interval a;
                a.from = r.num();
                a.to = r.num();
                n.away.push_back(a);
            }
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
                const double t = r.num();
                n.phases.emplace_back(t, phase_of(r.integer(0, 4)));
            }
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
                MovementEvent e;
                e.type = static_cast<MovementType>(r.integer(0, 3));
                e.start = r.num();
                e.duration_s = r.num();
                e.peak_g = r.num();
                e.phase = phase_of(r.integer(0, 4));
                e.onset_window = r.integer(0, 1);
                e.gravity_shift = r.integer(0, 1);
                n.events.push_back(e);
            }
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
                LimbMovement lm;
                lm.start = r.num();
                lm.duration_s = r.num();
                n.lms.push_back(lm);
                n.lm_peaks_g.push_back(r.num());
            }
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) n.plm_published.insert(r.num());
            for (std::size_t i = 0, k = r.count(); r.ok() && i < k; ++i) {
                const long long m = r.integer(-MINUTE_LIMIT, MINUTE_LIMIT);
                const auto c = static_cast<char>(r.integer(0, 127));
                if (c != 'S' && c != 'W' && c != '?') return false;
                n.states[m] = static_cast<score::State>(c);
            }
            nt = std::move(n);
        }
        std::optional<StreamState> stream;
        if (version >= 2 && r.ok()) {
            stream = load_stream_state(r, version);
            if (!stream) return false;
        }
        if (!r.word("end") || !r.ok()) return false;
        phase = ph;
        since = since_t;
        light_on = lo < 0 ? std::nullopt : std::optional<bool>(lo == 1);
        presence = pr < 0 ? std::nullopt : std::optional<bool>(pr == 1);
        last_data_t = ldt.value_or(-INF);
        last_data_arrival = lda.value_or(-INF);
        next_minute = has_next == 1 ? nm : std::numeric_limits<long long>::min();
        minutes = std::move(mins);
        for (std::size_t i = 0; i < ns; ++i) {
            sensors[i].on_since = std::get<0>(src[i]);
            sensors[i].fired = std::get<1>(src[i]);
            sensors[i].mask_on = std::get<2>(src[i]);
        }
        masks = std::move(mk);
        night = std::move(nt);
        if (stream) {
            now = stream->now.value_or(-INF);
            last_state_emit = stream->last_state_emit.value_or(-INF);
            state_dirty = stream->state_dirty;
            idle_counts = stream->idle;
            candidate = stream->candidate;
            vibration_candidate = stream->vibration_candidate;
            held = std::move(stream->held);
            partner_moves = std::move(stream->partner_moves);
            for (std::size_t i = 0; i < ns; ++i) {
                if (stream->detectors[i]) sensors[i].detector = std::move(stream->detectors[i]);
                sensors[i].epoch_s = stream->epochs[i].first;
                sensors[i].counts = std::move(stream->epochs[i].second);
            }
        }
        return true;
    }

    bool streaming() const { return has_raw || has_activity; }

    /// Streaming data (raw batches, epochs) arrived: the data-stopped clock restarts.
    void note_data(UnixS t) {
        last_data_t = std::max(last_data_t, t);
        last_data_arrival = now;
    }
};

SleeperNight::SleeperNight(const SleeperParams& params, const Zone& zone, History& history)
    : impl_(std::make_unique<Impl>(params, zone, history)) {}
SleeperNight::~SleeperNight() = default;

void SleeperNight::on_accel(std::size_t sensor, UnixS now, const AccelBatch& b, std::vector<OutputBody>& out) {
    impl_->now = now;
    impl_->feed_raw(sensor, b, b.xyz_g.size(), out);
}
void SleeperNight::on_scalar(std::size_t sensor, UnixS now, const ScalarBatch& b, std::vector<OutputBody>& out) {
    impl_->now = now;
    impl_->feed_raw(sensor, b, b.v.size(), out);
}

void SleeperNight::on_vibration(std::size_t sensor, UnixS now, const VibrationReport& r, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    if (im.sensors[sensor].partner || im.masked(r.t)) return;
    im.minutes[minute_of(r.t)].vibrations++;
    im.note_data(r.t);
    if (!im.night && !im.has_presence && !im.has_raw) {
        if (im.vibration_candidate && r.t - *im.vibration_candidate <= SUSTAINED_VIBRATION_S) {
            im.start_night(*im.vibration_candidate, out);
            im.vibration_candidate.reset();
        } else {
            im.vibration_candidate = r.t;
        }
    }
    im.after_bed_data(out);
}

void SleeperNight::on_activity(std::size_t sensor, UnixS now, const ActivityEpochs& e, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    auto& st = im.sensors[sensor];
    if (st.partner || !(e.epoch_s > 0) || !std::isfinite(e.t0)) return;
    // A sensor that changes its epoch length starts a fresh series.
    if (st.epoch_s != e.epoch_s) st.counts.clear();
    st.epoch_s = e.epoch_s;
    for (std::size_t i = 0; i < e.counts.size(); ++i) {
        if (!std::isfinite(e.counts[i]) || e.counts[i] < 0) continue;
        const UnixS t = e.t0 + static_cast<double>(i) * e.epoch_s;
        st.counts[static_cast<long long>(std::floor(t / e.epoch_s + 1e-6))] = e.counts[i];
    }
    im.note_data(e.t0 + static_cast<double>(e.counts.size()) * e.epoch_s);
    im.after_bed_data(out);
}

void SleeperNight::on_presence(std::size_t, UnixS now, const PresenceReading& r, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    im.note_data(r.t);
    const bool was = im.presence.value_or(false);
    im.presence = r.in_bed;
    im.checks(out);  // a bathroom trip that ran too long closes the night before anything else
    if (r.in_bed == was && im.night) return;  // a re-statement
    if (r.in_bed) {
        if (!im.night) {
            im.start_night(r.t, out);
            return;
        }
        auto& n = *im.night;
        if (n.out_since) {
            n.away.push_back(Interval{*n.out_since, r.t});
            n.out_since.reset();
            im.reset_runs(r.t);
            // Back from a trip: awake after sleep until sleep returns; before sleep, settling again
            // unless the lights are known to be on.
            if (n.onset)
                im.set_phase(Phase::waking, r.t, out);
            else if (n.settle_start && !im.light_on.value_or(false))
                im.set_phase(Phase::settling, r.t, out);
            else
                im.set_phase(Phase::awake_in_bed, r.t, out);
        }
    } else if (im.night && !im.night->out_since) {
        im.night->out_since = r.t;
        im.set_phase(Phase::out_of_bed, r.t, out);
    }
}

void SleeperNight::on_light(std::size_t sensor, UnixS now, const LightReading& r, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    if (im.sensors[sensor].partner) return;
    const std::optional<bool> was = im.light_on;
    im.light_on = r.on;
    if (was && *was == r.on) return;
    if (!im.night) return;
    auto& n = *im.night;
    if (!r.on && !n.onset && (im.phase == Phase::awake_in_bed || im.phase == Phase::settling)) {
        n.lights_out = r.t;
        im.begin_settling(r.t, true, out);
    } else if (r.on && !n.onset && im.phase == Phase::settling && n.lights_out) {
        // Lights back on before sleep: awake again; the next lights-out restarts the window.
        im.set_phase(Phase::awake_in_bed, r.t, out);
    }
    im.checks(out);
}

void SleeperNight::on_sleep_app(std::size_t, UnixS now, const SleepAppEvent& e, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    if (e.event == "sleep_tracking_started") {
        if (!im.night && !im.has_presence) im.start_night(e.t, out);
        if (im.night && !im.night->onset && im.phase == Phase::awake_in_bed) im.begin_settling(e.t, true, out);
    } else if (e.event == "sleep_tracking_stopped") {
        if (im.night && im.night->onset && im.phase == Phase::asleep) {
            im.night->waking_since = e.t;
            im.set_phase(Phase::waking, e.t, out);
        }
    }
    im.checks(out);
}

void SleeperNight::on_source(std::size_t sensor, UnixS now, const SourceValue& v, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    auto& st = im.sensors[sensor];
    const auto& spec = im.p.sensors[sensor];
    if (!std::isfinite(v.value)) return;
    const bool on = v.value > spec.above;
    if (st.kind == SensorKind::mask) {
        if (on && !st.mask_on) im.masks.push_back(Interval{v.t, INF});
        if (!on && st.mask_on && !im.masks.empty()) {
            for (auto it = im.masks.rbegin(); it != im.masks.rend(); ++it)
                if (it->to == INF) {
                    it->to = v.t;
                    break;
                }
        }
        st.mask_on = on;
    } else if (st.kind == SensorKind::source) {
        if (on && !st.on_since) {
            st.on_since = v.t;
            st.fired = false;
        } else if (!on) {
            st.on_since.reset();
            st.fired = false;
        }
        im.fire_sources(v.t);
    }
    im.checks(out);
}

void SleeperNight::on_factor(std::size_t, UnixS now, const FactorLog& log, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    if (!std::isfinite(log.t) || !std::isfinite(log.amount)) return;
    im.history.save_factor(im.p.id, log);
    im.checks(out);
}

void SleeperNight::on_time(UnixS now, std::vector<OutputBody>& out) {
    auto& im = *impl_;
    im.now = now;
    im.fire_sources(now);
    if (im.has_vibration && !im.has_raw) im.advance_minutes(now, out);
    im.checks(out);
    if (im.state_dirty && now >= im.last_state_emit + STATE_MIN_INTERVAL_S) im.emit_state(out);
}

UnixS SleeperNight::next_wakeup() const { return impl_->next_due(); }

void SleeperNight::retained(std::vector<OutputBody>& out) const {
    out.push_back(LiveState{impl_->phase, impl_->since, impl_->counts()});
    if (impl_->last_night) out.push_back(*impl_->last_night);
}

void SleeperNight::checkpoint() { impl_->history.put_state(impl_->state_key(), impl_->serialize()); }

void SleeperNight::set_night_closed_hook(NightClosedHook hook) { impl_->hook = std::move(hook); }
const SleeperParams& SleeperNight::params() const { return impl_->p; }
Phase SleeperNight::phase() const { return impl_->phase; }
const std::optional<NightSummary>& SleeperNight::last_night() const { return impl_->last_night; }


// The live view's copy of the open night: summarize() as if the night closed now, without saving,
// publishing or changing anything.
std::optional<NightSoFar> SleeperNight::night_so_far() const {
    const auto& im = *impl_;
    if (!im.night) return std::nullopt;
    const auto& n = *im.night;
    const UnixS until = std::isfinite(im.now) ? std::max(im.now, n.in_bed) : n.in_bed;
    NightSoFar so;
    so.summary = im.summarize(until);
    so.summary.out_of_bed.reset();
    so.phases = n.phases;
    // Transitions found from minutes are dated back to their run's start, so the list is not sorted.
    std::stable_sort(so.phases.begin(), so.phases.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    so.phase = im.phase;
    so.minutes = make_night_minutes(so.summary.night, n.in_bed, until, n.states, n.events);
    so.events = n.events;
    so.onset_window_from = im.window_start();
    if (so.onset_window_from && n.onset) so.onset_window_to = *n.onset + im.p.night.onset_window_after_min * 60;
    so.until = until;
    return so;
}

}  // namespace hypnic::night
