// hypnic_accuracy: the whole core on labelled simulated nights (movement classes, onset, PLM, verdict) plus the scorers against ActiLife and Actiware.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/actigraphy_csv.hpp"
#include "plugin/detect/detector.hpp"
#include "plugin/history.hpp"
#include "plugin/plugin.hpp"
#include "plugin/score/score.hpp"
#include "plugin/simulate/simulate.hpp"

using namespace hypnic;

namespace {

struct Counts {
    long truth = 0, detected = 0, matched = 0;
    void add(const Counts& o) {
        truth += o.truth;
        detected += o.detected;
        matched += o.matched;
    }
    double precision() const { return detected ? static_cast<double>(matched) / static_cast<double>(detected) : 1.0; }
    double recall() const { return truth ? static_cast<double>(matched) / static_cast<double>(truth) : 1.0; }
    double f1() const {
        const double p = precision(), r = recall();
        return p + r > 0 ? 2 * p * r / (p + r) : 0;
    }
};

constexpr int CLASSES = 3;
constexpr const char* CLASS_NAMES[CLASSES] = {"twitch", "limb_movement", "large_movement"};
constexpr double TOLERANCE_S[CLASSES] = {0.5, 1.0, 3.0};  // science.md: how the detector is judged
// --explain: what else moved within this many seconds of a twitch nothing was detected near.
constexpr double NEARBY_S = 3;
constexpr double TRUTH_WINDOW_AFTER_S = sim::TRUTH_ONSET_WINDOW_AFTER_MIN * 60;

int class_index(MovementType t) {
    switch (t) {
        case MovementType::twitch: return 0;
        case MovementType::limb_movement: return 1;
        default: return 2;
    }
}

/// Greedy one-to-one matching in time order: a detection counts when its start lies within the
/// class tolerance of a true event of the same class.
Counts match(std::vector<double> truth, std::vector<double> det, double tol_s) {
    std::sort(truth.begin(), truth.end());
    std::sort(det.begin(), det.end());
    Counts c;
    c.truth = static_cast<long>(truth.size());
    c.detected = static_cast<long>(det.size());
    std::vector<bool> used(det.size(), false);
    std::size_t lo = 0;
    for (double t : truth) {
        while (lo < det.size() && det[lo] < t - tol_s) ++lo;
        std::size_t best = det.size();
        double best_d = tol_s + 1;
        for (std::size_t j = lo; j < det.size() && det[j] <= t + tol_s; ++j) {
            if (used[j]) continue;
            const double d = std::abs(det[j] - t);
            if (d < best_d) {
                best_d = d;
                best = j;
            }
        }
        if (best < det.size()) {
            used[best] = true;
            ++c.matched;
        }
    }
    return c;
}

/// The physical knobs of the perturbed mode (all 1 / 0: the simulator as tuned against).
struct Physics {
    double ring_hz_scale = 1, ring_tau_scale = 1, jerk_duration_scale = 1, jitter_frac = 0;
};

/// Results of one configuration (or of several, pooled).
struct Result {
    Counts cls[CLASSES];
    int nights = 0;            // true nights
    int closed = 0;            // ... that the core closed with a summary
    int onset_exact = 0;       // summary onset_twitches == true onset_twitches
    int heavy_right = 0;       // summary twitch_heavy == true twitch_heavy
    double plm_abs_err_sum = 0;
    std::vector<double> onset_abs_err_min;
    void add(const Result& o) {
        for (int c = 0; c < CLASSES; ++c) cls[c].add(o.cls[c]);
        nights += o.nights;
        closed += o.closed;
        onset_exact += o.onset_exact;
        heavy_right += o.heavy_right;
        plm_abs_err_sum += o.plm_abs_err_sum;
        onset_abs_err_min.insert(onset_abs_err_min.end(), o.onset_abs_err_min.begin(), o.onset_abs_err_min.end());
    }
    double share(int k) const { return nights ? static_cast<double>(k) / nights : 0; }
    double onset_median_min() const {
        if (onset_abs_err_min.empty()) return NAN;
        std::vector<double> v = onset_abs_err_min;
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
    double plm_mae() const { return nights ? plm_abs_err_sum / nights : 0; }
};

double g_onset_burst_gap_min = -1;  // --onset-burst-gap MIN: night.onset_burst_gap_min (0: off) instead of its default
double g_onset_single_start_min = -1;  // --onset-single-start MIN: night.onset_single_start_min instead of its default
int g_onset_sleep_min = -1;            // --onset-sleep-min N: night.onset_sleep_min instead of its default
int g_onset_section_min = -1;          // --onset-section N: night.onset_section_min (0: off) instead of its default

/// The sensors of tests/data/sim/hypnic.yaml, in the same order.
PluginParams sim_plugin_params() {
    PluginParams pp;
    SleeperParams sl;
    sl.id = "alex";
    auto sensor = [](SensorKind k, const char* topic, bool is_partner) {
        SensorSpec s;
        s.kind = k;
        s.topic = topic;
        s.partner = is_partner;
        return s;
    };
    sl.sensors = {sensor(SensorKind::accel, "bed/alex/accel", false), sensor(SensorKind::accel, "bed/alex_partner/accel", true),
                  sensor(SensorKind::presence, "bed/alex/presence", false),
                  sensor(SensorKind::lights, "zigbee2mqtt/bedroom_light", false)};
    sl.winddown.enabled = false;
    if (g_onset_burst_gap_min >= 0) sl.night.onset_burst_gap_min = g_onset_burst_gap_min;
    if (g_onset_single_start_min >= 0) sl.night.onset_single_start_min = g_onset_single_start_min;
    if (g_onset_sleep_min >= 0) sl.night.onset_sleep_min = g_onset_sleep_min;
    if (g_onset_section_min >= 0) sl.night.onset_section_min = g_onset_section_min;
    pp.sleepers.push_back(sl);
    return pp;
}

bool g_explain = false;  // --explain: every twitch error with its cause and the detector's view of it

/// Twitch errors by cause, per configuration and in total (--explain).
struct TwitchErrors {
    // False twitches: a piece of a true limb movement or posture change of this sleeper (within 1 s
    // before its start to 2 s after its end), the partner's movement bleeding through (a movement
    // on the partner's sensor under way within 1 s), or none of these: a noise crest.
    int fp_lm = 0, fp_posture = 0, fp_partner = 0, fp_noise = 0;
    // Missed twitches: published as another class, inside another published movement, found by
    // the detector but withheld by the night (partner-bleed rule, phase), or never found.
    int fn_other_class = 0, fn_swallowed = 0, fn_withheld = 0, fn_undetected = 0;
    void add(const TwitchErrors& o) {
        fp_lm += o.fp_lm, fp_posture += o.fp_posture, fp_partner += o.fp_partner, fp_noise += o.fp_noise;
        fn_other_class += o.fn_other_class, fn_swallowed += o.fn_swallowed, fn_withheld += o.fn_withheld;
        fn_undetected += o.fn_undetected;
    }
    void print(const char* label) const {
        std::printf("%s twitch FP: noise crest %d, LM piece %d, posture piece %d, partner bleed %d; "
                    "FN: other class %d, swallowed %d, withheld %d, undetected %d\n",
                    label, fp_noise, fp_lm, fp_posture, fp_partner, fn_other_class, fn_swallowed, fn_withheld, fn_undetected);
    }
};
TwitchErrors g_twitch_errors;

/// Runs a detector of its own over the sleeper's and the partner's raw streams (what the night
/// tracker's detectors see, before the partner-bleed rule) to explain each twitch error with the
/// features the classification used.
class TwitchExplainer {
public:
    explicit TwitchExplainer(const DetectorParams& p) : own_(p), partner_(p) {}

    void feed(const sim::SimMessage& m) {
        const auto* b = std::get_if<AccelBatch>(&m.reading);
        if (!b) return;
        if (m.channel == sim::Channel::accel) own_.feed(*b, own_moves_);
        if (m.channel == sim::Channel::partner_accel) partner_.feed(*b, partner_moves_);
    }

    void report(const std::vector<MovementEvent>& events, const std::vector<sim::TrueEvent>& truth) {
        own_.flush(1e18, own_moves_);
        partner_.flush(1e18, partner_moves_);
        TwitchErrors e;
        auto twin = [&](double start) -> const DetectedMovement* {
            for (const auto& d : own_moves_)
                if (std::abs(d.start - start) < 1e-6) return &d;
            return nullptr;
        };
        auto features = [&](const DetectedMovement* d) {
            static char buf[240];
            if (!d) return "";
            std::snprintf(buf, sizeof buf,
                          "peak/on %.2f peak/crest %.2f rise %.3f s peak after %.3f s decay %.3f s%s dur %.2f s limit %.2f s%s",
                          d->peak_g / d->on_g, d->crest_g > 0 ? d->peak_g / d->crest_g : 0.0, d->rise_s, d->peak_after_s,
                          d->decay_s, d->impulse ? " (impulse)" : "", d->duration_s, d->twitch_limit_s,
                          d->sustain_start ? " sustain-start" : "");
            return static_cast<const char*>(buf);
        };
        for (const auto& ev : events) {
            if (ev.type != MovementType::twitch) continue;
            if (std::any_of(truth.begin(), truth.end(), [&](const sim::TrueEvent& t) {
                    return t.type == MovementType::twitch && std::abs(t.start - ev.start) <= TOLERANCE_S[0];
                })) {
                std::printf("  TP at %.2f %s\n", ev.start, features(twin(ev.start)));
                continue;
            }
            const sim::TrueEvent* host = nullptr;
            for (const auto& t : truth)
                if (t.type != MovementType::twitch && ev.start >= t.start - 1 && ev.start <= t.start + t.duration_s + 2) host = &t;
            const bool partner = std::any_of(partner_moves_.begin(), partner_moves_.end(), [&](const DetectedMovement& d) {
                return ev.start >= d.start - 1 && ev.start <= d.start + d.duration_s + 1;
            });
            const char* cause = "noise crest";
            if (host && host->type == MovementType::limb_movement) cause = "LM piece", ++e.fp_lm;
            else if (host) cause = "posture piece", ++e.fp_posture;
            else if (partner) cause = "partner bleed", ++e.fp_partner;
            else ++e.fp_noise;
            std::printf("  FP %-13s at %.2f peak %.4f g dur %.2f s %s", cause, ev.start, ev.peak_g, ev.duration_s,
                        features(twin(ev.start)));
            if (host)
                std::printf("; %s %+.2f s from its start, %.2f s long, peak %.4f g", CLASS_NAMES[class_index(host->type)],
                            ev.start - host->start, host->duration_s, host->peak_g);
            std::printf("\n");
        }
        for (const auto& t : truth) {
            if (t.type != MovementType::twitch) continue;
            auto near = [&](const auto& v, bool twitch_only) {
                return std::find_if(v.begin(), v.end(), [&](const auto& d) {
                    return (!twitch_only || d.type == MovementType::twitch) && std::abs(d.start - t.start) <= TOLERANCE_S[0];
                });
            };
            if (near(events, true) != events.end()) continue;
            const char* cause = "undetected";
            bool withheld = false;
            const auto other = near(events, false);
            const auto inside = std::find_if(events.begin(), events.end(), [&](const MovementEvent& d) {
                return t.start >= d.start && t.start <= d.start + d.duration_s;
            });
            if (other != events.end()) cause = "other class", ++e.fn_other_class;
            else if (inside != events.end()) cause = "swallowed", ++e.fn_swallowed;
            else if (near(own_moves_, true) != own_moves_.end()) cause = "withheld", withheld = true, ++e.fn_withheld;
            else ++e.fn_undetected;
            const auto own = near(own_moves_, false);
            std::printf("  FN %-13s at %.2f impulse %.2f s peak %.4f g; detector: %s\n", cause, t.start, t.duration_s, t.peak_g,
                        own == own_moves_.end() ? "nothing" : features(&*own));
            if (own != own_moves_.end() && !withheld) continue;
            // Nothing of the sleeper's own started near it, or the night withheld it: what was going
            // on around it.
            for (const auto& o : truth)
                if (&o != &t && o.start + o.duration_s >= t.start - NEARBY_S && o.start <= t.start + NEARBY_S)
                    std::printf("      truth %s %+.2f s, %.2f s long, peak %.4f g\n", CLASS_NAMES[class_index(o.type)],
                                o.start - t.start, o.duration_s, o.peak_g);
            for (const auto& d : own_moves_)
                if (d.start + d.duration_s >= t.start - NEARBY_S && d.start <= t.start + NEARBY_S)
                    std::printf("      detector %s %+.2f s, %.2f s long: %s\n", CLASS_NAMES[class_index(d.type)], d.start - t.start,
                                d.duration_s, features(&d));
            for (const auto& d : partner_moves_)
                if (d.start + d.duration_s >= t.start - NEARBY_S && d.start <= t.start + NEARBY_S)
                    std::printf("      partner %s %+.2f s, %.2f s long, peak %.4f g at %+.2f s\n", CLASS_NAMES[class_index(d.type)],
                                d.start - t.start, d.duration_s, d.peak_g, d.start + d.peak_after_s - t.start);
        }
        // The impulses the detector learnt the bed's ringing from, by what they truly were.
        int imp_twitch = 0, imp_other = 0;
        std::vector<double> decays;
        for (const auto& d : own_moves_) {
            if (!d.impulse) continue;
            decays.push_back(d.decay_s);
            const bool jerk = std::any_of(truth.begin(), truth.end(), [&](const sim::TrueEvent& t) {
                return t.type == MovementType::twitch && std::abs(t.start - d.start) <= TOLERANCE_S[0];
            });
            ++(jerk ? imp_twitch : imp_other);
        }
        std::sort(decays.begin(), decays.end());
        std::printf("  impulses %d (true twitches %d, other %d), decay median %.3f s, last limit %.2f s\n", imp_twitch + imp_other,
                    imp_twitch, imp_other, decays.empty() ? 0.0 : decays[decays.size() / 2],
                    own_moves_.empty() ? 0.0 : own_moves_.back().twitch_limit_s);
        e.print(" ");
        g_twitch_errors.add(e);
    }

private:
    Detector own_, partner_;
    std::vector<DetectedMovement> own_moves_, partner_moves_;
};

bool g_onset = false;  // --onset: per-night breakdown of sleep onset and onset twitches

/// One line per true night (times in minutes from the true lights-out: lights-out and sleep onset,
/// true then found; onset twitches true/found), then every twitch on either side of the count that
/// is not common to both: a true onset twitch the summary did not count (not detected, or detected
/// outside the found window) and a counted one that is not a true onset twitch.
void explain_onset(const std::vector<NightSummary>& summaries, const std::vector<MovementEvent>& events,
                   const std::vector<sim::TrueEvent>& truth, const std::vector<sim::TrueNight>& truth_nights) {
    for (const sim::TrueNight& tn : truth_nights) {
        const auto s = std::find_if(summaries.begin(), summaries.end(), [&](const NightSummary& x) { return x.night == tn.night; });
        const double lo = tn.lights_out;
        auto rel = [&](std::optional<UnixS> t) { return t ? (*t - lo) / 60 : NAN; };
        if (s == summaries.end()) {
            std::printf("  onset %s: not closed; true onset %+.1f min\n", tn.night.c_str(), (tn.sleep_onset - lo) / 60);
            continue;
        }
        const UnixS ws = s->lights_out ? *s->lights_out : s->in_bed.value_or(lo);
        const UnixS we = s->sleep_onset ? *s->sleep_onset + TRUTH_WINDOW_AFTER_S : ws;
        const UnixS twe = tn.sleep_onset + TRUTH_WINDOW_AFTER_S;
        std::printf("  onset %s: lights-out 0 / %+.1f, onset %+.1f / %+.1f (error %+.1f), onset twitches %d / %d%s%s",
                    tn.night.c_str(), rel(s->lights_out), (tn.sleep_onset - lo) / 60, rel(s->sleep_onset),
                    s->sleep_onset ? (*s->sleep_onset - tn.sleep_onset) / 60 : NAN, tn.onset_twitches, s->onset_twitches,
                    s->onset_twitches == tn.onset_twitches ? "" : "  <- wrong",
                    s->twitch_heavy == tn.twitch_heavy ? ""
                    : tn.twitch_heavy                  ? "  <- not judged twitch-heavy"
                                                       : "  <- judged twitch-heavy");
        if (s->twitch_heavy != tn.twitch_heavy)
            std::printf(" (from %g: usual %g, MAD %g over %d nights)", s->baseline.threshold, s->baseline.onset_twitches_median,
                        s->baseline.onset_twitches_mad, s->baseline.nights);
        std::printf("\n");
        std::vector<UnixS> det;
        for (const auto& e : events)
            if (e.type == MovementType::twitch) det.push_back(e.start);
        auto detected = [&](UnixS t) {
            return std::any_of(det.begin(), det.end(), [&](UnixS d) { return std::abs(d - t) <= TOLERANCE_S[0]; });
        };
        for (const auto& e : truth) {
            if (e.type != MovementType::twitch || e.start < lo || e.start > twe) continue;
            const bool found = detected(e.start), counted = found && e.start >= ws && e.start <= we;
            if (!counted)
                std::printf("    missed true onset twitch at %+.2f min (%s)\n", (e.start - lo) / 60,
                            found ? "outside the found window" : "not detected");
        }
        for (UnixS d : det) {
            if (d < ws || d > we) continue;
            const bool true_onset = std::any_of(truth.begin(), truth.end(), [&](const sim::TrueEvent& e) {
                return e.type == MovementType::twitch && std::abs(e.start - d) <= TOLERANCE_S[0] && e.start >= lo &&
                       e.start <= twe;
            });
            if (!true_onset) std::printf("    extra counted twitch at %+.2f min\n", (d - lo) / 60);
        }
    }
}

/// Runs `nights` simulated nights through the whole core (detector, partner bleed, night tracker)
/// exactly as `hypnicd replay` would, and scores its published events and night summaries.
Result run_config(double hz, double noise_g, bool partner, int nights, std::uint64_t seed, const Physics& ph) {
    sim::SimParams sp;
    sp.nights = nights;
    sp.seed = seed;
    sp.hz = hz;
    sp.noise_g = noise_g;
    sp.partner = partner;
    sp.profile = sim::Profile::mixed;
    sp.ring_hz_scale = ph.ring_hz_scale;
    sp.ring_tau_scale = ph.ring_tau_scale;
    sp.jerk_duration_scale = ph.jerk_duration_scale;
    sp.jitter_s = ph.jitter_frac / hz;
    const FixedZone zone;
    MemoryHistory history;
    Plugin plugin(sim_plugin_params(), zone, history);
    sim::Simulator simulator(sp, zone);
    std::vector<Output> out;
    std::vector<NightSummary> summaries;
    std::vector<MovementEvent> events;
    auto collect = [&] {
        for (const Output& o : out) {
            if (const auto* n = std::get_if<NightSummary>(&o.body)) summaries.push_back(*n);
            if (const auto* e = std::get_if<MovementEvent>(&o.body); e && e->type != MovementType::plm_series)
                events.push_back(*e);
        }
        out.clear();
    };
    sim::SimMessage m;
    UnixS last = 0;
    std::optional<TwitchExplainer> explainer;
    if (g_explain) explainer.emplace(sim_plugin_params().sleepers[0].detector);
    while (simulator.next(m)) {
        if (explainer) explainer->feed(m);
        if (m.arrival >= plugin.next_wakeup()) plugin.on_time(m.arrival, out);
        Input in;
        in.sleeper = 0;
        in.arrival = m.arrival;
        switch (m.channel) {
            case sim::Channel::accel: in.sensor = 0; break;
            case sim::Channel::partner_accel: in.sensor = 1; break;
            case sim::Channel::presence: in.sensor = 2; break;
            case sim::Channel::light: in.sensor = 3; break;
            case sim::Channel::factor_log: in.sensor = SIZE_MAX; break;
        }
        std::visit([&](const auto& r) { in.reading = r; }, m.reading);
        plugin.on_input(in, out);
        collect();
        last = m.arrival;
    }
    for (UnixS t = last; t <= last + 12 * 3600; t += 60) {
        plugin.on_time(t, out);
        collect();
    }
    std::vector<sim::TrueEvent> truth;
    std::vector<sim::TrueNight> truth_nights;
    simulator.take_truth(truth, truth_nights);

    Result r;
    if (explainer) explainer->report(events, truth);
    if (g_onset) explain_onset(summaries, events, truth, truth_nights);
    for (int c = 0; c < CLASSES; ++c) {
        std::vector<double> t, d;
        for (const auto& e : truth)
            if (class_index(e.type) == c) t.push_back(e.start);
        for (const auto& e : events)
            if (class_index(e.type) == c) d.push_back(e.start);
        r.cls[c] = match(t, d, TOLERANCE_S[c]);
    }
    for (const sim::TrueNight& tn : truth_nights) {
        ++r.nights;
        const auto s = std::find_if(summaries.begin(), summaries.end(), [&](const NightSummary& x) { return x.night == tn.night; });
        if (s == summaries.end()) {
            r.plm_abs_err_sum += tn.plm_index;  // a night never closed counts every PLM as missed
            continue;
        }
        ++r.closed;
        r.onset_exact += s->onset_twitches == tn.onset_twitches;
        r.heavy_right += s->twitch_heavy == tn.twitch_heavy;
        r.plm_abs_err_sum += std::abs(s->plm_index - tn.plm_index);
        if (s->sleep_onset) r.onset_abs_err_min.push_back(std::abs(*s->sleep_onset - tn.sleep_onset) / 60);
    }
    return r;
}

// ---- agreement of the scorers with the reference software -------------------------------------

struct Agreement {
    long compared = 0, equal = 0;
    double pct() const { return compared ? 100.0 * static_cast<double>(equal) / static_cast<double>(compared) : 0; }
};

/// One column of a reference CSV as text, rows in file order (header excluded).
std::vector<std::string> csv_column(const std::string& path, const std::string& name) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const auto rows = adapters::parse_csv(ss.str(), path);
    std::vector<std::string> out;
    if (rows.empty()) return out;
    const auto& head = rows[0].fields;
    const auto col = std::find(head.begin(), head.end(), name);
    if (col == head.end()) throw std::runtime_error(path + ": no column '" + name + "'");
    const auto k = static_cast<std::size_t>(col - head.begin());
    for (std::size_t i = 1; i < rows.size(); ++i) out.push_back(k < rows[i].fields.size() ? rows[i].fields[k] : "");
    return out;
}

/// Adds the epochs where the reference has a label: `want` holds "S", "W" or "" (no label).
void compare(const std::vector<score::State>& got, const std::vector<std::string>& want, Agreement& a) {
    for (std::size_t i = 0; i < want.size() && i < got.size(); ++i) {
        if (want[i].empty()) continue;
        ++a.compared;
        a.equal += static_cast<char>(got[i]) == want[i][0];
    }
}

/// ActiLife 6 (Cole-Kripke, Sadeh on the GT3X+ day) and Actiware (Oakley, 15 s, medium threshold,
/// on 18 Actiwatch nights), epoch for epoch; the same references as the conformance tests.
void print_agreement(const std::string& dir) {
    namespace fs = std::filesystem;
    Agreement ck, sadeh, oakley;
    try {
        const std::string day = dir + "/actigraph-gt3x-day01/GT3XPlus-RawData-Day01-sleep-awake.csv";
        const auto s = adapters::read_actigraphy_csv(day);
        compare(score::cole_kripke(s.counts), csv_column(day, "cole-kripke"), ck);
        compare(score::sadeh(s.counts), csv_column(day, "sadeh"), sadeh);
        std::vector<std::string> nights;
        for (const auto& e : fs::directory_iterator(dir + "/actiwatch-nights"))
            if (e.path().extension() == ".csv") nights.push_back(e.path().string());
        std::sort(nights.begin(), nights.end());
        for (const auto& path : nights) {
            const auto w = adapters::read_actigraphy_csv(path);
            std::vector<std::string> want;
            for (const auto& l : csv_column(path, "Actiware classification")) want.push_back(l == "0" ? "S" : l == "1" ? "W" : "");
            compare(score::oakley(w.counts, w.epoch_s, 40), want, oakley);
        }
        std::printf("\nreference agreement (epoch for epoch, %s)\n", dir.c_str());
        std::printf("actilife_cole_kripke_agreement %.2f %% (%ld epochs)\n", ck.pct(), ck.compared);
        std::printf("actilife_sadeh_agreement %.2f %% (%ld epochs)\n", sadeh.pct(), sadeh.compared);
        std::printf("actiware_oakley_agreement %.2f %% (%ld epochs, %zu nights)\n", oakley.pct(), oakley.compared, nights.size());
    } catch (const std::exception& e) {
        std::printf("\nreference agreement: not measured: %s\n", e.what());
    }
}

void print_row(const char* label, const Result& r) {
    std::printf("%-22s |", label);
    for (int c = 0; c < CLASSES; ++c) std::printf(" %5.3f", r.cls[c].f1());
    std::printf(" | %3d/%-3d %5.2f %8.2f %6.2f | %6.2f\n", r.onset_exact, r.nights, r.share(r.heavy_right), r.onset_median_min(),
                r.share(r.closed), r.plm_mae());
}

}  // namespace

int main(int argc, char** argv) {
    int nights = 2;
    std::uint64_t seed = 1000;
    std::vector<double> rates = {25, 50, 100};
    bool perturbed = false;
    std::string external = HYPNIC_EXTERNAL_DATA;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--nights" && i + 1 < argc) nights = std::max(1, std::atoi(argv[++i]));
        else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--hz" && i + 1 < argc) rates = {std::atof(argv[++i])};
        else if (a == "--perturbed") perturbed = true;
        else if (a == "--explain") g_explain = true;
        else if (a == "--onset") g_onset = true;
        else if (a == "--onset-burst-gap" && i + 1 < argc) g_onset_burst_gap_min = std::max(0.0, std::atof(argv[++i]));
        else if (a == "--onset-single-start" && i + 1 < argc) g_onset_single_start_min = std::max(0.0, std::atof(argv[++i]));
        else if (a == "--onset-sleep-min" && i + 1 < argc) g_onset_sleep_min = std::max(1, std::atoi(argv[++i]));
        else if (a == "--onset-section" && i + 1 < argc) g_onset_section_min = std::max(0, std::atoi(argv[++i]));
        else if (a == "--external" && i + 1 < argc) external = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: hypnic_accuracy [--nights N per configuration] [--seed S] [--hz F] [--perturbed] "
                         "[--external DIR] [--explain] [--onset] [--onset-burst-gap MIN]\n"
                         "       [--onset-single-start MIN] [--onset-sleep-min N] [--onset-section N]\n");
            return 2;
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    // Low noise is a good MEMS accelerometer on a slatted frame; high, a cheap one (science.md).
    const double noises[] = {0.0015, 0.004};
    const bool partners[] = {false, true};
    // Perturbed: every configuration gets its own mattress and sensor, drawn from a generator
    // that is independent of the night's.
    std::mt19937_64 phys_rng(seed ^ 0x5DEECE66DULL);
    auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(phys_rng); };

    std::printf("hypnic_accuracy: %d night(s) per configuration, seeds from %llu, %s\n", nights,
                static_cast<unsigned long long>(seed), perturbed ? "perturbed physics" : "nominal physics");
    std::printf("%-22s | %-17s | %-7s %5s %8s %6s | %s\n", "hz noise_g partner", "F1 tw   lm    lg", "onsetTw", "heavy",
                "onset|e|", "closed", "PLMI MAE");
    Result total;
    int config = 0;
    for (double hz : rates) {
        for (double noise : noises) {
            for (bool partner : partners) {
                Physics ph;
                if (perturbed) {
                    ph.ring_hz_scale = uni(0.6, 1.6);
                    ph.ring_tau_scale = uni(0.6, 1.8);
                    ph.jerk_duration_scale = uni(0.6, 1.6);
                    ph.jitter_frac = uni(0, 0.2);
                }
                const Result r = run_config(hz, noise, partner, nights, seed + static_cast<std::uint64_t>(config++) * 7919, ph);
                char label[64];
                std::snprintf(label, sizeof label, "%-4.0f %-7.4f %-3s", hz, noise, partner ? "yes" : "no");
                print_row(label, r);
                if (perturbed)
                    std::printf("%-22s   (resonance x%.2f, ringing decay x%.2f, jerk duration x%.2f, jitter %.2f/hz)\n", "",
                                ph.ring_hz_scale, ph.ring_tau_scale, ph.jerk_duration_scale, ph.jitter_frac);
                total.add(r);
            }
        }
    }
    print_row("all", total);
    std::printf("\n");
    for (int c = 0; c < CLASSES; ++c) {
        std::printf("%s_truth %ld events\n", CLASS_NAMES[c], total.cls[c].truth);
        std::printf("%s_precision %.4f ratio\n", CLASS_NAMES[c], total.cls[c].precision());
        std::printf("%s_recall %.4f ratio\n", CLASS_NAMES[c], total.cls[c].recall());
        std::printf("%s_f1 %.4f ratio\n", CLASS_NAMES[c], total.cls[c].f1());
    }
    std::printf("onset_twitches_exact %.4f ratio (%d of %d nights)\n", total.share(total.onset_exact), total.onset_exact,
                total.nights);
    std::printf("sleep_onset_median_abs_error %.2f min\n", total.onset_median_min());
    std::printf("twitch_heavy_accuracy %.4f ratio\n", total.share(total.heavy_right));
    std::printf("plm_index_mae %.3f per_hour\n", total.plm_mae());
    std::printf("nights_closed %d of %d nights\n", total.closed, total.nights);
    if (g_explain) g_twitch_errors.print("all:");
    print_agreement(external);
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\nelapsed %.0f s\n", elapsed_s);
    return 0;
}
