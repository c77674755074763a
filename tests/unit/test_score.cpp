// Behaviour of the epoch scorers, epoch summing and Tudor-Locke periods on hand-computed series.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "plugin/score/score.hpp"

using namespace hypnic::score;

namespace {

Counts zeros(std::size_t n) { return Counts(n, 0.0); }

std::string letters(const std::vector<State>& s) {
    std::string out;
    for (State x : s) out += static_cast<char>(x);
    return out;
}

std::vector<State> parse_states(const std::string& s) {
    std::vector<State> out;
    for (char c : s) out.push_back(c == 'S' ? State::sleep : c == 'W' ? State::wake : State::missing);
    return out;
}

}  // namespace

TEST_CASE("cole_kripke scores a still series asleep and an empty one empty") {
    CHECK(letters(cole_kripke(zeros(12))) == std::string(12, 'S'));
    CHECK(cole_kripke({}).empty());
}

TEST_CASE("cole_kripke wakes at 230 * count/100 / 1000 >= 1 for a lone epoch") {
    // A lone count c scores its own epoch wake when 0.001 * 230 * c / 100 >= 1, i.e. c >= 434.78.
    Counts c = zeros(9);
    c[4] = 434;
    CHECK(letters(cole_kripke(c)) == "SSSSSSSSS");
    c[4] = 435;
    CHECK(letters(cole_kripke(c)) == "SSSSWSSSS");
}

TEST_CASE("cole_kripke caps counts/100 at 300 and looks 4 epochs back and 2 ahead") {
    Counts c = zeros(20);
    c[10] = 1e6;  // capped to 300: every epoch whose window holds it is wake (smallest weight 54 * 0.3 > 1)
    const std::string s = letters(cole_kripke(c));
    CHECK(s == "SSSSSSSSWWWWWWWSSSSS");
    // The cap: 1e6 and 30000 give the same result.
    c[10] = 30000;
    CHECK(letters(cole_kripke(c)) == s);
}

TEST_CASE("cole_kripke marks missing epochs missing and lets neighbours see 0 there") {
    Counts c = zeros(7);
    c[3] = std::nullopt;
    CHECK(letters(cole_kripke(c)) == "SSS?SSS");
    // A negative or NaN count is not trusted: missing, too.
    c[3] = -5.0;
    CHECK(letters(cole_kripke(c)) == "SSS?SSS");
    c[3] = std::numeric_limits<double>::quiet_NaN();
    CHECK(letters(cole_kripke(c)) == "SSS?SSS");
}

TEST_CASE("sadeh scores a still series asleep") {
    CHECK(letters(sadeh(zeros(15))) == std::string(15, 'S'));
}

TEST_CASE("sadeh wakes a lone capped spike but not the epoch after it") {
    // At the spike: AVG = 300/11, SD(0,0,0,0,0,300; n-1) = 122.47, ln(301) = 5.707:
    // PS = 7.601 - 1.773 - 6.858 - 4.012 = -5.04 -> W. One epoch later ln(1) = 0: PS = -1.03 -> S.
    Counts c = zeros(21);
    c[10] = 5000;  // capped to 300
    const std::string s = letters(sadeh(c));
    CHECK(s == "SSSSSSSSSSWSSSSSSSSSS");
    c[10] = 300;
    CHECK(letters(sadeh(c)) == s);
}

TEST_CASE("sadeh counts epochs of 50..99 as NATS") {
    // Eleven epochs of 60: AVG 60, NATS 11, SD 0: PS = 7.601 - 3.9 - 11.88 - 2.89 = -11.07 -> W.
    Counts c(11, 60.0);
    CHECK(letters(sadeh(c))[5] == 'W');
    // The same level just outside the NATS band (100) gives PS = 7.601 - 6.5 - 0 - 3.244 = -2.14 -> S.
    Counts d(11, 100.0);
    CHECK(letters(sadeh(d))[5] == 'S');
}

TEST_CASE("sadeh marks missing epochs missing") {
    Counts c = zeros(5);
    c[0] = std::nullopt;
    CHECK(letters(sadeh(c)) == "?SSSS");
}

TEST_CASE("oakley 15-s weights: 4 for the epoch, 1/5 within 1 min, 1/25 within 2 min") {
    const auto w = oakley_weights(15);
    REQUIRE(w.size() == 17);
    CHECK(w[8] == 4.0);
    CHECK(w[7] == Approx(0.2));
    CHECK(w[4] == Approx(0.2));
    CHECK(w[3] == Approx(0.04));
    CHECK(w[0] == Approx(0.04));
    CHECK(w[16] == Approx(0.04));
    CHECK(oakley_weights(30).size() == 9);
    CHECK(oakley_weights(60).size() == 5);
    CHECK(oakley_weights(120) == std::vector<double>{0.12, 0.5, 0.12});
    CHECK(oakley_weights(10).empty());
}

TEST_CASE("oakley wakes only when the weighted sum exceeds the threshold") {
    Counts c = zeros(17);
    c[8] = 10;  // 4 * 10 = 40: not above 40
    CHECK(letters(oakley(c, 15, 40)) == std::string(17, 'S'));
    c[8] = 11;
    CHECK(letters(oakley(c, 15, 40)) == std::string(8, 'S') + "W" + std::string(8, 'S'));
    // The low threshold (20) wakes at half the count.
    c[8] = 6;
    CHECK(letters(oakley(c, 15, 20))[8] == 'W');
    CHECK(letters(oakley(c, 15, 40))[8] == 'S');
}

TEST_CASE("oakley reaches 1 min (1/5) and 2 min (1/25) either side") {
    Counts c = zeros(25);
    c[12] = 1000;  // 0.2 * 1000 = 200 > 40 within 4 epochs; 0.04 * 1000 = 40 is not above 40
    CHECK(letters(oakley(c, 15)) == "SSSSSSSSWWWWWWWWWSSSSSSSS");
    c[12] = 1001;
    CHECK(letters(oakley(c, 15)) == "SSSSWWWWWWWWWWWWWWWWWSSSS");
}

TEST_CASE("oakley treats missing neighbours and the ends as 0 and scores no missing epoch") {
    Counts c = zeros(9);
    c[0] = 11;
    c[4] = std::nullopt;
    CHECK(letters(oakley(c, 15)) == "WSSS?SSSS");
}

TEST_CASE("oakley refuses epoch lengths and thresholds Actiware does not define") {
    CHECK_THROWS_AS(oakley(zeros(3), 10), std::invalid_argument);
    CHECK_THROWS_AS(oakley(zeros(3), 15, 0), std::invalid_argument);
    CHECK_THROWS_AS(oakley(zeros(3), 15, std::nan("")), std::invalid_argument);
    CHECK_NOTHROW(oakley(zeros(3), 120, 80));
}

TEST_CASE("sum_epochs sums blocks, keeps a short last block, and a gap spoils its block") {
    Counts c{1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0};
    const Counts s = sum_epochs(c, 3);
    REQUIRE(s.size() == 3);
    CHECK(*s[0] == 6);
    CHECK(*s[1] == 15);
    CHECK(*s[2] == 7);
    c[4] = std::nullopt;
    const Counts g = sum_epochs(c, 3);
    CHECK(*g[0] == 6);
    CHECK_FALSE(g[1].has_value());
    CHECK(sum_epochs(c, 1).size() == c.size());
    CHECK_THROWS_AS(sum_epochs(c, 0), std::invalid_argument);
}

TEST_CASE("tudor_locke finds bedtime at n sleep epochs and wake time at m wake epochs") {
    const TudorLockeParams p{2, 3, 4, 1440, 0};
    //                                   0123456789012345678
    const auto st = parse_states("WWSWSSSWSSWWWSSSWWW");
    const auto periods = tudor_locke(st, p);
    REQUIRE(periods.size() == 1);
    CHECK(periods[0].onset == 4);   // first of 2 consecutive S (index 2 is a lone S)
    CHECK(periods[0].end == 10);    // first of 3 consecutive W
    // 13..15 is SSS followed by WWW: 3 epochs, shorter than the minimum of 4: dropped.
}

TEST_CASE("tudor_locke does not report a period still running at the end of the data") {
    const TudorLockeParams p{2, 3, 2, 1440, 0};
    CHECK(tudor_locke(parse_states("WSSSSSSWW"), p).empty());
    CHECK(tudor_locke(parse_states("WSSSSSSWWW"), p).size() == 1);
}

TEST_CASE("tudor_locke drops periods too long or with too few non-zero epochs") {
    const auto st = parse_states("SSSSSSWWW");
    CHECK(tudor_locke(st, TudorLockeParams{2, 3, 1, 5, 0}).empty());
    CHECK(tudor_locke(st, TudorLockeParams{2, 3, 1, 6, 0}).size() == 1);
    Counts c = zeros(9);
    c[1] = 3;
    CHECK(tudor_locke(st, c, TudorLockeParams{2, 3, 1, 1440, 2}).empty());
    c[2] = 1;
    CHECK(tudor_locke(st, c, TudorLockeParams{2, 3, 1, 1440, 2}).size() == 1);
    CHECK_THROWS_AS(tudor_locke(st, zeros(3), TudorLockeParams{}), std::invalid_argument);
    CHECK_THROWS_AS(tudor_locke(st, TudorLockeParams{0, 3, 1, 1440, 0}), std::invalid_argument);
}

TEST_CASE("tudor_locke: a missing state breaks runs of sleep") {
    const TudorLockeParams p{3, 2, 1, 1440, 0};
    CHECK(tudor_locke(parse_states("SS?SSWW"), p).empty());
    CHECK(tudor_locke(parse_states("SSSSSWW"), p).size() == 1);
}

TEST_CASE("summarize computes ActiLife's period figures") {
    //                               onset 0 .. end 10
    const auto st = parse_states("SSWSSSWWSSWWW");
    Counts c = zeros(st.size());
    c[2] = 40;
    c[6] = 10;
    c[7] = 5;
    const SleepPeriodSummary s = summarize(st, c, SleepPeriod{0, 10});
    CHECK(s.duration_epochs == 10);
    CHECK(s.sleep_epochs == 7);
    CHECK(s.wake_epochs == 3);
    CHECK(s.awakenings == 2);
    CHECK(s.average_awakening_epochs == Approx(1.5));
    CHECK(s.efficiency_pct == Approx(70));
    CHECK(s.total_counts == Approx(55));
    CHECK(s.nonzero_epochs == 3);
    CHECK(s.movement_index_pct == Approx(30));
    CHECK(s.fragmentation_index_pct == Approx(0));
    const SleepPeriodSummary one = summarize(parse_states("SWSSWS"), zeros(6), SleepPeriod{0, 6});
    // Sleep runs: S, SS, S -> two of three last one epoch.
    CHECK(one.fragmentation_index_pct == Approx(200.0 / 3));
    CHECK(one.sleep_fragmentation_index_pct == Approx(200.0 / 3));
    CHECK_THROWS_AS(summarize(st, c, SleepPeriod{5, 99}), std::invalid_argument);
    CHECK_THROWS_AS(summarize(st, zeros(2), SleepPeriod{0, 1}), std::invalid_argument);
}
