// The pure night rules: naming, per-minute sleep/wake, runs, partner bleed, robust statistics, verdict, factors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "plugin/night/rules.hpp"
#include "test_night_fixture.hpp"

using namespace hypnic;
using namespace hypnic::night;
using hypnic::test::at;
using S = score::State;

TEST_CASE("a night is named by the local date of the evening it began", "[night][rules]") {
    const FixedZone utc(0);
    CHECK(format_date(night_date(at(22, 30), utc, 15)) == "2026-11-25");
    CHECK(format_date(night_date(at(0, 30, 0, 1), utc, 15)) == "2026-11-25");   // after midnight
    CHECK(format_date(night_date(at(14, 59, 59, 1), utc, 15)) == "2026-11-25"); // still before evening start
    CHECK(format_date(night_date(at(15, 0, 0, 1), utc, 15)) == "2026-11-26");
    // In a zone east of UTC, 23:30 local is 22:30 UTC of the same day; 00:30 local is still the evening before.
    const FixedZone cet(3600, "CET");
    CHECK(format_date(night_date(at(0, 30, 0, 1, 3600), cet, 15)) == "2026-11-25");
    CHECK(format_date(night_date(at(23, 30, 0, 0, 3600), cet, 15)) == "2026-11-25");
    CHECK(evening_start(night_date(at(23, 30, 0, 0, 3600), cet, 15), cet, 15) == Approx(at(15, 0, 0, 0, 3600)));
}

TEST_CASE("bed minutes: movement seconds, large movements and vibrations make wake", "[night][rules]") {
    NightParams p;
    BedMinute m;
    m.coverage = 1;
    CHECK(bed_minute_state(m, p) == S::sleep);
    m.moving_s = 0.2;  // a twitch
    CHECK(bed_minute_state(m, p) == S::sleep);
    CHECK(bed_minute_state(m, p, true) == S::sleep);  // twitches never wake, even when falling asleep
    m.limb = true;
    m.moving_s = 2;
    CHECK(bed_minute_state(m, p) == S::sleep);       // a brief LM during sleep
    CHECK(bed_minute_state(m, p, true) == S::wake);  // ...but not while falling asleep
    m.moving_s = p.wake_moving_s;
    CHECK(bed_minute_state(m, p) == S::wake);
    BedMinute large;
    large.coverage = 1;
    large.large = true;
    CHECK(bed_minute_state(large, p) == S::wake);
    BedMinute gap;
    gap.coverage = 0.2;
    CHECK(bed_minute_state(gap, p) == S::missing);
    BedMinute coarse;
    coarse.coarse_only = true;
    CHECK(bed_minute_state(coarse, p) == S::sleep);  // a vibration sensor's silence is a quiet minute
    coarse.vibrations = 1;
    CHECK(bed_minute_state(coarse, p) == S::wake);
}

TEST_CASE("runs: the first index that starts n consecutive states; missing breaks a run", "[night][rules]") {
    const std::vector<S> v{S::wake, S::sleep, S::sleep, S::missing, S::sleep, S::sleep, S::sleep, S::wake};
    CHECK(find_run(v, 0, 3, S::sleep) == std::optional<std::size_t>(4));
    CHECK(find_run(v, 0, 2, S::sleep) == std::optional<std::size_t>(1));
    CHECK(find_run(v, 2, 2, S::sleep) == std::optional<std::size_t>(4));
    CHECK_FALSE(find_run(v, 0, 4, S::sleep));
    CHECK_FALSE(find_run({}, 0, 1, S::sleep));
    CHECK_FALSE(find_run(v, 99, 1, S::sleep));
}

TEST_CASE("sleep starts: a straggler just after the onset window moves the onset to it, and chains", "[night][rules][onset]") {
    NightParams p;  // window 5 min after onset, straggler gap 10 min, burst gap 3 min, settle max 60 min
    p.onset_single_start_min = 0;  // the lone-start rule has its own case below
    const UnixS lo = at(22, 0), onset = at(22, 10);
    // Lone twitches inside the window (up to 22:15): nothing moves.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 11), at(22, 15)}, p) == onset);
    // 22:20 is 5 min after the window: onset 22:20, window to 22:25; 22:33 is then 8 min past it.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 33), at(22, 20)}, p) == at(22, 33));
    // A lone twitch 12 min after the window is no straggler and no burst.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 27)}, p) == onset);
    // Twitches before the onset never move it earlier.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 2), at(22, 3)}, p) == onset);
    p.onset_twitch_gap_min = 0;
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 20)}, p) == onset);
}

TEST_CASE("sleep starts: a burst moves a premature onset however long the stillness before it", "[night][rules][onset]") {
    NightParams p;
    const UnixS lo = at(22, 0), premature = at(22, 1);  // five still minutes right after lights-out
    // The burst at 22:30 is 24 min past the window (22:06): far beyond the straggler gap, but two
    // twitches 1 min apart are the transition. The onset moves to the first; the second and a third
    // at 22:34 lie in the new window (to 22:35); a fourth at 22:38 chains as a straggler.
    const std::vector<UnixS> burst = {at(22, 30), at(22, 31), at(22, 34)};
    CHECK(onset_after_sleep_starts(premature, lo, burst, p) == at(22, 30));
    CHECK(onset_after_sleep_starts(premature, lo, {at(22, 30), at(22, 31), at(22, 34), at(22, 38)}, p) == at(22, 38));
    // Two twitches further apart than the burst gap are two lone twitches.
    CHECK(onset_after_sleep_starts(premature, lo, {at(22, 30), at(22, 34)}, p) == premature);
    // The order of the input does not matter.
    CHECK(onset_after_sleep_starts(premature, lo, {at(22, 34), at(22, 30), at(22, 31)}, p) == at(22, 30));
    // A burst later than onset_settle_max_min after settling (a restless night, not the transition).
    CHECK(onset_after_sleep_starts(premature, lo, {at(23, 5), at(23, 6)}, p) == premature);
    p.onset_settle_max_min = 90;
    CHECK(onset_after_sleep_starts(premature, lo, {at(23, 5), at(23, 6)}, p) == at(23, 5));
    p.onset_burst_gap_min = 0;  // off
    CHECK(onset_after_sleep_starts(premature, lo, burst, p) == premature);
    // No twitches at all: the onset stays.
    CHECK(onset_after_sleep_starts(premature, lo, {}, p) == premature);
}

TEST_CASE("sleep starts: a burst inside the window moves the onset to its first twitch, once", "[night][rules][onset]") {
    NightParams p;
    const UnixS lo = at(22, 0), onset = at(22, 10);  // window to 22:15
    // The still minutes from 22:10 were lying awake: the transition is the burst from 22:12:30.
    // Its later twitches are in the new window (to 22:17:30) and do not walk the onset on.
    const std::vector<UnixS> burst = {at(22, 12, 30), at(22, 13, 30), at(22, 14), at(22, 15)};
    CHECK(onset_after_sleep_starts(onset, lo, burst, p) == at(22, 12, 30));
    // Called again with the onset on the burst (as the tracker does on each new twitch): unchanged.
    CHECK(onset_after_sleep_starts(at(22, 12, 30), lo, burst, p) == at(22, 12, 30));
    // A burst that runs on past the window: its stragglers move the onset first, and anchoring on
    // the burst's start never makes the result earlier than they do.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13), at(22, 14), at(22, 17), at(22, 19)}, p) == at(22, 17));
    // A burst before the onset (still restless after it) never pulls the onset earlier.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 8), at(22, 9)}, p) == onset);
    p.onset_burst_gap_min = 0;
    p.onset_single_start_min = 0;
    CHECK(onset_after_sleep_starts(onset, lo, burst, p) == onset);
}

TEST_CASE("sleep starts: a lone twitch soon after the still onset holds the onset back to it", "[night][rules][onset]") {
    NightParams p;  // lone start within 5 min, window 5 min after onset
    const UnixS lo = at(22, 0), onset = at(22, 10);
    // Still from 22:10, one sleep start at 22:13: the still minutes before it were the drowsy
    // approach, so the onset is the twitch, and its window now runs to 22:18.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13)}, p) == at(22, 13));
    // A straggler 8 min after the new window's end then chains as before.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13), at(22, 26)}, p) == at(22, 26));
    // Only the first twitch after the onset anchors it: a second one inside the window stays in it.
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13), at(22, 14, 30)}, p) == at(22, 13));
    // A straggler after the still onset's window still wins first (the rule before this one).
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13), at(22, 17)}, p) == at(22, 17));
    // Bounded: a lone twitch later than onset_single_start_min after the still onset moves nothing
    // (inside the window but 4.5 min after the onset with a 4-min limit).
    p.onset_single_start_min = 4;
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 14, 30)}, p) == onset);
    // ...nor does one past the window, nor one beyond onset_settle_max_min after settling.
    p.onset_single_start_min = 30;
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 27)}, p) == onset);
    p.onset_settle_max_min = 12;
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13)}, p) == onset);
    // Twitches before the still onset never pull it earlier; none at all leave it where it is.
    p = NightParams{};
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 8)}, p) == onset);
    CHECK(onset_after_sleep_starts(onset, lo, {}, p) == onset);
    // Off: the lone twitch moves nothing.
    p.onset_single_start_min = 0;
    CHECK(onset_after_sleep_starts(onset, lo, {at(22, 13)}, p) == onset);
}

TEST_CASE("partner bleed: coincident and at least twice as strong on the partner's side", "[night][rules]") {
    DetectedMovement own{MovementType::twitch, 100.0, 0.2, 0.02, false};
    std::vector<DetectedMovement> partner{{MovementType::twitch, 100.3, 0.2, 0.05, false}};
    CHECK(is_partner_bleed(own, partner));
    partner[0].peak_g = 0.03;  // only 1.5x: both may have moved; the sleeper's own movement counts
    CHECK_FALSE(is_partner_bleed(own, partner));
    partner[0] = {MovementType::twitch, 101.0, 0.2, 0.5, false};  // too late
    CHECK_FALSE(is_partner_bleed(own, partner));
    // A fragment felt in the middle of a long partner movement is the partner's.
    partner[0] = {MovementType::limb_movement, 95.0, 6.0, 0.2, false};
    CHECK(is_partner_bleed(own, partner));
    partner[0] = {MovementType::limb_movement, 95.0, 4.0, 0.2, false};  // ended at 99.0
    CHECK_FALSE(is_partner_bleed(own, partner));
    CHECK_FALSE(is_partner_bleed(own, {}));
}

TEST_CASE("partner bleed of a jerk on top of a movement: only a partner jerk or crest at that moment explains it",
          "[night][rules]") {
    DetectedMovement own{MovementType::twitch, 100.0, 0.15, 0.05, false};
    own.on_top = true;
    own.peak_after_s = 0.05;
    // The partner turns over for 10 s, peaking 4 s in: on this side a jerk stands out of the
    // bleed at 100.0. The partner's side has nothing that stands out then: it is the sleeper's.
    DetectedMovement turn{MovementType::large_movement, 95.0, 10.0, 0.3, true};
    turn.peak_after_s = 4.0;
    CHECK_FALSE(is_partner_bleed(own, {turn}));
    // The same movement peaking at that moment, twice as high or more: the partner's crest felt here.
    turn.peak_after_s = 5.2;
    CHECK(is_partner_bleed(own, {turn}));
    turn.peak_g = 0.08;  // less than twice: the sleeper's own jerk
    CHECK_FALSE(is_partner_bleed(own, {turn}));
    // A jerk of the partner's at that moment, twice as high: theirs.
    const DetectedMovement jerk{MovementType::twitch, 100.1, 0.2, 0.12, false};
    CHECK(is_partner_bleed(own, {turn, jerk}));
    // The same partner movement still rejects an ordinary burst of this side, as before.
    own.on_top = false;
    turn.peak_g = 0.3;
    turn.peak_after_s = 4.0;
    CHECK(is_partner_bleed(own, {turn}));
}

TEST_CASE("median and MAD", "[night][rules]") {
    CHECK(median({}) == 0);
    CHECK(median({3}) == 3);
    CHECK(median({4, 1, 3}) == 3);
    CHECK(median({1, 2, 3, 10}) == 2.5);
    CHECK(mad({1, 1, 2, 2, 4, 6, 9}) == 1);  // median 2, deviations 1 1 0 0 2 4 7
    CHECK(mad({}) == 0);
}

namespace {
std::vector<NightSummary> nights_with(const std::vector<int>& onset_twitches) {
    std::vector<NightSummary> v;
    for (int k : onset_twitches) {
        NightSummary n;
        n.onset_twitches = k;
        n.twitch_index = k / 7.0;
        v.push_back(n);
    }
    return v;
}
}  // namespace

TEST_CASE("verdict: the absolute threshold until enough nights exist", "[night][rules][verdict]") {
    HeavyParams p;  // default 5, min_nights 5
    const auto few = nights_with({1, 2, 1});
    const Verdict a = judge_heavy(4, few, p);
    CHECK_FALSE(a.heavy);
    CHECK(a.baseline.nights == 0);
    CHECK(a.baseline.threshold == 5);
    const Verdict b = judge_heavy(5, few, p);
    CHECK(b.heavy);
    CHECK(b.reason == "5 twitches while falling asleep; 5 or more counts as twitch-heavy until 5 nights are "
                      "recorded (3 so far)");
    CHECK(judge_heavy(1, {}, p).reason.rfind("1 twitch while falling asleep", 0) == 0);
}

TEST_CASE("verdict: the personal baseline, never below the absolute threshold", "[night][rules][verdict]") {
    HeavyParams p;
    // 14 nights with a median of 2 and MAD of 1: 2 + 2.5 * 1.4826 = 5.7 -> heavy from 6.
    const auto usual = nights_with({1, 2, 3, 2, 2, 1, 3, 2, 4, 2, 1, 2, 3, 0});
    const Verdict v = judge_heavy(9, usual, p);
    CHECK(v.heavy);
    CHECK(v.baseline.nights == 14);
    CHECK(v.baseline.onset_twitches_median == 2);
    CHECK(v.baseline.onset_twitches_mad == 1);
    CHECK(v.baseline.threshold == 6);
    CHECK(v.reason == "9 twitches while falling asleep; your usual is 2 (median of 14 nights)");
    CHECK_FALSE(judge_heavy(5, usual, p).heavy);
    CHECK(judge_heavy(5, usual, p).reason ==
          "5 twitches while falling asleep; your usual is 2 (median of 14 nights), twitch-heavy from 6");
    // A very calm sleeper (all zeros): the threshold stays at the absolute default, not at 1.
    const auto calm = nights_with({0, 0, 0, 0, 0, 0});
    CHECK(judge_heavy(3, calm, p).baseline.threshold == 5);
    CHECK_FALSE(judge_heavy(3, calm, p).heavy);
    // A twitchy but regular sleeper: usual nights are not heavy, a clear excess is.
    const auto twitchy = nights_with({8, 8, 8, 8, 8, 8});
    CHECK(judge_heavy(8, twitchy, p).baseline.threshold == 11);  // 8 + 2.5 * max(0, 1) = 10.5
    CHECK_FALSE(judge_heavy(10, twitchy, p).heavy);
    CHECK(judge_heavy(11, twitchy, p).heavy);
}

TEST_CASE("verdict: only the last baseline_nights count", "[night][rules][verdict]") {
    HeavyParams p;
    p.baseline_nights = 5;
    std::vector<int> k(20, 10);
    for (int i = 0; i < 5; ++i) k.push_back(1);  // the recent five are calm
    const Verdict v = judge_heavy(6, nights_with(k), p);
    CHECK(v.baseline.nights == 5);
    CHECK(v.baseline.onset_twitches_median == 1);
    CHECK(v.heavy);
}

TEST_CASE("verdict: frequent twitch-heavy nights do not become the usual", "[night][rules][verdict]") {
    HeavyParams p;
    // 14 nights, 6 of them twitch-heavy (7-13 onset twitches, judged so when they closed). Over all
    // 14 the median is 2.5 and the MAD 1.5: heavy only from 9, so a night of 7 or 8 would pass.
    std::vector<int> k{1, 2, 9, 2, 1, 10, 3, 12, 2, 8, 1, 13, 2, 7};
    auto prior = nights_with(k);
    for (auto& n : prior) n.twitch_heavy = n.onset_twitches >= 6;
    auto all_in = prior;
    for (auto& n : all_in) n.twitch_heavy = false;
    CHECK(judge_heavy(8, all_in, p).baseline.threshold == 9);
    CHECK_FALSE(judge_heavy(8, all_in, p).heavy);
    // Over the 8 usual nights: median 2, MAD 0.5 (spread floor 1): 2 + 2.5 = 4.5, so the absolute 5.
    const Verdict v = judge_heavy(7, prior, p);
    CHECK(v.heavy);
    CHECK(v.baseline.nights == 8);
    CHECK(v.baseline.onset_twitches_median == 2);
    CHECK(v.baseline.threshold == 5);
    CHECK(v.reason == "7 twitches while falling asleep; your usual is 2 (median of 8 nights that were not twitch-heavy)");
    CHECK_FALSE(judge_heavy(3, prior, p).heavy);
}

TEST_CASE("verdict: a lasting change becomes the usual once fewer than min_nights usual nights remain",
          "[night][rules][verdict]") {
    HeavyParams p;  // min_nights 5
    // Four usual nights, then ten of 8 onset twitches marked twitch-heavy. With only four usual
    // nights left, all fourteen count: median 8, spread floor 1, heavy from 11.
    std::vector<int> k{2, 2, 2, 2};
    for (int i = 0; i < 10; ++i) k.push_back(8);
    auto prior = nights_with(k);
    for (auto& n : prior) n.twitch_heavy = n.onset_twitches >= 6;
    const Verdict v = judge_heavy(8, prior, p);
    CHECK_FALSE(v.heavy);
    CHECK(v.baseline.nights == 14);
    CHECK(v.baseline.onset_twitches_median == 8);
    CHECK(v.baseline.threshold == 11);
    CHECK(v.reason == "8 twitches while falling asleep; your usual is 8 (median of 14 nights), twitch-heavy from 11");
    // With a fifth usual night in the window, the usual nights alone count again.
    prior.insert(prior.begin() + 4, nights_with({2})[0]);
    CHECK(judge_heavy(8, prior, p).heavy);
    CHECK(judge_heavy(8, prior, p).baseline.nights == 5);
}

TEST_CASE("verdict: night by night, a lasting change is twitch-heavy for 24 nights, then the usual",
          "[night][rules][verdict]") {
    // Four weeks of 2 onset twitches, then 8 every night, each night judged with the ones before it
    // as they were judged (the 28-night window at the defaults). The new nights are heavy until
    // fewer than min_nights usual nights remain in the window; from then on 8 is the usual.
    HeavyParams p;
    std::vector<NightSummary> history;
    auto close = [&](int onset) {
        NightSummary n = nights_with({onset})[0];
        n.twitch_heavy = judge_heavy(onset, history, p).heavy;
        history.push_back(n);
        return n.twitch_heavy;
    };
    for (int i = 0; i < 28; ++i) CHECK_FALSE(close(2));
    std::string verdicts;
    for (int i = 0; i < 40; ++i) verdicts += close(8) ? 'H' : '.';
    CHECK(verdicts == std::string(24, 'H') + std::string(16, '.'));
    // Back to 2: an ordinary night, not heavy, and 8 stays the usual.
    CHECK_FALSE(close(2));
    CHECK_FALSE(close(8));
}

TEST_CASE("factors: count, amount, last, hours before bed and lateness per factor", "[night][rules][factors]") {
    const UnixS bed = at(23, 0);
    std::vector<FactorLog> logs{
        {at(16, 0), Factor::caffeine, 80, "", "log"},   {at(17, 30), Factor::caffeine, 80, "", "log"},
        {at(21, 0), Factor::exercise, 40, "", "log"},   {at(19, 0), Factor::stress, 6, "", "log"},
        {at(18, 0), Factor::magnesium, 200, "", "log"}, {at(23, 30), Factor::caffeine, 80, "", "log"},  // after bed
    };
    const auto f = summarize_factors(logs, bed, 8, 3);
    REQUIRE(f.size() == 5);
    CHECK(f[0].factor == Factor::caffeine);
    CHECK(f[0].count == 2);
    CHECK(f[0].amount == 160);
    CHECK(*f[0].last == Approx(at(17, 30)));
    CHECK(*f[0].hours_before_bed == Approx(5.5));
    CHECK(f[0].late);
    CHECK(f[1].late);  // exercise 2 h before bed
    CHECK(f[2].late);  // stress any time in the evening
    CHECK(f[3].factor == Factor::magnesium);
    CHECK_FALSE(f[3].late);
    CHECK(f[4].count == 0);
    CHECK_FALSE(f[4].last);
    CHECK_FALSE(f[4].hours_before_bed);
    // Caffeine 9 h before bed is not late; exercise 4 h before is not late.
    const auto g = summarize_factors({{at(14, 0), Factor::caffeine, 80, "", "log"}, {at(19, 0), Factor::exercise, 30, "", "log"}},
                                     bed, 8, 3);
    CHECK_FALSE(g[0].late);
    CHECK_FALSE(g[1].late);
}
