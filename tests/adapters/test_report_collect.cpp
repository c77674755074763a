// Tests of what the report reads: a closed night, tonight so far (from the history and the running core), its version, advice.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "adapters/report/collect.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "plugin/simulate/simulate.hpp"
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

namespace {

/// One simulated night fed to the core; `look` is called after every message with the plugin and
/// the message's arrival time, so a test can read the open night as the live view does.
std::vector<Output> feed_simulated_night(const std::function<void(const Plugin&, UnixS)>& look,
                                         std::vector<sim::TrueNight>& truth) {
    const FixedZone zone(0);
    PluginParams pp;
    SleeperParams alex;
    alex.id = "alex";
    for (SensorKind k : {SensorKind::accel, SensorKind::presence, SensorKind::lights}) {
        SensorSpec spec;
        spec.kind = k;
        spec.topic = std::string(to_string(k));
        alex.sensors.push_back(spec);
    }
    pp.sleepers.push_back(alex);
    sim::SimParams sp;
    sp.seed = 11;
    sp.hz = 25;
    sim::Simulator simulator(sp, zone);
    MemoryHistory history;
    Plugin plugin(pp, zone, history);
    std::vector<Output> out;
    // The core's clock up to `t` (every due wake-up), the live view looking after each step.
    auto clock_to = [&](UnixS t) {
        for (int guard = 0; guard < 100000 && plugin.next_wakeup() <= t; ++guard) {
            const UnixS at = plugin.next_wakeup();
            plugin.on_time(at, out);
            look(plugin, at);
        }
    };
    UnixS last = 0;
    for (sim::SimMessage m; simulator.next(m); last = m.arrival) {
        clock_to(m.arrival);
        if (m.channel == sim::Channel::partner_accel) continue;
        Input in;
        in.arrival = m.arrival;
        // Sensor indices follow the order above; factor logs come on the built-in log topics.
        in.sensor = m.channel == sim::Channel::accel      ? 0
                    : m.channel == sim::Channel::presence ? 1
                    : m.channel == sim::Channel::light    ? 2
                                                          : std::numeric_limits<std::size_t>::max();
        std::visit([&](const auto& r) { in.reading = r; }, m.reading);
        plugin.on_input(in, out);
        look(plugin, m.arrival);
    }
    // The clock runs on until the night has closed, as the daemon's would.
    clock_to(last + 12 * 3600);
    plugin.on_time(last + 12 * 3600, out);
    std::vector<sim::TrueEvent> true_events;
    simulator.take_truth(true_events, truth);
    return out;
}

}  // namespace

TEST_CASE("report data: the core's open night is read without changing the night", "[report][simulate]") {
    std::vector<sim::TrueNight> truth;
    const auto plain = feed_simulated_night([](const Plugin&, UnixS) {}, truth);
    REQUIRE(truth.size() == 1);
    const sim::TrueNight t = truth.front();
    truth.clear();

    std::optional<NightSoFar> before_bed, an_hour_asleep, after_close;
    std::size_t reads = 0;
    UnixS last_minute = 0;
    const auto watched = feed_simulated_night(
        [&](const Plugin& p, UnixS now) {
            // Reading at every message would take long; every arrival past a whole minute is plenty.
            if (std::floor(now / 60) == last_minute) return;
            last_minute = std::floor(now / 60);
            ++reads;
            auto so = p.night_so_far("alex");
            CHECK_FALSE(p.night_so_far("nobody"));
            if (now < t.in_bed - 60) before_bed = so;
            if (!an_hour_asleep && now >= t.sleep_onset + 3600) an_hour_asleep = so;
            if (now > t.out_of_bed + 3600) after_close = so;
        },
        truth);
    CHECK(reads > 60);

    // Reading changed nothing: the same outputs, in the same order.
    REQUIRE(watched.size() == plain.size());
    auto closed = [](const std::vector<Output>& out) {
        std::vector<NightSummary> n;
        for (const auto& o : out)
            if (const auto* s = std::get_if<NightSummary>(&o.body)) n.push_back(*s);
        return n;
    };
    const auto nights = closed(watched);
    REQUIRE(nights.size() == 1);
    REQUIRE(closed(plain).size() == 1);
    const NightSummary& fin = nights.front();
    CHECK(closed(plain).front().sleep_onset == fin.sleep_onset);
    CHECK(closed(plain).front().onset_twitches == fin.onset_twitches);
    CHECK(closed(plain).front().asleep_h == fin.asleep_h);

    CHECK_FALSE(before_bed);
    CHECK_FALSE(after_close);
    REQUIRE(an_hour_asleep);
    const NightSoFar& so = *an_hour_asleep;
    CHECK(so.summary.night == fin.night);
    CHECK(so.summary.in_bed == fin.in_bed);
    CHECK(so.summary.lights_out == fin.lights_out);
    REQUIRE(so.summary.sleep_onset);
    REQUIRE(fin.sleep_onset);
    CHECK(std::abs(*so.summary.sleep_onset - *fin.sleep_onset) < 30 * 60);  // it may still move, a little
    CHECK_FALSE(so.summary.out_of_bed);
    CHECK(so.phase == Phase::asleep);
    REQUIRE(so.phases.size() >= 2);
    CHECK(so.phases.front() == std::make_pair(*fin.in_bed, Phase::awake_in_bed));
    CHECK(std::is_sorted(so.phases.begin(), so.phases.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; }));
    CHECK(so.phases.back().second == Phase::asleep);
    CHECK(so.until >= t.sleep_onset + 3600);
    // Minutes from in-bed to now, most of them decided, most of those asleep.
    CHECK(so.minutes.first_minute_ts <= *fin.in_bed);
    CHECK(so.minutes.first_minute_ts + 60.0 * static_cast<double>(so.minutes.minutes.size()) >= so.until - 60);
    const auto sleep_min = std::count_if(so.minutes.minutes.begin(), so.minutes.minutes.end(),
                                         [](const MinuteSample& s) { return s.state == score::State::sleep; });
    CHECK(sleep_min >= 45);
    REQUIRE(so.onset_window_from);
    CHECK(*so.onset_window_from == *so.summary.lights_out);
    REQUIRE(so.onset_window_to);
    CHECK(*so.onset_window_to == *so.summary.sleep_onset + NightParams{}.onset_window_after_min * 60);
}
