// One sleeper's advice, renewed after each closed night: habit comparisons, the doctor hint, routine, reassurance.
#include "plugin/advice/advisor.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "plugin/night/rules.hpp"

namespace hypnic::advice {

namespace {

const FactorSummary* summary_of(const NightSummary& n, Factor f) {
    for (const auto& s : n.factors)
        if (s.factor == f) return &s;
    return nullptr;
}

Factor factor_of(Habit h) {
    switch (h) {
        case Habit::caffeine: return Factor::caffeine;
        case Habit::exercise: return Factor::exercise;
        case Habit::stress: return Factor::stress;
        case Habit::magnesium: return Factor::magnesium;
    }
    return Factor::caffeine;
}

Sample sample_of(const std::vector<double>& v) {
    Sample s;
    s.n = static_cast<int>(v.size());
    if (v.empty()) return s;
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / s.n;
    if (s.n >= 2) {
        double ss = 0;
        for (double x : v) ss += (x - s.mean) * (x - s.mean);
        s.variance = ss / (s.n - 1);
    }
    return s;
}

// Two-sided confidence of a normal quantile z: P(|Z| < z).
double confidence_of(double z) { return std::erf(z / std::sqrt(2.0)); }

std::string text_of(const AdviceParams& p, const std::string& id) {
    const auto it = p.texts.find(id);
    return it == p.texts.end() ? std::string() : it->second;
}

void add(AdviceItem& item, std::string key, EvidenceValue v) { item.evidence.push_back({std::move(key), std::move(v)}); }
void add_int(AdviceItem& item, std::string key, int v) { add(item, std::move(key), static_cast<std::int64_t>(v)); }

// What "with" means for each habit, in the evidence (a stable code, not a sentence: texts are translated).
void add_definition(AdviceItem& item, Habit h, const SleeperParams& sp) {
    switch (h) {
        case Habit::caffeine:
            add(item, "with", std::string("caffeine_within_window"));
            add(item, "window_h", sp.winddown.caffeine_cutoff_h);
            break;
        case Habit::exercise:
            add(item, "with", std::string("exercise_within_window"));
            add(item, "window_h", sp.winddown.exercise_cutoff_h);
            break;
        case Habit::stress:
            add(item, "with", std::string("stress_at_or_above_level"));
            add(item, "stress_level", sp.advice.stress_level);
            break;
        case Habit::magnesium: add(item, "with", std::string("no_magnesium")); break;
    }
}

AdviceItem habit_item(const Comparison& c, const SleeperParams& sp) {
    const AdviceParams& p = sp.advice;
    AdviceItem item;
    item.id = std::string(to_string(c.habit));
    item.text = text_of(p, item.id);
    add_definition(item, c.habit, sp);
    add_int(item, "nights_with", c.nights_with);
    add_int(item, "nights_without", c.nights_without);
    add_int(item, "heavy_with", c.heavy_with);
    add_int(item, "heavy_without", c.heavy_without);
    add(item, "heavy_rate_with", c.rate_with);
    add(item, "heavy_rate_without", c.rate_without);
    add(item, "effect", c.effect);
    add(item, "effect_low", c.interval.low);
    add(item, "effect_high", c.interval.high);
    add(item, "confidence", confidence_of(p.z));
    add(item, "threshold", p.min_effect);
    add(item, "onset_twitches_with", c.onset_with.mean);
    add(item, "onset_twitches_without", c.onset_without.mean);
    add(item, "onset_twitches_difference", c.onset_difference.difference);
    add(item, "onset_twitches_difference_se", c.onset_difference.se);
    return item;
}

// Bedtime as minutes after noon, so that 23:50 and 00:10 are 20 minutes apart, not 23 hours.
double bedtime_min_after_noon(UnixS t, const Zone& zone) {
    double s = local_seconds_of_day(t, zone) - 12 * 3600.0;
    if (s < 0) s += 24 * 3600.0;
    return s / 60.0;
}

}  // namespace

std::string_view to_string(Habit h) {
    switch (h) {
        case Habit::caffeine: return "caffeine";
        case Habit::exercise: return "exercise";
        case Habit::stress: return "stress";
        case Habit::magnesium: return "magnesium";
    }
    return "caffeine";
}

bool exposed(const NightSummary& night, Habit h, const AdviceParams& p) {
    const FactorSummary* s = summary_of(night, factor_of(h));
    const bool logged = s != nullptr && s->count > 0;
    switch (h) {
        case Habit::caffeine:
        case Habit::exercise: return logged && s->late;
        // Stress is logged as a level 0..10; a calm evening logged as 2 is not a stressful one.
        case Habit::stress: return logged && s->amount / s->count >= p.stress_level;
        case Habit::magnesium: return !logged;
    }
    return false;
}

Comparison compare(const std::vector<NightSummary>& nights, Habit h, const AdviceParams& p) {
    Comparison c;
    c.habit = h;
    std::vector<double> with, without;
    for (const auto& n : nights) {
        if (exposed(n, h, p)) {
            ++c.nights_with;
            if (n.twitch_heavy) ++c.heavy_with;
            with.push_back(n.onset_twitches);
        } else {
            ++c.nights_without;
            if (n.twitch_heavy) ++c.heavy_without;
            without.push_back(n.onset_twitches);
        }
    }
    c.rate_with = laplace_rate(c.heavy_with, c.nights_with);
    c.rate_without = laplace_rate(c.heavy_without, c.nights_without);
    c.effect = c.rate_with - c.rate_without;
    c.interval = newcombe_difference(c.heavy_with, c.nights_with, c.heavy_without, c.nights_without, p.z);
    c.onset_with = sample_of(with);
    c.onset_without = sample_of(without);
    c.onset_difference = mean_difference(c.onset_with, c.onset_without);
    c.enough_nights = static_cast<int>(nights.size()) >= p.min_nights && c.nights_with >= p.min_each &&
                      c.nights_without >= p.min_each;
    c.advised = c.enough_nights && c.interval.low > p.min_effect;
    return c;
}

int plm_nights(const std::vector<NightSummary>& nights, const AdviceParams& p) {
    const std::size_t window = static_cast<std::size_t>(std::max(p.plm_window_nights, 0));
    const std::size_t from = nights.size() > window ? nights.size() - window : 0;
    int k = 0;
    for (std::size_t i = from; i < nights.size(); ++i)
        if (nights[i].plm_index >= p.plm_index_per_h && nights[i].plm_periodicity >= p.plm_periodicity) ++k;
    return k;
}

int discomfort_heavy_nights(const std::vector<NightSummary>& nights) {
    int k = 0;
    for (const auto& n : nights) {
        const FactorSummary* s = summary_of(n, Factor::discomfort);
        if (n.twitch_heavy && s != nullptr && s->count > 0) ++k;
    }
    return k;
}

int large_dominated_nights(const std::vector<NightSummary>& nights, const AdviceParams& p) {
    int k = 0;
    for (const auto& n : nights) {
        const int all = n.twitches + n.limb_movements + n.large_movements;
        if (all > 0 && static_cast<double>(n.large_movements) / all > p.mattress_share) ++k;
    }
    return k;
}

Advice make_advice(const std::vector<NightSummary>& nights, const SleeperParams& sp, const Zone& zone,
                   UnixS generated) {
    const AdviceParams& p = sp.advice;
    Advice a;
    a.generated = generated;
    a.nights = static_cast<int>(nights.size());

    // The doctor hint needs several nights by construction (plm_nights, discomfort_nights >= 2):
    // PLM varies a lot from night to night, so one night says little.
    const int plm = plm_nights(nights, p);
    const int discomfort = discomfort_heavy_nights(nights);
    const bool plm_hint = p.plm_nights >= 2 && plm >= p.plm_nights;
    const bool discomfort_hint = p.discomfort_nights >= 2 && discomfort >= p.discomfort_nights;
    if (plm_hint || discomfort_hint) {
        AdviceItem item;
        item.id = "consult_doctor";
        item.text = text_of(p, item.id);
        add(item, "reason", std::string(plm_hint && discomfort_hint ? "plm,discomfort" : plm_hint ? "plm" : "discomfort"));
        add_int(item, "plm_nights", plm);
        add_int(item, "plm_window_nights", std::min<int>(p.plm_window_nights, a.nights));
        add_int(item, "plm_nights_needed", p.plm_nights);
        add(item, "plm_index_per_h", p.plm_index_per_h);
        add(item, "plm_periodicity", p.plm_periodicity);
        add_int(item, "discomfort_heavy_nights", discomfort);
        add_int(item, "discomfort_nights_needed", p.discomfort_nights);
        a.items.push_back(std::move(item));
    }

    std::vector<Comparison> advised;
    for (Habit h : ALL_HABITS) {
        Comparison c = compare(nights, h, p);
        if (c.advised) advised.push_back(c);
    }
    // Rank by what the data can vouch for: the interval's lower bound, not the point estimate.
    std::stable_sort(advised.begin(), advised.end(), [](const Comparison& x, const Comparison& y) {
        if (x.interval.low != y.interval.low) return x.interval.low > y.interval.low;
        return x.effect > y.effect;
    });
    for (const auto& c : advised) a.items.push_back(habit_item(c, sp));

    const int dominated = large_dominated_nights(nights, p);
    if (a.nights >= p.min_nights && 2 * dominated > a.nights) {
        AdviceItem item;
        item.id = "mattress";
        item.text = text_of(p, item.id);
        add_int(item, "large_dominated_nights", dominated);
        add_int(item, "nights", a.nights);
        add(item, "large_share_threshold", p.mattress_share);
        a.items.push_back(std::move(item));
    }

    {
        AdviceItem item;
        item.id = "routine";
        item.text = text_of(p, item.id);
        std::vector<double> bedtimes, latencies;
        for (const auto& n : nights) {
            if (const auto t = n.lights_out ? n.lights_out : n.in_bed) bedtimes.push_back(bedtime_min_after_noon(*t, zone));
            if (n.onset_latency_min) latencies.push_back(*n.onset_latency_min);
        }
        add_int(item, "nights", a.nights);
        if (bedtimes.size() >= 2) add(item, "bedtime_sd_min", std::sqrt(sample_of(bedtimes).variance));
        if (!latencies.empty()) add(item, "onset_latency_median_min", night::median(latencies));
        a.items.push_back(std::move(item));
    }
    {
        AdviceItem item;
        item.id = "reassurance";
        item.text = text_of(p, item.id);
        int heavy = 0;
        std::vector<double> onset;
        for (const auto& n : nights) {
            if (n.twitch_heavy) ++heavy;
            onset.push_back(n.onset_twitches);
        }
        add_int(item, "nights", a.nights);
        add_int(item, "heavy_nights", heavy);
        if (!nights.empty()) {
            add(item, "heavy_share", static_cast<double>(heavy) / a.nights);
            add(item, "onset_twitches_median", night::median(onset));
        }
        a.items.push_back(std::move(item));
    }
    for (std::size_t i = 0; i < a.items.size(); ++i) a.items[i].priority = static_cast<int>(i) + 1;
    return a;
}

// ---------------------------------------------------------------------------------------------

Advisor::Advisor(const SleeperParams& params, const std::string& /*language*/, const Zone& zone, History& history)
    : params_(params), zone_(zone), history_(history) {
    if (!params_.advice.enabled) return;
    const std::vector<NightSummary> nights = recent(nullptr);
    if (nights.empty()) return;
    // The advice is a function of History, so a restart rebuilds it; only the time it was made is kept.
    UnixS generated = nights.back().out_of_bed.value_or(nights.back().in_bed.value_or(0));
    if (auto blob = history_.get_state(state_key()); blob && !blob->empty()) {
        std::int64_t ms = 0;
        const auto [ptr, ec] = std::from_chars(blob->data(), blob->data() + blob->size(), ms);
        if (ec == std::errc() && ptr == blob->data() + blob->size()) generated = static_cast<double>(ms) / 1000.0;
    }
    current_ = make_advice(nights, params_, zone_, generated);
}

std::string Advisor::state_key() const { return "advice/" + params_.id; }

std::vector<NightSummary> Advisor::recent(const NightSummary* closed) const {
    const std::size_t n = static_cast<std::size_t>(std::max(params_.advice.history_nights, 1));
    std::vector<NightSummary> nights = history_.recent_nights(params_.id, n);
    // The closed night is normally in History already; a History that lags must not lose it.
    if (closed != nullptr && std::none_of(nights.begin(), nights.end(),
                                          [&](const NightSummary& x) { return x.night == closed->night; })) {
        nights.push_back(*closed);
        if (nights.size() > n) nights.erase(nights.begin());
    }
    return nights;
}

void Advisor::on_night_closed(const NightSummary& night, UnixS now, std::vector<OutputBody>& out) {
    if (!params_.advice.enabled) return;
    current_ = make_advice(recent(&night), params_, zone_, now);
    history_.put_state(state_key(), std::to_string(static_cast<std::int64_t>(std::llround(now * 1000.0))));
    out.emplace_back(*current_);
}

void Advisor::retained(std::vector<OutputBody>& out) const {
    if (current_) out.emplace_back(*current_);
}

}  // namespace hypnic::advice
