// Unit tests of the advice: the small-sample statistics, the habit comparison, the doctor hint and the Advisor.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "plugin/advice/advisor.hpp"
#include "plugin/advice/stats.hpp"
#include "plugin/history.hpp"

using namespace hypnic;
using namespace hypnic::advice;

namespace {

constexpr double Z95 = 1.959964;
const UnixS DAY0 = 1795640400;  // 2026-11-25T18:20:00Z

// One closed night: in bed at 22:00 UTC on day `i`, with the given onset twitches and heavy verdict.
NightSummary night(int i, int onset_twitches, bool heavy) {
    NightSummary n;
    const UnixS bed = DAY0 + i * 86400.0 + 3.0 * 3600 + 40 * 60;
    n.night = "night-" + std::string(i < 10 ? "0" : "") + std::to_string(i);  // sorts like the real dates
    n.in_bed = bed;
    n.lights_out = bed + 600;
    n.sleep_onset = bed + 1800;
    n.onset_latency_min = 20;
    n.out_of_bed = bed + 9 * 3600.0;
    n.onset_twitches = onset_twitches;
    n.twitches = onset_twitches + 2;
    n.limb_movements = 40;
    n.large_movements = 15;
    n.twitch_heavy = heavy;
    for (Factor f : ALL_FACTORS) n.factors.push_back(FactorSummary{f, 0, 0, std::nullopt, std::nullopt, false});
    return n;
}

// Logs factor `f` on night `n`, `hours` before bed with `amount`; `late` as the night tracker would set it.
void log_factor(NightSummary& n, Factor f, double hours, double amount, bool late) {
    for (auto& s : n.factors) {
        if (s.factor != f) continue;
        ++s.count;
        s.amount += amount;
        s.last = *n.in_bed - hours * 3600;
        s.hours_before_bed = hours;
        s.late = late;
    }
}

SleeperParams sleeper_params() {
    SleeperParams sp;
    sp.id = "alex";
    sp.advice.texts = {{"caffeine", "C"}, {"exercise", "E"}, {"stress", "S"}, {"magnesium", "M"}, {"mattress", "B"},
                       {"consult_doctor", "D"}, {"reassurance", "R"}, {"routine", "T"}};
    return sp;
}

std::vector<std::string> ids_of(const Advice& a) {
    std::vector<std::string> v;
    for (const auto& i : a.items) v.push_back(i.id);
    return v;
}

const AdviceItem* item_of(const Advice& a, const std::string& id) {
    for (const auto& i : a.items)
        if (i.id == id) return &i;
    return nullptr;
}

template <typename T>
T evidence(const AdviceItem& item, const std::string& key) {
    for (const auto& e : item.evidence)
        if (e.key == key) return std::get<T>(e.value);
    FAIL("no evidence " << key);
    return T{};
}

// `count` nights, every `heavy_every`-th one heavy (8 onset twitches, else 1) starting with the first;
// `evening(i, heavy, night)` logs the night's habits.
template <typename Evening>
std::vector<NightSummary> nights_of(int count, int heavy_every, Evening evening) {
    std::vector<NightSummary> v;
    for (int i = 0; i < count; ++i) {
        const bool heavy = i % heavy_every == 0;
        NightSummary n = night(i, heavy ? 8 : 1, heavy);
        evening(i, heavy, n);
        v.push_back(n);
    }
    return v;
}

// A history where `cause` comes late on the heavy nights (every third night heavy) and never otherwise.
std::vector<NightSummary> history_with_cause(Factor cause, int count) {
    return nights_of(count, 3, [cause](int i, bool heavy, NightSummary& n) {
        log_factor(n, Factor::caffeine, 13, 80, false);  // a morning coffee every day: never late
        if (heavy) log_factor(n, cause, 2, cause == Factor::stress ? 8 : 60, true);
        else if (cause == Factor::stress && i % 2 == 0) log_factor(n, Factor::stress, 2, 2, true);  // calm evenings
    });
}

}  // namespace

TEST_CASE("Wilson intervals match published values and stay inside [0, 1]", "[advice][stats]") {
    // Newcombe 1998 (Stat Med 17:857), example 81/263: 0.2553 to 0.3662.
    const Interval a = wilson(81, 263, Z95);
    CHECK(a.low == Approx(0.2553).margin(1e-4));
    CHECK(a.high == Approx(0.3662).margin(1e-4));
    const Interval zero = wilson(0, 20, Z95);
    CHECK(zero.low == 0.0);
    CHECK(zero.high == Approx(0.1611).margin(1e-4));
    const Interval all = wilson(5, 5, Z95);
    CHECK(all.high == 1.0);
    CHECK(all.low > 0.5);
    CHECK(all.low < 0.6);
    const Interval none = wilson(0, 0, Z95);
    CHECK(none.low == 0.0);
    CHECK(none.high == 1.0);
    // Hostile counts are clamped, never a crash or NaN.
    const Interval bad = wilson(9, 3, Z95);
    CHECK(bad.high == 1.0);
    CHECK(bad.low <= 1.0);
}

TEST_CASE("Newcombe's difference interval matches his worked example", "[advice][stats]") {
    // Newcombe 1998 (Stat Med 17:873), method 10, 56/70 - 48/80: 0.0524 to 0.3339.
    const Interval d = newcombe_difference(56, 70, 48, 80, Z95);
    CHECK(d.low == Approx(0.0524).margin(1e-4));
    CHECK(d.high == Approx(0.3339).margin(1e-4));
    // With few nights the interval is wide: 2 of 3 against 0 of 3 does not exclude zero.
    const Interval few = newcombe_difference(2, 3, 0, 3, Z95);
    CHECK(few.low < 0.0);
    CHECK(few.high <= 1.0);
    // A wider z widens the interval.
    const Interval wide = newcombe_difference(56, 70, 48, 80, 2.576);
    CHECK(wide.low < d.low);
    CHECK(wide.high > d.high);
}

TEST_CASE("Laplace smoothing and the Welch standard error", "[advice][stats]") {
    CHECK(laplace_rate(2, 2) == Approx(0.75));
    CHECK(laplace_rate(0, 0) == Approx(0.5));
    CHECK(laplace_rate(0, 8) == Approx(0.1));
    const MeanDifference m = mean_difference(Sample{4, 9, 4}, Sample{16, 1, 1});
    CHECK(m.difference == Approx(8));
    CHECK(m.se == Approx(std::sqrt(4.0 / 4 + 1.0 / 16)));
    const MeanDifference empty = mean_difference(Sample{}, Sample{});
    CHECK(empty.difference == 0.0);
    CHECK(empty.se == 0.0);
}

TEST_CASE("exposure is time-aware: a morning coffee is not a late one, a calm evening not a stressful one",
          "[advice]") {
    const AdviceParams p;
    NightSummary n = night(0, 1, false);
    log_factor(n, Factor::caffeine, 13, 80, false);
    CHECK_FALSE(exposed(n, Habit::caffeine, p));
    log_factor(n, Factor::caffeine, 2, 80, true);
    CHECK(exposed(n, Habit::caffeine, p));
    log_factor(n, Factor::stress, 2, 3, true);
    CHECK_FALSE(exposed(n, Habit::stress, p));
    log_factor(n, Factor::stress, 1, 9, true);  // mean (3 + 9) / 2 = 6 >= 5
    CHECK(exposed(n, Habit::stress, p));
    CHECK(exposed(n, Habit::magnesium, p));  // no magnesium that evening
    log_factor(n, Factor::magnesium, 1, 200, false);
    CHECK_FALSE(exposed(n, Habit::magnesium, p));
    NightSummary bare;  // a summary without any factor entries (e.g. an old record)
    CHECK_FALSE(exposed(bare, Habit::caffeine, p));
}

TEST_CASE("a single true cause ranks first, with its evidence", "[advice]") {
    for (Factor cause : {Factor::caffeine, Factor::stress, Factor::exercise}) {
        INFO(to_string(cause));
        const auto nights = history_with_cause(cause, 15);
        const SleeperParams sp = sleeper_params();
        const Comparison c = compare(nights, static_cast<Habit>(static_cast<int>(cause)), sp.advice);
        CHECK(c.nights_with == 5);
        CHECK(c.nights_without == 10);
        CHECK(c.heavy_with == 5);
        CHECK(c.heavy_without == 0);
        CHECK(c.rate_with == Approx(6.0 / 7));
        CHECK(c.rate_without == Approx(1.0 / 12));
        CHECK(c.interval.low > 0.1);
        CHECK(c.onset_difference.difference == Approx(7));
        CHECK(c.advised);

        const Advice a = make_advice(nights, sp, FixedZone(), 1000);
        REQUIRE(a.items.size() == 3);
        CHECK(a.items[0].id == to_string(cause));
        CHECK(a.items[0].priority == 1);
        CHECK(a.items[0].text == sp.advice.texts.at(std::string(to_string(cause))));
        CHECK(evidence<std::int64_t>(a.items[0], "nights_with") == 5);
        CHECK(evidence<double>(a.items[0], "effect_low") == Approx(c.interval.low));
        CHECK(evidence<double>(a.items[0], "confidence") == Approx(0.95).margin(1e-4));
        CHECK(ids_of(a) == std::vector<std::string>{std::string(to_string(cause)), "routine", "reassurance"});
        CHECK(a.items[2].priority == 3);
        CHECK(a.nights == 15);
        CHECK(a.generated == 1000);
    }
}

TEST_CASE("two causes rank by the lower bound of their effect", "[advice]") {
    // Caffeine comes late on every heavy night; stress on only some of them and on a calm one too.
    const auto nights = nights_of(21, 3, [](int i, bool heavy, NightSummary& n) {
        if (heavy) log_factor(n, Factor::caffeine, 2, 80, true);
        if (heavy && i % 2 == 0) log_factor(n, Factor::stress, 2, 8, true);
        if (i == 1 || i == 2) log_factor(n, Factor::stress, 2, 8, true);
    });
    const SleeperParams sp = sleeper_params();
    const Comparison caffeine = compare(nights, Habit::caffeine, sp.advice);
    const Comparison stress = compare(nights, Habit::stress, sp.advice);
    REQUIRE(caffeine.interval.low > stress.interval.low);
    const Advice a = make_advice(nights, sp, FixedZone(), 0);
    REQUIRE_FALSE(a.items.empty());
    CHECK(a.items[0].id == "caffeine");
    if (stress.advised) CHECK(a.items[1].id == "stress");
}

TEST_CASE("no cause, or too few nights: only routine and reassurance", "[advice]") {
    const SleeperParams sp = sleeper_params();
    SECTION("habits unrelated to heavy nights") {
        const auto nights = nights_of(28, 4, [](int i, bool, NightSummary& n) {
            // Late coffee on half of the nights, 4 of its 14 nights heavy against 3 of the other 14.
            if (i % 8 < 4) log_factor(n, Factor::caffeine, 2, 80, true);
            if (i % 3 == 0) log_factor(n, Factor::magnesium, 1, 200, false);
        });
        const Advice a = make_advice(nights, sp, FixedZone(), 0);
        CHECK(ids_of(a) == std::vector<std::string>{"routine", "reassurance"});
        CHECK(evidence<std::int64_t>(a.items[1], "heavy_nights") == 7);
        CHECK(evidence<double>(a.items[1], "heavy_share") == Approx(0.25));
    }
    SECTION("a strong pattern on fewer nights than min_nights") {
        const auto nights = history_with_cause(Factor::caffeine, 6);
        CHECK(compare(nights, Habit::caffeine, sp.advice).interval.low > 0);  // strong, but...
        const Advice a = make_advice(nights, sp, FixedZone(), 0);
        CHECK(ids_of(a) == std::vector<std::string>{"routine", "reassurance"});
    }
    SECTION("too few nights on one side") {
        auto nights = history_with_cause(Factor::caffeine, 15);
        for (auto& n : nights) log_factor(n, Factor::caffeine, 2, 80, true);  // late coffee on every night
        const Comparison c = compare(nights, Habit::caffeine, sp.advice);
        CHECK(c.nights_without == 0);
        CHECK_FALSE(c.enough_nights);
        CHECK_FALSE(c.advised);
    }
    SECTION("no nights at all") {
        const Advice a = make_advice({}, sp, FixedZone(), 0);
        CHECK(ids_of(a) == std::vector<std::string>{"routine", "reassurance"});
        CHECK(a.nights == 0);
    }
}

TEST_CASE("magnesium is advised when nights without it are the heavy ones", "[advice]") {
    const auto nights = nights_of(16, 2, [](int, bool heavy, NightSummary& n) {
        if (!heavy) log_factor(n, Factor::magnesium, 1, 200, false);
    });
    const Advice a = make_advice(nights, sleeper_params(), FixedZone(), 0);
    REQUIRE(item_of(a, "magnesium") != nullptr);
    CHECK(evidence<std::string>(*item_of(a, "magnesium"), "with") == "no_magnesium");
    CHECK(evidence<std::int64_t>(*item_of(a, "magnesium"), "heavy_with") == 8);
}

TEST_CASE("the doctor hint needs repeated PLM nights or discomfort on heavy nights, never one night", "[advice]") {
    const SleeperParams sp = sleeper_params();
    auto plm_night = [](int i) {
        NightSummary n = night(i, 1, false);
        n.plm_index = 22;
        n.plm_periodicity = 0.7;
        return n;
    };
    std::vector<NightSummary> nights;
    for (int i = 0; i < 10; ++i) nights.push_back(night(i, 1, false));
    SECTION("one bad night: no hint") {
        nights.push_back(plm_night(10));
        CHECK(plm_nights(nights, sp.advice) == 1);
        CHECK(item_of(make_advice(nights, sp, FixedZone(), 0), "consult_doctor") == nullptr);
    }
    SECTION("three of the last seven: hint first, with its evidence") {
        for (int i = 10; i < 13; ++i) nights.push_back(plm_night(i));
        const Advice a = make_advice(nights, sp, FixedZone(), 0);
        REQUIRE(a.items.front().id == "consult_doctor");
        CHECK(a.items.front().text == "D");
        CHECK(evidence<std::string>(a.items.front(), "reason") == "plm");
        CHECK(evidence<std::int64_t>(a.items.front(), "plm_nights") == 3);
    }
    SECTION("three PLM nights but older than the last seven: no hint") {
        std::vector<NightSummary> v;
        for (int i = 0; i < 3; ++i) v.push_back(plm_night(i));
        for (int i = 3; i < 10; ++i) v.push_back(night(i, 1, false));
        CHECK(plm_nights(v, sp.advice) == 0);
        CHECK(item_of(make_advice(v, sp, FixedZone(), 0), "consult_doctor") == nullptr);
    }
    SECTION("a high index without periodicity is not PLM") {
        for (int i = 10; i < 14; ++i) {
            NightSummary n = plm_night(i);
            n.plm_periodicity = 0.3;
            nights.push_back(n);
        }
        CHECK(item_of(make_advice(nights, sp, FixedZone(), 0), "consult_doctor") == nullptr);
    }
    SECTION("discomfort on two heavy nights: hint; on one: none") {
        NightSummary a = night(10, 9, true);
        log_factor(a, Factor::discomfort, 1, 5, true);
        nights.push_back(a);
        CHECK(item_of(make_advice(nights, sp, FixedZone(), 0), "consult_doctor") == nullptr);
        NightSummary b = night(11, 9, true);
        log_factor(b, Factor::discomfort, 1, 5, true);
        nights.push_back(b);
        const Advice adv = make_advice(nights, sp, FixedZone(), 0);
        REQUIRE(item_of(adv, "consult_doctor") != nullptr);
        CHECK(evidence<std::string>(*item_of(adv, "consult_doctor"), "reason") == "discomfort");
    }
    SECTION("a configuration asking for one night is not obeyed") {
        SleeperParams one = sp;
        one.advice.plm_nights = 1;
        one.advice.discomfort_nights = 1;
        nights.push_back(plm_night(10));
        CHECK(item_of(make_advice(nights, one, FixedZone(), 0), "consult_doctor") == nullptr);
    }
}

TEST_CASE("mattress when large movements dominate most nights", "[advice]") {
    const SleeperParams sp = sleeper_params();
    std::vector<NightSummary> nights;
    for (int i = 0; i < 8; ++i) {
        NightSummary n = night(i, 1, false);
        if (i >= 3) {
            n.large_movements = 60;
            n.limb_movements = 10;
        }
        nights.push_back(n);
    }
    CHECK(large_dominated_nights(nights, sp.advice) == 5);
    const Advice a = make_advice(nights, sp, FixedZone(), 0);
    CHECK(ids_of(a) == std::vector<std::string>{"mattress", "routine", "reassurance"});
    nights.resize(6);  // 3 of 6 is not a majority, and too few nights besides
    CHECK(item_of(make_advice(nights, sp, FixedZone(), 0), "mattress") == nullptr);
}

TEST_CASE("routine evidence: bedtime spread across midnight and the median latency", "[advice]") {
    std::vector<NightSummary> nights;
    for (int i = 0; i < 4; ++i) {
        NightSummary n = night(i, 1, false);
        // 23:50 and 00:10 alternate: 20 minutes apart, not 23 hours.
        n.lights_out = DAY0 + i * 86400.0 + (i % 2 == 0 ? 5.5 : 5.8333333) * 3600;
        n.onset_latency_min = 10.0 + i;
        nights.push_back(n);
    }
    const Advice a = make_advice(nights, sleeper_params(), FixedZone(), 0);
    const AdviceItem* r = item_of(a, "routine");
    REQUIRE(r != nullptr);
    CHECK(evidence<double>(*r, "bedtime_sd_min") == Approx(std::sqrt(4 * 100.0 / 3)).margin(0.01));
    CHECK(evidence<double>(*r, "onset_latency_median_min") == Approx(11.5));
}

TEST_CASE("the Advisor publishes after each closed night and rebuilds its advice after a restart", "[advice]") {
    const SleeperParams sp = sleeper_params();
    const FixedZone zone;
    MemoryHistory history;
    const auto nights = history_with_cause(Factor::caffeine, 12);
    std::vector<OutputBody> out;
    {
        Advisor advisor(sp, "en", zone, history);
        advisor.retained(out);
        CHECK(out.empty());  // nothing known yet
        for (const auto& n : nights) {
            history.save_night(sp.id, n);
            advisor.on_night_closed(n, *n.out_of_bed, out);
        }
        REQUIRE(out.size() == nights.size());
        const Advice& last = std::get<Advice>(out.back());
        CHECK(last.nights == 12);
        CHECK(last.items.front().id == "caffeine");
        CHECK(last.generated == *nights.back().out_of_bed);
        // The first advice after one night has no habit item: one night proves nothing.
        CHECK(ids_of(std::get<Advice>(out.front())) == std::vector<std::string>{"routine", "reassurance"});
    }
    const Advice before = std::get<Advice>(out.back());
    out.clear();
    Advisor restarted(sp, "en", zone, history);
    restarted.retained(out);
    REQUIRE(out.size() == 1);
    const Advice& after = std::get<Advice>(out.front());
    CHECK(after.generated == before.generated);
    CHECK(ids_of(after) == ids_of(before));
    CHECK(after.items.front().evidence.size() == before.items.front().evidence.size());

    SECTION("a closed night History has not stored yet still counts") {
        MemoryHistory lagging;
        Advisor a(sp, "en", zone, lagging);
        std::vector<OutputBody> o;
        a.on_night_closed(nights.front(), 5, o);
        REQUIRE(o.size() == 1);
        CHECK(std::get<Advice>(o.front()).nights == 1);
    }
    SECTION("disabled: nothing, ever") {
        SleeperParams off = sp;
        off.advice.enabled = false;
        Advisor a(off, "en", zone, history);
        std::vector<OutputBody> o;
        a.retained(o);
        a.on_night_closed(nights.front(), 5, o);
        CHECK(o.empty());
    }
}
