// Tests of a night's per-minute series: building it from a night, and keeping it in both Histories.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>

#include "adapters/store/sqlite_history.hpp"
#include "plugin/history.hpp"
#include "tests/adapters/test_store_util.hpp"

using namespace hypnic;
using hypnic::test::same;
using hypnic::test::TempDir;

namespace {

constexpr double T0 = 1764104400.0;  // 2025-11-25T21:00:00Z, a whole minute

void exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

NightMinutes sample_series(const std::string& night, std::size_t n) {
    NightMinutes m;
    m.night = night;
    m.first_minute_ts = T0;
    for (std::size_t i = 0; i < n; ++i) {
        MinuteSample x;
        x.movement_s = 0.1 * static_cast<double>(i) + 1.0 / 3.0;
        x.peak = i % 3 == 0 ? 0.0 : 0.01 * static_cast<double>(i);
        x.state = i % 3 == 0 ? score::State::wake : (i % 3 == 1 ? score::State::sleep : score::State::missing);
        m.minutes.push_back(x);
    }
    return m;
}

void require_same(const NightMinutes& a, const NightMinutes& b) {
    CHECK(a.night == b.night);
    CHECK(same(a.first_minute_ts, b.first_minute_ts));
    REQUIRE(a.minutes.size() == b.minutes.size());
    for (std::size_t i = 0; i < a.minutes.size(); ++i) {
        INFO("minute " << i);
        CHECK(same(a.minutes[i].movement_s, b.minutes[i].movement_s));
        CHECK(same(a.minutes[i].peak, b.minutes[i].peak));
        CHECK(a.minutes[i].state == b.minutes[i].state);
    }
}

MovementEvent move(double start, MovementType type, double duration_s, double peak_g) {
    MovementEvent e;
    e.type = type;
    e.start = start;
    e.duration_s = duration_s;
    e.peak_g = peak_g;
    return e;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("minutes: make_night_minutes covers the in-bed minutes with states, movement and peaks", "[store][minutes]") {
    std::map<long long, score::State> states;
    const long long m0 = static_cast<long long>(T0 / 60);
    states[m0 - 5] = score::State::wake;  // before bed: not part of the night
    states[m0] = score::State::wake;
    states[m0 + 1] = score::State::sleep;
    states[m0 + 3] = score::State::sleep;  // m0 + 2 has no decided state: missing
    const std::vector<MovementEvent> events = {
        move(T0 + 10, MovementType::twitch, 0.2, 0.05),
        move(T0 + 50, MovementType::limb_movement, 1.5, 0.12),
        move(T0 + 61, MovementType::twitch, 0.25, 0.03),
        move(T0 + 70, MovementType::plm_series, 400, 9.0),  // a series is no movement of its own
        move(T0 - 600, MovementType::large_movement, 3, 1.0),  // before bed
        move(std::nan(""), MovementType::twitch, 1, 1),
    };
    // In bed at 21:00:30, out at 21:04:10: minutes 21:00 .. 21:04 (five of them).
    const NightMinutes m = make_night_minutes("2025-11-25", T0 + 30, T0 + 250, states, events);
    CHECK(m.night == "2025-11-25");
    CHECK(m.first_minute_ts == T0);
    REQUIRE(m.minutes.size() == 5);
    CHECK(m.minutes[0].state == score::State::wake);
    CHECK(m.minutes[1].state == score::State::sleep);
    CHECK(m.minutes[2].state == score::State::missing);
    CHECK(m.minutes[3].state == score::State::sleep);
    CHECK(m.minutes[4].state == score::State::missing);
    CHECK(m.minutes[0].movement_s == Approx(1.7));
    CHECK(m.minutes[0].peak == Approx(0.12));
    CHECK(m.minutes[1].movement_s == Approx(0.25));
    CHECK(m.minutes[1].peak == Approx(0.03));
    CHECK(m.minutes[2].movement_s == 0);
    CHECK(m.minutes[2].peak == 0);
}

TEST_CASE("minutes: make_night_minutes refuses nonsense times and caps a runaway night", "[store][minutes]") {
    const std::map<long long, score::State> none;
    CHECK(make_night_minutes("d", T0, T0, none, {}).minutes.empty());
    CHECK(make_night_minutes("d", T0, T0 - 60, none, {}).minutes.empty());
    CHECK(make_night_minutes("d", std::nan(""), T0, none, {}).minutes.empty());
    CHECK(make_night_minutes("d", T0, std::numeric_limits<double>::infinity(), none, {}).minutes.empty());
    CHECK(make_night_minutes("d", 0, 1e12, none, {}).minutes.size() == MAX_NIGHT_MINUTES);
}

TEST_CASE("minutes: MemoryHistory and SqliteHistory keep a series exactly and replace it per night", "[store][minutes]") {
    TempDir dir;
    MemoryHistory mem;
    SqliteHistory sql(dir.file("hypnic.db"));
    for (History* h : {static_cast<History*>(&mem), static_cast<History*>(&sql)}) {
        CHECK_FALSE(h->night_minutes("alex", "2025-11-25"));
        h->save_minutes("alex", sample_series("2025-11-25", 480));
        h->save_minutes("alex", sample_series("2025-11-26", 7));
        h->save_minutes("sam", sample_series("2025-11-25", 3));
        auto got = h->night_minutes("alex", "2025-11-25");
        REQUIRE(got);
        require_same(*got, sample_series("2025-11-25", 480));
        // Re-closing the night (after a restart) replaces the whole series, never appends to it.
        h->save_minutes("alex", sample_series("2025-11-25", 5));
        got = h->night_minutes("alex", "2025-11-25");
        REQUIRE(got);
        require_same(*got, sample_series("2025-11-25", 5));
        REQUIRE(h->night_minutes("sam", "2025-11-25"));
        CHECK(h->night_minutes("sam", "2025-11-25")->minutes.size() == 3);
        CHECK_FALSE(h->night_minutes("alex", "2025-11-27"));
    }
    // Hostile text in the keys is data, not SQL.
    sql.save_minutes("a'; DROP TABLE night_minutes; --", sample_series("x\"y", 2));
    REQUIRE(sql.night_minutes("a'; DROP TABLE night_minutes; --", "x\"y"));
    CHECK(sql.night_minutes("alex", "2025-11-26")->minutes.size() == 7);
}

TEST_CASE("minutes: the series survives reopening, also read-only", "[store][minutes]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    {
        SqliteHistory h(path);
        h.save_minutes("alex", sample_series("2025-11-25", 30));
    }
    const SqliteHistory ro(path, StoreMode::read_only);
    auto got = ro.night_minutes("alex", "2025-11-25");
    REQUIRE(got);
    require_same(*got, sample_series("2025-11-25", 30));
}

TEST_CASE("minutes: a version 2 file is upgraded to 3 and keeps its rows", "[store][minutes]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    {
        SqliteHistory h(path);
        h.save_night("alex", test::full_night("2025-11-24", T0));
    }
    // What version 2 wrote: everything but the minutes table.
    exec(path, "DROP TABLE night_minutes; PRAGMA user_version = 2;");
    CHECK_THAT(error_of([&] { SqliteHistory ro(path, StoreMode::read_only); }), Catch::Contains("older"));
    SqliteHistory h(path);
    CHECK(h.schema_version() == 3);
    REQUIRE(h.recent_nights("alex", 1).size() == 1);
    test::require_same(h.recent_nights("alex", 1)[0], test::full_night("2025-11-24", T0));
    CHECK_FALSE(h.night_minutes("alex", "2025-11-24"));
    h.save_minutes("alex", sample_series("2025-11-24", 4));
    CHECK(h.night_minutes("alex", "2025-11-24")->minutes.size() == 4);
}

TEST_CASE("minutes: rows edited by hand give a clear error naming the night", "[store][minutes]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    {
        SqliteHistory h(path);
        h.save_minutes("alex", sample_series("2025-11-25", 4));
        h.save_minutes("alex", sample_series("2025-11-26", 4));
    }
    exec(path, "UPDATE night_minutes SET state = 'Z' WHERE night = '2025-11-25' AND minute = 2;"
               "DELETE FROM night_minutes WHERE night = '2025-11-26' AND minute = 1;");
    SqliteHistory h(path);
    const std::string bad_state = error_of([&] { h.night_minutes("alex", "2025-11-25"); });
    CHECK_THAT(bad_state, Catch::Contains(path) && Catch::Contains("2025-11-25") && Catch::Contains("'Z'"));
    const std::string gap = error_of([&] { h.night_minutes("alex", "2025-11-26"); });
    CHECK_THAT(gap, Catch::Contains("2025-11-26") && Catch::Contains("minute 2"));
}
