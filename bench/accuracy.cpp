// hypnic_accuracy: detector precision/recall/F1 per movement class and PLM-index error on simulated nights.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/detect/detector.hpp"
#include "plugin/history.hpp"
#include "plugin/plugin.hpp"
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

struct Result {
    Counts cls[CLASSES];
    double plm_abs_err_sum = 0;
    int nights = 0;
    long bleed_rejected = 0;
};

/// Partner bleed (docs/detection.md): a movement on the sleeper's sensor that starts while a
/// movement at least twice as strong is under way on the partner's sensor (its span widened by
/// 0.5 s each side) is the partner's. A weak copy crosses the threshold later than the original
/// and may break into pieces, so start-to-start coincidence alone misses most of them.
bool is_bleed(const DetectedMovement& m, const std::vector<DetectedMovement>& partner) {
    for (const DetectedMovement& q : partner)
        if (m.start >= q.start - 0.5 && m.start <= q.start + q.duration_s + 0.5 && q.peak_g >= 2 * m.peak_g) return true;
    return false;
}

Result run_config(double hz, double noise_g, bool partner, int nights, std::uint64_t seed) {
    sim::SimParams sp;
    sp.nights = nights;
    sp.seed = seed;
    sp.hz = hz;
    sp.noise_g = noise_g;
    sp.partner = partner;
    sp.profile = sim::Profile::mixed;
    const FixedZone zone;
    sim::Simulator simulator(sp, zone);
    const DetectorParams dp;
    Detector self(dp), other(dp);
    std::vector<DetectedMovement> mine, theirs;
    sim::SimMessage m;
    while (simulator.next(m)) {
        if (const auto* b = std::get_if<AccelBatch>(&m.reading)) {
            if (m.channel == sim::Channel::accel) self.feed(*b, mine);
            else other.feed(*b, theirs);
        }
    }
    self.flush(1e12, mine);
    other.flush(1e12, theirs);
    std::vector<sim::TrueEvent> truth;
    std::vector<sim::TrueNight> truth_nights;
    simulator.take_truth(truth, truth_nights);

    Result r;
    std::vector<DetectedMovement> kept;
    for (const DetectedMovement& d : mine) {
        if (partner && is_bleed(d, theirs)) {
            ++r.bleed_rejected;
            continue;
        }
        kept.push_back(d);
    }
    for (int c = 0; c < CLASSES; ++c) {
        std::vector<double> t, d;
        for (const auto& e : truth)
            if (class_index(e.type) == c) t.push_back(e.start);
        for (const auto& e : kept)
            if (class_index(e.type) == c) d.push_back(e.start);
        r.cls[c] = match(t, d, TOLERANCE_S[c]);
    }
    // PLM index from detected limb movements inside the true sleep period (isolates the
    // detector from sleep-onset errors, which the night tracker owns).
    for (const sim::TrueNight& n : truth_nights) {
        std::vector<LimbMovement> lms;
        for (const auto& e : kept) {
            if (e.type != MovementType::limb_movement || e.start < n.sleep_onset || e.start >= n.wake) continue;
            if (n.bathroom_out && e.start >= *n.bathroom_out - 240 && e.start < *n.bathroom_back + 900) continue;
            lms.push_back({e.start, e.duration_s});
        }
        const PlmResult pr = find_plm_series(lms, dp);
        const double idx = n.asleep_h > 0 ? pr.plm_count / n.asleep_h : 0;
        r.plm_abs_err_sum += std::abs(idx - n.plm_index);
        ++r.nights;
    }
    return r;
}

/// Night-level accuracy of the whole core (detector + night tracker) on simulated nights.
struct NightResult {
    int nights = 0, matched = 0, heavy_right = 0;
    double onset_abs_err_min = 0, onset_twitch_abs_err = 0;
};

NightResult run_plugin(double hz, double noise_g, bool partner, int nights, std::uint64_t seed) {
    sim::SimParams sp;
    sp.nights = nights;
    sp.seed = seed;
    sp.hz = hz;
    sp.noise_g = noise_g;
    sp.partner = partner;
    const FixedZone zone;
    // The sensors of tests/data/sim/hypnic.yaml, in the same order.
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
                  sensor(SensorKind::presence, "bed/alex/presence", false), sensor(SensorKind::lights, "zigbee2mqtt/bedroom_light", false)};
    sl.winddown.enabled = false;
    pp.sleepers.push_back(sl);
    MemoryHistory history;
    Plugin plugin(pp, zone, history);
    sim::Simulator simulator(sp, zone);
    std::vector<Output> out;
    std::vector<NightSummary> summaries;
    auto collect = [&] {
        for (const Output& o : out)
            if (const auto* n = std::get_if<NightSummary>(&o.body)) summaries.push_back(*n);
        out.clear();
    };
    sim::SimMessage m;
    UnixS last = 0;
    while (simulator.next(m)) {
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
    NightResult r;
    for (const sim::TrueNight& tn : truth_nights) {
        ++r.nights;
        for (const NightSummary& s : summaries) {
            if (s.night != tn.night) continue;
            ++r.matched;
            r.heavy_right += s.twitch_heavy == tn.twitch_heavy;
            r.onset_twitch_abs_err += std::abs(s.onset_twitches - tn.onset_twitches);
            r.onset_abs_err_min += s.sleep_onset ? std::abs(*s.sleep_onset - tn.sleep_onset) / 60 : 24 * 60;
            break;
        }
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    int nights = 3;
    std::uint64_t seed = 1000;
    std::vector<double> rates = {25, 50, 100};
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--nights" && i + 1 < argc) nights = std::max(1, std::atoi(argv[++i]));
        else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--hz" && i + 1 < argc) rates = {std::atof(argv[++i])};
        else {
            std::fprintf(stderr, "usage: hypnic_accuracy [--nights N] [--seed S] [--hz F]\n");
            return 2;
        }
    }
    const double noises[] = {0.0015, 0.004};
    const bool partners[] = {false, true};

    Result total;
    std::printf("%-5s %-7s %-7s | %-17s | %-17s | %-17s | %s\n", "hz", "noise_g", "partner", "twitch P/R/F1",
                "limb P/R/F1", "large P/R/F1", "PLMI MAE /h");
    int config = 0;
    for (double hz : rates) {
        for (double noise : noises) {
            for (bool partner : partners) {
                const Result r = run_config(hz, noise, partner, nights, seed + static_cast<std::uint64_t>(config++) * 7919);
                std::printf("%-5.0f %-7.4f %-7s |", hz, noise, partner ? "yes" : "no");
                for (int c = 0; c < CLASSES; ++c)
                    std::printf(" %.3f %.3f %.3f |", r.cls[c].precision(), r.cls[c].recall(), r.cls[c].f1());
                std::printf(" %.2f\n", r.nights ? r.plm_abs_err_sum / r.nights : 0.0);
                for (int c = 0; c < CLASSES; ++c) total.cls[c].add(r.cls[c]);
                total.plm_abs_err_sum += r.plm_abs_err_sum;
                total.nights += r.nights;
                total.bleed_rejected += r.bleed_rejected;
            }
        }
    }
    std::printf("\n");
    for (int c = 0; c < CLASSES; ++c) {
        std::printf("%s_truth %ld events\n", CLASS_NAMES[c], total.cls[c].truth);
        std::printf("%s_precision %.4f ratio\n", CLASS_NAMES[c], total.cls[c].precision());
        std::printf("%s_recall %.4f ratio\n", CLASS_NAMES[c], total.cls[c].recall());
        std::printf("%s_f1 %.4f ratio\n", CLASS_NAMES[c], total.cls[c].f1());
    }
    std::printf("plm_index_mae %.3f per_hour\n", total.nights ? total.plm_abs_err_sum / total.nights : 0.0);
    std::printf("bleed_rejected %ld events\n", total.bleed_rejected);
    std::printf("nights %d nights\n", total.nights);

    // Whole core: onset, onset twitches and the heavy verdict per night (50 Hz, 2 mg).
    std::printf("\n%-7s | %-7s %-8s %-18s %-22s %s\n", "partner", "nights", "closed", "onset MAE min",
                "onset twitch MAE", "heavy accuracy");
    NightResult all;
    for (bool partner : partners) {
        const NightResult r = run_plugin(50, 0.002, partner, nights * 2, seed + 100 + (partner ? 1 : 0));
        std::printf("%-7s | %-7d %-8d %-18.2f %-22.2f %.3f\n", partner ? "yes" : "no", r.nights, r.matched,
                    r.matched ? r.onset_abs_err_min / r.matched : 0.0, r.matched ? r.onset_twitch_abs_err / r.matched : 0.0,
                    r.matched ? static_cast<double>(r.heavy_right) / r.matched : 0.0);
        all.nights += r.nights;
        all.matched += r.matched;
        all.heavy_right += r.heavy_right;
        all.onset_abs_err_min += r.onset_abs_err_min;
        all.onset_twitch_abs_err += r.onset_twitch_abs_err;
    }
    std::printf("\nnights_closed %d nights\n", all.matched);
    std::printf("sleep_onset_mae %.2f min\n", all.matched ? all.onset_abs_err_min / all.matched : 0.0);
    std::printf("onset_twitches_mae %.2f twitches\n", all.matched ? all.onset_twitch_abs_err / all.matched : 0.0);
    std::printf("twitch_heavy_accuracy %.4f ratio\n", all.matched ? static_cast<double>(all.heavy_right) / all.matched : 0.0);
    return 0;
}
