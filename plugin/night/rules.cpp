// Pure rules of a night: naming, per-minute bed sleep/wake, onset, partner bleed, factors, verdict.
#include "plugin/night/rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hypnic::night {

LocalDate night_date(UnixS t, const Zone& zone, int evening_start_hour) {
    const LocalDate d = local_date(t, zone);
    if (local_seconds_of_day(t, zone) < evening_start_hour * 3600.0)
        return LocalDate(std::chrono::sys_days(d) - std::chrono::days(1));
    return d;
}

UnixS evening_start(LocalDate date, const Zone& zone, int evening_start_hour) {
    return zone.to_instant(date, evening_start_hour * 3600);
}

score::State bed_minute_state(const BedMinute& m, const NightParams& p, bool strict) {
    if (m.large || m.vibrations > 0 || m.moving_s >= p.wake_moving_s) return score::State::wake;
    // Falling asleep needs real stillness; once asleep, brief limb movements (PLMs) are part of sleep.
    if (strict && m.limb) return score::State::wake;
    // A vibration sensor only speaks when something moves, so its silence counts as a quiet minute.
    if (m.coarse_only) return score::State::sleep;
    if (m.coverage < p.min_minute_coverage) return score::State::missing;
    return score::State::sleep;
}

std::optional<std::size_t> find_run(const std::vector<score::State>& states, std::size_t from, int n,
                                    score::State kind) {
    if (n <= 0) return from < states.size() ? std::optional<std::size_t>(from) : std::nullopt;
    int run = 0;
    for (std::size_t i = from; i < states.size(); ++i) {
        run = states[i] == kind ? run + 1 : 0;
        if (run >= n) return i + 1 - static_cast<std::size_t>(n);
    }
    return std::nullopt;
}

namespace {
/// Stragglers and bursts after the onset window has closed, chained (see onset_after_sleep_starts).
UnixS chain_sleep_starts(UnixS onset, UnixS latest, const std::vector<UnixS>& sorted, const NightParams& p) {
    const double gap_s = p.onset_twitch_gap_min * 60, burst_s = p.onset_burst_gap_min * 60;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const UnixS t = sorted[i];
        const UnixS window_end = onset + p.onset_window_after_min * 60;
        if (t <= window_end || t > latest) continue;
        const bool straggler = gap_s > 0 && t - window_end <= gap_s;
        // A lone twitch far from the window may be a sleep start of the night or a misread
        // movement; two in a row are the transition.
        const bool burst = burst_s > 0 && i + 1 < sorted.size() && sorted[i + 1] - t <= burst_s;
        if (straggler || burst) onset = t;
    }
    return onset;
}
}  // namespace

UnixS onset_after_sleep_starts(UnixS onset, UnixS settle_from, std::vector<UnixS> twitch_starts, const NightParams& p) {
    std::sort(twitch_starts.begin(), twitch_starts.end());
    const UnixS latest = settle_from + p.onset_settle_max_min * 60;
    const UnixS chained = chain_sleep_starts(onset, latest, twitch_starts, p);
    // Once the onset sits on a sleep start (moved before, or by the chain just now), the rest of its
    // burst belongs to it.
    if (chained != onset || std::find(twitch_starts.begin(), twitch_starts.end(), onset) != twitch_starts.end())
        return chained;
    // Still minutes before a burst inside the window were lying awake: they must not pull the onset
    // earlier than the burst's first twitch.
    const double burst_s = p.onset_burst_gap_min * 60, single_s = p.onset_single_start_min * 60;
    for (std::size_t i = 0; i < twitch_starts.size(); ++i) {
        const UnixS t = twitch_starts[i];
        if (t <= onset || t > latest || t > onset + p.onset_window_after_min * 60) continue;
        const bool burst = burst_s > 0 && i + 1 < twitch_starts.size() && twitch_starts[i + 1] - t <= burst_s;
        // A sleep start this soon after the stillness began shows those still minutes were the
        // drowsy approach to the transition, not sleep yet.
        const bool single = single_s > 0 && t - onset <= single_s;
        if (burst || single) return chain_sleep_starts(t, latest, twitch_starts, p);
    }
    return onset;
}

bool is_partner_bleed(const DetectedMovement& own, const std::vector<DetectedMovement>& partner, double window_s,
                      double ratio) {
    return std::any_of(partner.begin(), partner.end(), [&](const DetectedMovement& m) {
        // A jerk on top of a longer movement stands out from what surrounds it on this side. When
        // it is the partner's, felt through the mattress, the partner's side has it higher: as a
        // twitch of theirs, or as the crest of their movement.
        if (own.on_top && m.type != MovementType::twitch) {
            const double crest = m.start + m.peak_after_s;
            return crest >= own.start - window_s && crest <= own.start + own.duration_s + window_s &&
                   m.peak_g >= ratio * own.peak_g;
        }
        // A long partner movement reaches this side as a string of weak fragments: any of them that
        // starts while the partner moves (± the window) is the partner's.
        return own.start >= m.start - window_s && own.start <= m.start + m.duration_s + window_s &&
               m.peak_g >= ratio * own.peak_g;
    });
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mad(const std::vector<double>& v) {
    const double m = median(v);
    std::vector<double> dev;
    dev.reserve(v.size());
    for (double x : v) dev.push_back(std::abs(x - m));
    return median(dev);
}

std::string short_number(double x) {
    char buf[32];
    if (std::abs(x - std::round(x)) < 1e-9)
        std::snprintf(buf, sizeof buf, "%.0f", x);
    else
        std::snprintf(buf, sizeof buf, "%.1f", x);
    return buf;
}

namespace {
std::string twitches_phrase(int n) {
    return std::to_string(n) + (n == 1 ? " twitch" : " twitches") + " while falling asleep";
}
}  // namespace

Verdict judge_heavy(int onset_twitches, const std::vector<NightSummary>& prior, const HeavyParams& p) {
    Verdict v;
    const int floor_threshold = std::max(1, p.default_onset_twitches);
    const std::size_t window = static_cast<std::size_t>(std::max(1, p.baseline_nights));
    const std::size_t from = prior.size() > window ? prior.size() - window : 0;
    std::vector<double> onset, index, usual_onset, usual_index;
    for (std::size_t i = from; i < prior.size(); ++i) {
        onset.push_back(prior[i].onset_twitches);
        index.push_back(prior[i].twitch_index);
        if (prior[i].twitch_heavy) continue;
        usual_onset.push_back(prior[i].onset_twitches);
        usual_index.push_back(prior[i].twitch_index);
    }
    if (static_cast<int>(onset.size()) < std::max(1, p.min_nights)) {
        v.baseline.threshold = floor_threshold;
        v.heavy = onset_twitches >= floor_threshold;
        v.reason = twitches_phrase(onset_twitches) + "; " + std::to_string(floor_threshold) +
                   " or more counts as twitch-heavy until " + std::to_string(std::max(1, p.min_nights)) +
                   " nights are recorded (" + std::to_string(onset.size()) + " so far)";
        return v;
    }
    // The usual night is one that was not twitch-heavy. Left in, frequent heavy nights widen the
    // spread and raise the median until they no longer stand out (a third of the nights heavy put
    // the threshold at 10-29 on the accuracy benchmark's 25-night series). While fewer than
    // min_nights usual nights remain in the window (a lasting change), every night in it counts, so
    // a new normal becomes the usual.
    const bool left_out = usual_onset.size() < onset.size() && static_cast<int>(usual_onset.size()) >= std::max(1, p.min_nights);
    if (left_out) {
        onset = std::move(usual_onset);
        index = std::move(usual_index);
    }
    auto& b = v.baseline;
    b.nights = static_cast<int>(onset.size());
    b.onset_twitches_median = median(onset);
    b.onset_twitches_mad = mad(onset);
    b.twitch_index_median = median(index);
    b.twitch_index_mad = mad(index);
    // A spread of at least one twitch keeps a very regular sleeper's usual night from turning heavy
    // by a single extra twitch.
    const double sigma = std::max(1.4826 * b.onset_twitches_mad, 1.0);
    const double limit = b.onset_twitches_median + p.k_mad * sigma;
    b.threshold = std::max<double>(floor_threshold, std::floor(limit) + 1);
    v.heavy = onset_twitches >= b.threshold;
    const std::string usual = "your usual is " + short_number(b.onset_twitches_median) + " (median of " +
                              std::to_string(b.nights) + " nights" + (left_out ? " that were not twitch-heavy)" : ")");
    v.reason = twitches_phrase(onset_twitches) + "; " + usual +
               (v.heavy ? "" : ", twitch-heavy from " + short_number(b.threshold));
    return v;
}

std::vector<FactorSummary> summarize_factors(const std::vector<FactorLog>& logs, UnixS bed,
                                             double caffeine_window_h, double exercise_window_h) {
    std::vector<FactorSummary> out;
    for (Factor f : ALL_FACTORS) {
        FactorSummary s;
        s.factor = f;
        for (const auto& l : logs) {
            if (l.factor != f || l.t >= bed) continue;
            ++s.count;
            s.amount += l.amount;
            if (!s.last || l.t > *s.last) s.last = l.t;
        }
        if (s.last) {
            s.hours_before_bed = (bed - *s.last) / 3600.0;
            switch (f) {
                case Factor::caffeine: s.late = *s.hours_before_bed < caffeine_window_h; break;
                case Factor::exercise: s.late = *s.hours_before_bed < exercise_window_h; break;
                case Factor::stress:
                case Factor::discomfort: s.late = true; break;
                case Factor::magnesium: s.late = false; break;
            }
        }
        out.push_back(s);
    }
    return out;
}

}  // namespace hypnic::night
