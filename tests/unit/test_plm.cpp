// PLM series rules (WASM 2016 / AASM 2007) and Ferri's periodicity index.
#include <catch2/catch.hpp>

#include <vector>

#include "plugin/detect/detector.hpp"

using namespace hypnic;

namespace {

std::vector<LimbMovement> onsets(const std::vector<double>& starts_s) {
    std::vector<LimbMovement> v;
    for (double s : starts_s) v.push_back({1000 + s, 1.5});
    return v;
}

DetectorParams wasm() { return DetectorParams{}; }
DetectorParams aasm() {
    DetectorParams p;
    p.plm_wasm2016 = false;
    return p;
}

}  // namespace

TEST_CASE("four limb movements 20 s apart are one series") {
    const PlmResult r = find_plm_series(onsets({0, 20, 40, 60}), wasm());
    REQUIRE(r.series.size() == 1);
    CHECK(r.series[0].count == 4);
    CHECK(r.series[0].start == 1000);
    CHECK(r.series[0].end == Approx(1061.5));
    CHECK(r.series[0].members == std::vector<std::size_t>{0, 1, 2, 3});
    CHECK(r.plm_count == 4);
    CHECK(r.periodicity == Approx(1.0));
}

TEST_CASE("three limb movements are not a series") {
    const PlmResult r = find_plm_series(onsets({0, 20, 40}), wasm());
    CHECK(r.series.empty());
    CHECK(r.plm_count == 0);
    CHECK(r.periodicity == 0);  // two intervals cannot form a run of three
}

TEST_CASE("a 9 s interval breaks the run under WASM 2016 but not under AASM 2007") {
    const auto lms = onsets({0, 20, 29, 49, 69});
    const PlmResult w = find_plm_series(lms, wasm());
    // WASM: 0-20 | 29-49-69: neither side reaches four.
    CHECK(w.series.empty());
    const PlmResult a = find_plm_series(lms, aasm());
    REQUIRE(a.series.size() == 1);
    CHECK(a.series[0].count == 5);
}

TEST_CASE("an interval of 4 s breaks the run under AASM too") {
    const PlmResult a = find_plm_series(onsets({0, 20, 24, 44, 64, 84}), aasm());
    REQUIRE(a.series.size() == 1);
    CHECK(a.series[0].count == 4);
    CHECK(a.series[0].start == 1024);
}

TEST_CASE("a 91 s interval breaks the run; 90 s and 10 s are inside it") {
    const PlmResult r = find_plm_series(onsets({0, 10, 100, 190, 281, 301, 321, 341}), wasm());
    REQUIRE(r.series.size() == 2);
    CHECK(r.series[0].count == 4);  // 0, 10, 100, 190
    CHECK(r.series[1].count == 4);  // 281 .. 341
    CHECK(r.plm_count == 8);
}

TEST_CASE("plm_min_run is honoured") {
    DetectorParams p;
    p.plm_min_run = 5;
    CHECK(find_plm_series(onsets({0, 20, 40, 60}), p).series.empty());
    CHECK(find_plm_series(onsets({0, 20, 40, 60, 80}), p).series.size() == 1);
}

TEST_CASE("periodicity counts the intervals inside runs of at least three 10-90 s intervals") {
    // Intervals: 20 20 20 | 200 | 5 | 30 30 -> periodic: the first three; total 7.
    const PlmResult r = find_plm_series(onsets({0, 20, 40, 60, 260, 265, 295, 325}), wasm());
    CHECK(r.periodicity == Approx(3.0 / 7.0));
}

TEST_CASE("no or one limb movement gives an empty result") {
    CHECK(find_plm_series({}, wasm()).series.empty());
    const PlmResult r = find_plm_series(onsets({0}), wasm());
    CHECK(r.series.empty());
    CHECK(r.periodicity == 0);
}
