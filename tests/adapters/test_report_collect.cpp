// Tests of what the report reads from the history: a closed night, tonight so far, its version, advice.
#include <catch2/catch.hpp>

#include "adapters/report/collect.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "tests/adapters/test_store_util.hpp"

using namespace hypnic;
using hypnic::test::TempDir;

namespace {

constexpr double EVENING = 1764104400.0;  // 2025-11-25T21:00:00Z, a Tuesday evening in UTC

MovementEvent twitch(double start) {
    MovementEvent e;
    e.type = MovementType::twitch;
    e.start = start;
    e.duration_s = 0.2;
    e.peak_g = 0.05;
    return e;
}

NightSummary closed(const std::string& date, double in_bed) {
    NightSummary n;
    n.night = date;
    n.in_bed = in_bed;
    n.lights_out = in_bed + 600;
    n.sleep_onset = in_bed + 1200;
    n.out_of_bed = in_bed + 8 * 3600;
    return n;
}

/// A fresh history and the night rules of the live-view tests (evenings from 15:00, in UTC).
struct LiveFixture {
    TempDir dir;
    SqliteHistory h{dir.file("hypnic.db")};
    const FixedZone utc;
    NightParams np = [] {
        NightParams p;
        p.evening_start_hour = 15;
        return p;
    }();
};

}  // namespace

TEST_CASE("report data: a closed night gets its own events and minutes only", "[report]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    const NightParams np;
    const NightSummary n = closed("2025-11-25", EVENING);
    h.save_night("alex", n);
    h.save_events("alex", {twitch(EVENING - 60), twitch(EVENING + 10), twitch(EVENING + 7 * 3600),
                           twitch(EVENING + 8 * 3600 + 1)});
    h.save_event("sam", twitch(EVENING + 20));
    const auto d = report::closed_night(h, "alex", n, np);
    CHECK(d.events.size() == 2);  // before bed, after getting up and the other sleeper's are not this night
    CHECK_FALSE(d.minutes);       // nothing stored: the chart falls back to the events
    CHECK_FALSE(d.open);
    CHECK(d.onset_window_after_min == np.onset_window_after_min);
    NightMinutes m;
    m.night = n.night;
    m.first_minute_ts = EVENING;
    m.minutes.resize(480);
    h.save_minutes("alex", m);
    CHECK(report::closed_night(h, "alex", n, np).minutes->minutes.size() == 480);
}

TEST_CASE_METHOD(LiveFixture, "report data: tonight is the night so far until it closes, and its version moves with it",
                 "[report]") {
    // Yesterday's night closed in the morning; tonight has two events so far.
    h.save_night("alex", closed("2025-11-24", EVENING - 86400));
    h.save_events("alex", {twitch(EVENING - 86400 + 3600), twitch(EVENING + 100), twitch(EVENING + 200)});
    const double now = EVENING + 1800;
    auto t = report::tonight(h, "alex", np, utc, now);
    CHECK(t.open);
    CHECK(t.summary.night == "2025-11-25");
    CHECK(t.until == now);
    CHECK(t.events.size() == 2);
    const std::string v1 = report::night_version(t);
    h.save_event("alex", twitch(EVENING + 1700));
    const std::string v2 = report::night_version(report::tonight(h, "alex", np, utc, now));
    CHECK(v1 != v2);
    // After midnight it is still the same evening's night.
    CHECK(report::tonight(h, "alex", np, utc, EVENING + 5 * 3600).summary.night == "2025-11-25");
    // Once tonight's night has closed, the live view shows it closed.
    h.save_night("alex", closed("2025-11-25", EVENING));
    t = report::tonight(h, "alex", np, utc, EVENING + 9 * 3600);
    CHECK_FALSE(t.open);
    CHECK(t.summary.out_of_bed == EVENING + 8 * 3600);
    CHECK(report::night_version(t) != v2);
    CHECK(report::all_nights(h, "alex").size() == 2);
    CHECK(report::all_nights(h, "nobody").empty());
}

TEST_CASE("report data: advice is rebuilt from the stored nights, none without nights or when off", "[report]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    const FixedZone utc;
    SleeperParams sp;
    sp.id = "alex";
    CHECK_FALSE(report::current_advice(h, sp, "en", utc));
    for (int i = 0; i < 10; ++i) h.save_night("alex", closed("2025-11-" + std::to_string(10 + i), EVENING - (15 - i) * 86400.0));
    const auto a = report::current_advice(h, sp, "en", utc);
    REQUIRE(a);
    CHECK(a->nights == 10);
    sp.advice.enabled = false;
    CHECK_FALSE(report::current_advice(h, sp, "en", utc));
}

TEST_CASE_METHOD(LiveFixture, "report data: the running core's open night fills in phases, onset and minutes",
                 "[report]") {
    h.save_events("alex", {twitch(EVENING + 1500)});
    const double now = EVENING + 3 * 3600;
    NightSoFar so;
    so.summary.night = "2025-11-25";
    so.summary.in_bed = EVENING;
    so.summary.lights_out = EVENING + 600;
    so.phases = {{EVENING, Phase::awake_in_bed}, {EVENING + 600, Phase::settling}};
    so.phase = Phase::settling;
    so.minutes.night = so.summary.night;
    so.minutes.first_minute_ts = EVENING;
    so.minutes.minutes.resize(170);
    so.minutes.minutes[5].state = score::State::wake;
    so.until = now - 5;
    auto t = report::tonight(h, "alex", np, utc, now, so);
    CHECK(t.open);
    CHECK(t.summary.lights_out == EVENING + 600);
    CHECK_FALSE(t.summary.sleep_onset);
    CHECK(t.phases.size() == 2);
    CHECK(t.phase_now == Phase::settling);
    REQUIRE(t.minutes);
    CHECK(t.minutes->minutes.size() == 170);
    CHECK(t.events.size() == 1);  // the stored events, as before
    CHECK(t.until == now);
    const std::string v1 = report::night_version(t);
    // The onset found, a new phase: the page must redraw.
    so.summary.sleep_onset = EVENING + 1800;
    so.phases.push_back({EVENING + 1800, Phase::asleep});
    so.phase = Phase::asleep;
    const std::string v2 = report::night_version(report::tonight(h, "alex", np, utc, now, so));
    CHECK(v1 != v2);
    // Five more decided minutes also redraw (the envelope grows), one alone does not.
    for (int i = 10; i < 11; ++i) so.minutes.minutes[static_cast<std::size_t>(i)].state = score::State::sleep;
    const std::string v3 = report::night_version(report::tonight(h, "alex", np, utc, now, so));
    for (int i = 11; i < 16; ++i) so.minutes.minutes[static_cast<std::size_t>(i)].state = score::State::sleep;
    const std::string v4 = report::night_version(report::tonight(h, "alex", np, utc, now, so));
    CHECK(v2 == v3);
    CHECK(v3 != v4);
    // No open night in the core, or one of another evening: the stored events only.
    CHECK_FALSE(report::tonight(h, "alex", np, utc, now, std::nullopt).summary.in_bed);
    so.summary.night = "2025-11-24";
    CHECK(report::tonight(h, "alex", np, utc, now, so).phases.empty());
}
