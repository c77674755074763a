// Synthetic nights per science.md's signal model, planned per night and rendered to raw samples per batch.
#include "plugin/simulate/simulate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <utility>

#include "plugin/detect/detector.hpp"

namespace hypnic::sim {

namespace {

using Vec3 = std::array<double, 3>;
constexpr double PI = 3.14159265358979323846;
constexpr double MG = 0.001;  // one milli-g in g

Vec3 operator+(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
Vec3 operator*(double s, const Vec3& a) { return {s * a[0], s * a[1], s * a[2]}; }
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec3 normalized(const Vec3& a) {
    const double n = std::sqrt(dot(a, a));
    return n > 0 ? (1.0 / n) * a : Vec3{0, 0, 1};
}
// Rodrigues: v turned about the unit axis k by `angle` radians.
Vec3 rotate(const Vec3& v, const Vec3& k, double angle) {
    const double c = std::cos(angle);
    const double s = std::sin(angle);
    return c * v + s * cross(k, v) + (dot(k, v) * (1 - c)) * k;
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) : g_(seed) {}
    double uni(double a, double b) { return a + (b - a) * std::uniform_real_distribution<double>(0.0, 1.0)(g_); }
    double log_uni(double a, double b) { return std::exp(uni(std::log(a), std::log(b))); }
    double normal() { return std::normal_distribution<double>(0.0, 1.0)(g_); }
    bool chance(double p) { return uni(0, 1) < p; }
    int poisson(double mean) { return mean > 0 ? std::poisson_distribution<int>(mean)(g_) : 0; }
    int integer(int a, int b) { return std::uniform_int_distribution<int>(a, b)(g_); }
    Vec3 direction(double z_bias) { return normalized({normal(), normal(), normal() + z_bias}); }
    std::mt19937_64& engine() { return g_; }

private:
    std::mt19937_64 g_;
};

enum class Shape { jerk, limb, large };

constexpr int MAX_COMPONENTS = 5;

/// One movement with everything needed to render it at any instant.
struct SigEvent {
    Shape shape = Shape::jerk;
    double start = 0;
    double duration = 0;  // truth duration
    double extent = 0;    // how long the signal lasts (ringing included)
    double peak = 0;      // g
    bool plm = false;
    // jerk
    Vec3 dir{};
    bool biphasic = false;
    double ring_frac = 0, ring_tau = 0, ring_hz = 0;
    Vec3 ring_dir{};
    // limb / large: a few irregular 1–8 Hz components under a slowly modulated envelope
    int k = 0;
    std::array<double, MAX_COMPONENTS> f{}, ph{}, w{};
    std::array<Vec3, MAX_COMPONENTS> u{};
    double mod_f = 0, mod_ph = 0, norm = 1;
    // large: posture change
    Vec3 axis{};
    double angle = 0;
    Vec3 g_before{}, g_after{};

    Vec3 value(double t) const {
        const double tau = t - start;
        if (tau < 0 || tau > extent) return {0, 0, 0};
        if (shape == Shape::jerk) {
            if (tau < duration) {
                const double x = biphasic ? std::sin(2 * PI * tau / duration) : std::pow(std::sin(PI * tau / duration), 2);
                return (peak * x) * dir;
            }
            const double r = tau - duration;
            return (peak * ring_frac * std::exp(-r / ring_tau) * std::sin(2 * PI * ring_hz * r)) * ring_dir;
        }
        const double ramp = std::min(0.15, duration / 4);
        double env = 1;
        if (tau < ramp) env = 0.5 - 0.5 * std::cos(PI * tau / ramp);
        else if (tau > duration - ramp) env = 0.5 - 0.5 * std::cos(PI * (duration - tau) / ramp);
        env *= (1 + 0.35 * std::sin(2 * PI * mod_f * tau + mod_ph)) / 1.35;
        Vec3 s{0, 0, 0};
        for (int i = 0; i < k; ++i) {
            const auto j = static_cast<std::size_t>(i);
            s = s + (w[j] * std::sin(2 * PI * f[j] * tau + ph[j])) * u[j];
        }
        return (peak * env / norm) * s;
    }
    /// Gravity during a posture change: turns over the middle 60 % of the movement.
    Vec3 gravity(double t) const {
        const double x = std::clamp((t - start - 0.2 * duration) / (0.6 * duration), 0.0, 1.0);
        const double s = x * x * (3 - 2 * x);
        return rotate(g_before, axis, angle * s);
    }
};

/// Breathing and heartbeat of one body on the mattress.
struct Physiology {
    double resp_amp = 0, resp_hz = 0, resp_ph = 0;
    Vec3 resp_dir{};
    double hr_hz = 1, bcg_amp = 0;
    std::array<double, 8> harm_amp{}, harm_ph{};
    double harm_norm = 1;
    Vec3 bcg_dir{};

    void draw(Rng& r) {
        resp_amp = r.uni(1.5, 4.0) * MG;
        resp_hz = r.uni(0.2, 0.3);
        resp_ph = r.uni(0, 2 * PI);
        resp_dir = r.direction(3);
        hr_hz = r.uni(52, 68) / 60.0;
        bcg_amp = r.uni(0.5, 2.0) * MG;
        harm_norm = 0;
        for (std::size_t n = 0; n < harm_amp.size(); ++n) {
            harm_amp[n] = 1.0 / std::pow(static_cast<double>(n + 1), 0.7) * r.uni(0.6, 1.0);
            harm_ph[n] = r.uni(0, 2 * PI);
            harm_norm += harm_amp[n];
        }
        bcg_dir = normalized({r.normal() * 0.4, 1, r.normal() * 0.4});
    }
    Vec3 value(double t) const {
        // Slow wobble of rate (respiratory sinus arrhythmia, irregular breathing).
        const double rp = 2 * PI * resp_hz * t + resp_ph + 0.6 * std::sin(2 * PI * 0.013 * t);
        const double hp = 2 * PI * hr_hz * t + 0.4 * std::sin(2 * PI * resp_hz * t);
        double b = 0;
        for (std::size_t n = 0; n < harm_amp.size(); ++n) b += harm_amp[n] * std::sin(static_cast<double>(n + 1) * hp + harm_ph[n]);
        return (resp_amp * std::sin(rp)) * resp_dir + (bcg_amp * b / harm_norm * 1.6) * bcg_dir;
    }
};

/// Non-overlapping placement of movements (with a margin so each stands alone).
class Occupancy {
public:
    bool place(double a, double b, double margin) {
        for (const auto& [x, y] : iv_)
            if (a < y + margin && b > x - margin) return false;
        iv_.emplace_back(a, b);
        return true;
    }

private:
    std::vector<std::pair<double, double>> iv_;
};

constexpr double EVENT_MARGIN_S = 3;

struct Interval {
    double a = 0, b = 0;
};

/// One body's movements and posture over a night.
struct Body {
    Physiology phys;
    std::vector<Interval> occupied;  // lying in bed (breathing and heartbeat reach the sensor)
    std::vector<SigEvent> events;  // sorted by start
    Vec3 g0{};
    Occupancy occ;
    // Rendering cursors (samples are generated in time order).
    std::size_t cursor = 0;
    std::size_t large_cursor = 0;
    std::vector<std::size_t> larges;  // indices of posture changes, in time order

    void finish(Rng& r) {
        std::sort(events.begin(), events.end(), [](const SigEvent& a, const SigEvent& b) { return a.start < b.start; });
        Vec3 g = g0;
        larges.clear();
        for (std::size_t i = 0; i < events.size(); ++i) {
            SigEvent& e = events[i];
            if (e.shape != Shape::large) continue;
            e.g_before = g;
            // Turn about an axis perpendicular to gravity (a roll or a tilt of the torso).
            e.axis = normalized(cross(g, r.direction(0)));
            e.g_after = rotate(g, e.axis, e.angle);
            g = e.g_after;
            larges.push_back(i);
        }
        cursor = 0;
        large_cursor = 0;
    }

    bool in_bed(double t) const {
        for (const Interval& iv : occupied)
            if (t >= iv.a && t < iv.b) return true;
        return false;
    }

    Vec3 gravity(double t) {
        while (large_cursor < larges.size()) {
            const SigEvent& e = events[larges[large_cursor]];
            if (t >= e.start + e.duration) {
                ++large_cursor;
                continue;
            }
            break;
        }
        if (large_cursor < larges.size()) {
            const SigEvent& e = events[larges[large_cursor]];
            if (t >= e.start) return e.gravity(t);
            return e.g_before;
        }
        return larges.empty() ? g0 : events[larges.back()].g_after;
    }

    /// Sum of every movement's signal at t; call with non-decreasing batch starts.
    void movements(double t0, double t1, std::vector<const SigEvent*>& active) {
        while (cursor < events.size() && events[cursor].start + events[cursor].extent < t0) ++cursor;
        active.clear();
        // Events are sorted by start; their extents never exceed a minute, so scan a little past.
        for (std::size_t i = cursor; i < events.size() && events[i].start <= t1; ++i)
            if (events[i].start + events[i].extent >= t0) active.push_back(&events[i]);
    }
};

SigEvent make_jerk(Rng& r, double t, const SimParams& p) {
    SigEvent e;
    e.shape = Shape::jerk;
    e.start = t;
    // Scales apply after each draw, so the random sequence (and every other event) is unchanged.
    e.duration = r.uni(0.05, 0.25) * p.jerk_duration_scale;
    e.peak = r.log_uni(40, 400) * MG;
    e.dir = r.direction(1.5);
    e.biphasic = r.chance(0.5);
    e.ring_frac = r.uni(0.2, 0.5);
    e.ring_tau = r.uni(0.06, 0.11) * p.ring_tau_scale;  // to 5 % within 0.18–0.33 s
    e.ring_hz = r.uni(3, 8) * p.ring_hz_scale;
    e.ring_dir = r.direction(3);
    e.extent = e.duration + 5 * e.ring_tau;
    return e;
}

void draw_components(Rng& r, SigEvent& e, int k, double f_lo, double f_hi) {
    e.k = k;
    e.norm = 0;
    for (int i = 0; i < k; ++i) {
        const auto j = static_cast<std::size_t>(i);
        e.f[j] = r.uni(f_lo, f_hi);
        e.ph[j] = r.uni(0, 2 * PI);
        e.w[j] = r.uni(0.3, 1.0);
        e.u[j] = r.direction(1);
        e.norm += e.w[j];
    }
    // The components rarely line up: scale so the typical peak is near `peak`.
    e.norm *= 0.6;
    e.mod_f = r.uni(0.2, 0.8);
    e.mod_ph = r.uni(0, 2 * PI);
}

SigEvent make_limb(Rng& r, double t, double duration_s, double peak_g) {
    SigEvent e;
    e.shape = Shape::limb;
    e.start = t;
    e.duration = duration_s;
    e.extent = duration_s;
    e.peak = peak_g;
    draw_components(r, e, 4, 1, 8);
    return e;
}

SigEvent make_large(Rng& r, double t, double duration_s) {
    SigEvent e;
    e.shape = Shape::large;
    e.start = t;
    e.duration = duration_s;
    e.extent = duration_s;
    e.peak = r.log_uni(60, 300) * MG;
    draw_components(r, e, 5, 0.7, 8);
    e.angle = r.uni(6, 40) * PI / 180 * (r.chance(0.5) ? 1 : -1);
    return e;
}

struct NightPlan {
    TrueNight truth;
    std::vector<TrueEvent> events;
    std::vector<SimMessage> discrete;  // sorted by arrival
    std::vector<Interval> self_bed;    // when this sensor streams
    std::vector<Interval> partner_bed;
    Body self, partner;
    double bleed = 0;
};

LocalDate add_days(LocalDate d, int n) { return LocalDate{std::chrono::sys_days{d} + std::chrono::days{n}}; }

}  // namespace

std::string_view to_string(Profile p) {
    switch (p) {
        case Profile::none: return "none";
        case Profile::caffeine: return "caffeine";
        case Profile::stress: return "stress";
        case Profile::exercise: return "exercise";
        case Profile::plm: return "plm";
        case Profile::mixed: return "mixed";
        case Profile::plm_frequent: return "plm_frequent";
    }
    return "mixed";
}

std::optional<Profile> profile_from_string(std::string_view s) {
    for (Profile p : {Profile::none, Profile::caffeine, Profile::stress, Profile::exercise, Profile::plm, Profile::mixed,
                      Profile::plm_frequent})
        if (to_string(p) == s) return p;
    return std::nullopt;
}

struct Simulator::Impl {
    SimParams p;
    const Zone& zone;
    int night_no = 0;
    std::optional<NightPlan> plan;
    std::size_t next_discrete = 0;
    // Raw stream cursors per channel.
    struct Stream {
        std::size_t interval = 0;
        double t0 = 0;
        bool started = false;
    } self_stream, partner_stream;
    Rng noise{0};
    Rng jitter{0};  // its own sequence, so that jitter leaves the sensor noise as it was
    std::vector<const SigEvent*> own_active, other_active;
    std::vector<TrueEvent> truth_events;
    std::vector<TrueNight> truth_nights;

    Impl(const SimParams& params, const Zone& z) : p(params), zone(z) {
        if (!(p.hz > 0)) p.hz = 50;
        if (!(p.batch_s > 0)) p.batch_s = 1;
        // Perturbations outside a physical range fall back to the unperturbed value.
        for (double* scale : {&p.ring_hz_scale, &p.ring_tau_scale, &p.jerk_duration_scale})
            if (!(*scale >= 0.1 && *scale <= 10)) *scale = 1;
        if (!(p.jitter_s >= 0) || !(p.jitter_s < 1 / p.hz)) p.jitter_s = 0;
    }

    UnixS local(LocalDate d, double sec_of_day) {
        int day = 0;
        while (sec_of_day >= 86400) {
            sec_of_day -= 86400;
            ++day;
        }
        const LocalDate dd = add_days(d, day);
        const int whole = static_cast<int>(std::floor(sec_of_day));
        return zone.to_instant(dd, whole) + (sec_of_day - whole);
    }

    void plan_night() {
        const auto seed = p.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(night_no) * 0xBF58476D1CE4E5B9ULL + 1;
        Rng r(seed);
        noise = Rng(seed ^ 0xD1B54A32D192ED03ULL);
        jitter = Rng(seed ^ 0x94D049BB133111EBULL);
        NightPlan n;
        const LocalDate d = add_days(p.start_date, night_no);
        n.truth.night = format_date(d);

        // --- the evening's habits -------------------------------------------------------------
        Profile prof = p.profile;
        std::string cause;
        bool plm_night = false;
        if (prof == Profile::mixed) {
            const double x = r.uni(0, 1);
            prof = x < 0.3 ? Profile::caffeine : x < 0.6 ? Profile::stress : x < 0.85 ? Profile::exercise : Profile::none;
            plm_night = r.chance(0.15);
        }
        if (p.profile == Profile::plm) plm_night = r.chance(0.5);
        // No draw for plm_frequent here, so that the other profiles keep their nights seed for seed.
        const bool dense_plm = p.profile == Profile::plm_frequent;
        if (dense_plm) plm_night = true;
        const bool heavy = prof != Profile::none && prof != Profile::plm && !dense_plm && r.chance(0.35);
        if (heavy) cause = std::string(to_string(prof));

        const bool after_midnight = r.chance(0.1);
        const double lights_out_sec = after_midnight ? 86400 + r.uni(0, 45 * 60) : r.uni(22 * 3600, 23.75 * 3600);
        const UnixS lights_out = local(d, lights_out_sec);
        const UnixS in_bed = lights_out - r.uni(3, 25) * 60;
        const double latency_min = heavy ? r.uni(15, 40) : r.uni(5, 20);
        const UnixS onset = lights_out + latency_min * 60;
        UnixS wake = local(add_days(d, 1), r.uni(6.25 * 3600, 7.75 * 3600));
        if (wake < onset + 4 * 3600) wake = onset + 4 * 3600;
        const UnixS out_of_bed = wake + r.uni(2, 15) * 60;

        std::vector<FactorLog> logs;
        auto log = [&](UnixS t, Factor f, double amount) {
            FactorLog l;
            l.t = std::floor(t);
            l.factor = f;
            l.amount = amount;
            l.source = "log";
            logs.push_back(l);
        };
        // Morning coffee is far from bed on every night; the habit decides the evening.
        log(local(d, r.uni(7.5 * 3600, 10 * 3600)), Factor::caffeine, 80);
        if (prof == Profile::caffeine || p.profile == Profile::mixed) {
            if (heavy && prof == Profile::caffeine) log(in_bed - r.uni(1.5, 4) * 3600, Factor::caffeine, r.chance(0.5) ? 80 : 160);
            else if (r.chance(0.4)) log(local(d, r.uni(13 * 3600, 14.5 * 3600)), Factor::caffeine, 80);
        }
        if (prof == Profile::stress || p.profile == Profile::mixed) {
            if (heavy && prof == Profile::stress) log(in_bed - r.uni(1, 4) * 3600, Factor::stress, r.integer(7, 10));
            else if (r.chance(0.5)) log(in_bed - r.uni(1, 4) * 3600, Factor::stress, r.integer(1, 4));
        }
        if (prof == Profile::exercise || p.profile == Profile::mixed) {
            if (heavy && prof == Profile::exercise) log(in_bed - r.uni(0.5, 2.5) * 3600, Factor::exercise, r.integer(45, 90));
            else if (r.chance(0.4)) log(local(d, r.uni(7 * 3600, 11 * 3600)), Factor::exercise, r.integer(20, 60));
        }
        if (r.chance(0.3)) log(in_bed - r.uni(0.5, 3) * 3600, Factor::magnesium, r.chance(0.5) ? 200 : 300);
        if (plm_night && r.chance(0.6)) log(in_bed - r.uni(0.2, 2) * 3600, Factor::discomfort, r.integer(3, 7));
        std::sort(logs.begin(), logs.end(), [](const FactorLog& a, const FactorLog& b) { return a.t < b.t; });

        // --- optional bathroom trip -------------------------------------------------------------
        std::optional<UnixS> trip_out, trip_back, trip_awake, re_onset;
        if (r.chance(0.3) && wake - onset > 3.5 * 3600) {
            const UnixS t = r.uni(onset + 1.5 * 3600, wake - 1.5 * 3600);
            trip_awake = t - r.uni(1, 3) * 60;
            trip_out = t;
            trip_back = t + r.uni(3, 12) * 60;
            re_onset = *trip_back + r.uni(3, 10) * 60;
        }
        // The sensor streams from a minute before the sleeper lies down to half a minute after
        // they leave (an empty bed: noise only); a bathroom trip longer than two minutes pauses it.
        n.self.occupied.push_back({in_bed, trip_out ? *trip_out : out_of_bed});
        if (trip_back) n.self.occupied.push_back({*trip_back, out_of_bed});
        if (trip_out && *trip_back - *trip_out > 120) {
            n.self_bed.push_back({in_bed - 60, *trip_out + 30});
            n.self_bed.push_back({*trip_back - 30, out_of_bed + 30});
        } else {
            n.self_bed.push_back({in_bed - 60, out_of_bed + 30});
        }
        n.partner.occupied.push_back({in_bed, out_of_bed});
        n.partner_bed.push_back({in_bed - 60, out_of_bed + 30});

        // --- movements --------------------------------------------------------------------------
        Body& me = n.self;
        me.phys.draw(r);
        me.g0 = normalized({r.normal() * 0.15, r.normal() * 0.15, 1});
        auto add = [&](Body& b, const SigEvent& e) {
            if (!b.occ.place(e.start, e.start + e.extent, EVENT_MARGIN_S)) return false;
            b.events.push_back(e);
            return true;
        };
        auto try_place = [&](Body& b, double from, double to, auto make) {
            for (int attempt = 0; attempt < 30; ++attempt) {
                if (to <= from) return false;
                const double t = r.uni(from, to);
                if (add(b, make(t))) return true;
            }
            return false;
        };
        auto lm_of = [&](double lo, double hi) { return [&, lo, hi](double t) { return make_limb(r, t, r.uni(lo, hi), r.log_uni(20, 120) * MG); }; };
        auto large_of = [&](double lo, double hi) { return [&, lo, hi](double t) { return make_large(r, t, r.log_uni(lo, hi)); }; };
        auto jerk = [&](double t) { return make_jerk(r, t, p); };
        auto poisson_in = [&](Body& b, double from, double to, double per_h, auto make) {
            const int k = r.poisson(per_h * std::max(0.0, to - from) / 3600);
            for (int i = 0; i < k; ++i) try_place(b, from, to, make);
        };

        // Getting into bed, the final getting up and the bathroom trip are posture changes.
        add(me, make_large(r, in_bed + r.uni(3, 8), r.uni(5, 12)));
        {
            SigEvent up = make_large(r, 0, r.uni(4, 10));
            up.start = out_of_bed - up.duration - 1;
            add(me, up);
        }
        if (trip_out) {
            SigEvent up = make_large(r, 0, r.uni(4, 8));
            up.start = *trip_out - up.duration - 1;
            add(me, up);
            add(me, make_large(r, *trip_back + r.uni(3, 6), r.uni(5, 10)));
        }
        // Settling: a turn or two into the sleeping posture early on.
        const int turns = r.integer(1, 2);
        for (int i = 0; i < turns; ++i) try_place(me, lights_out + 20, lights_out + (onset - lights_out) * 0.5, large_of(3, 15));
        // Sleep: posture changes every 40 min or so.
        poisson_in(me, onset + 60, wake - 60, 1.5, large_of(3, 30));
        // PLM series first, so that sparse movements keep out of their way.
        if (plm_night) {
            const int series = dense_plm ? r.integer(7, 10) : r.integer(2, 6);
            for (int s = 0; s < series; ++s) {
                const int count = dense_plm ? r.integer(25, 40) : r.integer(6, 30);
                const double mean_iv = r.uni(20, 40);
                const double amp = r.log_uni(25, 90) * MG;
                const double start = r.uni(onset + 20 * 60, wake - count * mean_iv - 120);
                double t = start;
                for (int i = 0; i < count; ++i) {
                    SigEvent e = make_limb(r, t, r.uni(0.8, 3), amp * r.uni(0.8, 1.25));
                    e.plm = true;
                    if (trip_out && t > *trip_awake - 60 && t < *re_onset + 60) break;
                    add(me, e);
                    t += mean_iv * r.uni(0.8, 1.2);
                }
            }
        }
        // Onset twitches: clustered in the last minutes before sleep onset and just after it.
        const int onset_twitches = heavy ? r.integer(6, 14) : std::min(3, r.poisson(1.2));
        for (int i = 0; i < onset_twitches; ++i) try_place(me, std::max(lights_out + 30, onset - 10 * 60), onset + 3 * 60, jerk);
        if (re_onset) {
            const int k = r.integer(0, 2);
            for (int i = 0; i < k; ++i) try_place(me, *re_onset - 4 * 60, *re_onset + 60, jerk);
        }
        // Fidgeting while awake, sparse movements asleep, restlessness on waking.
        poisson_in(me, in_bed + 20, lights_out, 60, lm_of(0.6, 6));
        poisson_in(me, in_bed + 20, lights_out, 12, large_of(3, 12));
        poisson_in(me, lights_out + 20, lights_out + (onset - lights_out) * 0.7, 20, lm_of(0.6, 6));
        poisson_in(me, onset + 60, wake, 3, lm_of(0.6, 8));
        poisson_in(me, onset + 30 * 60, wake, 0.3, jerk);
        if (trip_awake) poisson_in(me, *trip_awake, *trip_out - 15, 30, lm_of(0.6, 4));
        poisson_in(me, wake, out_of_bed - 15, 60, lm_of(0.6, 6));
        // Events must lie where the sensor streams (with room for the detector's posture windows).
        std::erase_if(me.events, [&](const SigEvent& e) {
            for (const Interval& iv : me.occupied)
                if (e.start >= iv.a + 2 && e.start + e.extent <= iv.b - 2) return false;
            return true;
        });
        me.finish(r);

        if (p.partner) {
            Body& pa = n.partner;
            pa.phys.draw(r);
            pa.g0 = normalized({r.normal() * 0.15, r.normal() * 0.15, 1});
            const double p_onset = onset + r.uni(-20, 20) * 60;
            add(pa, make_large(r, in_bed + r.uni(3, 60), r.uni(5, 12)));
            poisson_in(pa, in_bed + 20, out_of_bed - 20, 2, large_of(3, 30));
            poisson_in(pa, in_bed + 20, out_of_bed - 20, 6, lm_of(0.6, 8));
            const int k = r.integer(0, 4);
            for (int i = 0; i < k; ++i) try_place(pa, std::max(in_bed + 30, p_onset - 10 * 60), p_onset + 3 * 60, jerk);
            poisson_in(pa, in_bed + 20, out_of_bed - 20, 0.5, jerk);
            std::erase_if(pa.events, [&](const SigEvent& e) { return e.start < in_bed + 2 || e.start + e.extent > out_of_bed - 2; });
            pa.finish(r);
            n.bleed = r.uni(p.bleed_min, p.bleed_max);
        }

        // --- truth ----------------------------------------------------------------------------
        const UnixS window_end = onset + TRUTH_ONSET_WINDOW_AFTER_MIN * 60;
        auto phase_at = [&](UnixS t) {
            if (t < lights_out) return Phase::awake_in_bed;
            if (t < onset) return Phase::settling;
            if (t >= wake) return Phase::waking;
            if (trip_awake && t >= *trip_awake && t < *trip_out) return Phase::awake_in_bed;
            if (trip_back && t >= *trip_back && t < *re_onset) return Phase::settling;
            return Phase::asleep;
        };
        TrueNight& tn = n.truth;
        std::vector<LimbMovement> sleep_lms;
        for (const SigEvent& e : me.events) {
            TrueEvent te;
            te.type = e.shape == Shape::jerk ? MovementType::twitch : e.shape == Shape::limb ? MovementType::limb_movement
                                                                                             : MovementType::large_movement;
            te.start = e.start;
            te.duration_s = e.duration;
            te.peak_g = e.peak;
            te.phase = phase_at(e.start);
            te.onset_window = e.start >= lights_out && e.start <= window_end;
            te.gravity_shift = e.shape == Shape::large;
            te.plm = e.plm;
            if (te.type == MovementType::twitch) {
                ++tn.twitches;
                if (te.onset_window) ++tn.onset_twitches;
            } else if (te.type == MovementType::limb_movement) {
                ++tn.limb_movements;
                if (te.phase == Phase::asleep) sleep_lms.push_back({te.start, te.duration_s});
            } else {
                ++tn.large_movements;
            }
            n.events.push_back(te);
        }
        tn.in_bed = in_bed;
        tn.lights_out = lights_out;
        tn.sleep_onset = onset;
        tn.wake = wake;
        tn.out_of_bed = out_of_bed;
        tn.bathroom_out = trip_out;
        tn.bathroom_back = trip_back;
        double asleep_s = wake - onset;
        if (trip_awake) asleep_s -= *re_onset - *trip_awake;
        tn.asleep_h = asleep_s / 3600;
        // PLM truth: the same WASM 2016 rules the detector applies, on the true limb movements.
        tn.plm_count = find_plm_series(sleep_lms, DetectorParams{}).plm_count;
        tn.plm_index = tn.asleep_h > 0 ? tn.plm_count / tn.asleep_h : 0;
        tn.twitch_heavy = heavy;
        tn.heavy_cause = cause;
        tn.factors = logs;

        // --- discrete messages ----------------------------------------------------------------
        auto msg = [&](UnixS t, Channel c, auto reading) {
            SimMessage m;
            m.arrival = t;
            m.channel = c;
            m.reading = reading;
            n.discrete.push_back(std::move(m));
        };
        for (const FactorLog& l : logs) msg(l.t + r.uni(0.1, 3), Channel::factor_log, l);
        msg(in_bed - r.uni(60, 120) * 60, Channel::light, LightReading{0, true, 80.0});
        msg(in_bed, Channel::presence, PresenceReading{in_bed, true});
        msg(lights_out, Channel::light, LightReading{lights_out, false, std::nullopt});
        if (trip_out) {
            msg(*trip_out, Channel::presence, PresenceReading{*trip_out, false});
            msg(*trip_back, Channel::presence, PresenceReading{*trip_back, true});
        }
        const UnixS morning_light = wake + (out_of_bed - wake) * r.uni(0.2, 0.8);
        msg(morning_light, Channel::light, LightReading{morning_light, true, 100.0});
        msg(out_of_bed, Channel::presence, PresenceReading{out_of_bed, false});
        for (SimMessage& m : n.discrete) {
            if (auto* l = std::get_if<LightReading>(&m.reading)) l->t = m.arrival;
            if (auto* pr = std::get_if<PresenceReading>(&m.reading)) pr->t = m.arrival;
        }
        std::stable_sort(n.discrete.begin(), n.discrete.end(), [](const SimMessage& a, const SimMessage& b) { return a.arrival < b.arrival; });

        truth_events.insert(truth_events.end(), n.events.begin(), n.events.end());
        truth_nights.push_back(n.truth);
        plan = std::move(n);
        next_discrete = 0;
        self_stream = Stream{};
        partner_stream = Stream{};
    }

    std::size_t batch_len() const { return static_cast<std::size_t>(std::max(1.0, std::round(p.batch_s * p.hz))); }

    /// Samples in the stream's next batch: a full batch, or what is left of the interval.
    std::size_t batch_samples(const Stream& s, const std::vector<Interval>& bed) const {
        std::size_t n = batch_len();
        const double left = (bed[s.interval].b - s.t0) * p.hz;
        if (left < static_cast<double>(n)) n = static_cast<std::size_t>(std::max(1.0, std::ceil(left - 1e-9)));
        return n;
    }

    /// Arrival of the next batch of a stream (+inf when it has none left).
    double stream_arrival(Stream& s, const std::vector<Interval>& bed) const {
        if (s.interval >= bed.size()) return INFINITY;
        if (!s.started) {
            s.t0 = bed[s.interval].a;
            s.started = true;
        }
        return s.t0 + static_cast<double>(batch_samples(s, bed)) / p.hz + 0.02;
    }

    AccelBatch render(Stream& s, const std::vector<Interval>& bed, Body& own, Body* other, double bleed) {
        AccelBatch b;
        b.t0 = s.t0;
        b.hz = p.hz;
        const double dt = 1.0 / p.hz;
        const Interval& iv = bed[s.interval];
        const std::size_t n = batch_samples(s, bed);
        const double t_end = s.t0 + static_cast<double>(n) * dt;
        own.movements(s.t0, t_end, own_active);
        if (other) other->movements(s.t0, t_end, other_active);
        else other_active.clear();
        b.xyz_g.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            double t = s.t0 + static_cast<double>(i) * dt;
            // A sensor whose clock wobbles: the sample carries its nominal time, the value is from
            // a slightly different instant.
            if (p.jitter_s > 0) t += p.jitter_s * jitter.normal();
            Vec3 a = own.gravity(t);
            if (own.in_bed(t)) a = a + own.phys.value(t);
            for (const SigEvent* e : own_active) a = a + e->value(t);
            for (const SigEvent* e : other_active) a = a + bleed * e->value(t);
            std::array<float, 3> out{};
            for (std::size_t k = 0; k < 3; ++k) out[k] = static_cast<float>(a[k] + p.noise_g * noise.normal());
            b.xyz_g.push_back(out);
        }
        s.t0 = t_end;
        if (s.t0 >= iv.b - 1e-9) {
            ++s.interval;
            s.started = false;
        }
        return b;
    }

    bool next(SimMessage& m) {
        for (;;) {
            if (!plan) {
                if (night_no >= p.nights) return false;
                plan_night();
            }
            NightPlan& n = *plan;
            const double td = next_discrete < n.discrete.size() ? n.discrete[next_discrete].arrival : INFINITY;
            const double ts = stream_arrival(self_stream, n.self_bed);
            const double tp = p.partner ? stream_arrival(partner_stream, n.partner_bed) : INFINITY;
            if (!std::isfinite(td) && !std::isfinite(ts) && !std::isfinite(tp)) {
                plan.reset();
                ++night_no;
                continue;
            }
            if (td <= ts && td <= tp) {
                m = n.discrete[next_discrete++];
                return true;
            }
            if (ts <= tp) {
                m.arrival = ts;
                m.channel = Channel::accel;
                m.reading = render(self_stream, n.self_bed, n.self, p.partner ? &n.partner : nullptr, n.bleed);
                return true;
            }
            m.arrival = tp;
            m.channel = Channel::partner_accel;
            m.reading = render(partner_stream, n.partner_bed, n.partner, &n.self, n.bleed);
            return true;
        }
    }
};

Simulator::Simulator(const SimParams& params, const Zone& zone) : impl_(std::make_unique<Impl>(params, zone)) {}
Simulator::~Simulator() = default;

bool Simulator::next(SimMessage& m) { return impl_->next(m); }

void Simulator::take_truth(std::vector<TrueEvent>& events, std::vector<TrueNight>& nights) {
    events.insert(events.end(), impl_->truth_events.begin(), impl_->truth_events.end());
    nights.insert(nights.end(), impl_->truth_nights.begin(), impl_->truth_nights.end());
    impl_->truth_events.clear();
    impl_->truth_nights.clear();
}

}  // namespace hypnic::sim
