// Tests of SqliteHistory on real database files: round trips, ordering, durability across reopen,
// migrations, refusal of newer/foreign/damaged files, hostile text and two handles at once.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <memory>

#include "adapters/store/sqlite_history.hpp"
#include "tests/adapters/test_store_util.hpp"

using namespace hypnic;
using hypnic::test::require_same;
using hypnic::test::TempDir;

namespace {

constexpr double T0 = 1764104523.25;  // 2025-11-25T21:02:03.25Z
constexpr double INF = std::numeric_limits<double>::infinity();

/// Raw access for what the History interface does not show (pragmas, row counts, hand-made files).
struct Raw {
    sqlite3* db = nullptr;
    explicit Raw(const std::string& path) { REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK); }
    ~Raw() { sqlite3_close(db); }
    void exec(const std::string& sql) {
        char* err = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        INFO((err ? err : ""));
        sqlite3_free(err);
        REQUIRE(rc == SQLITE_OK);
    }
    std::string text(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        std::string out;
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        return out;
    }
    long long integer(const std::string& sql) { return std::stoll(text(sql)); }
};

MovementEvent event_at(double start, MovementType type = MovementType::twitch) {
    MovementEvent e;
    e.type = type;
    e.start = start;
    e.duration_s = 0.21;
    e.peak_g = 0.083;
    e.phase = Phase::settling;
    e.onset_window = true;
    return e;
}

FactorLog factor_at(double t, Factor f, const std::string& note = "") {
    FactorLog l;
    l.t = t;
    l.factor = f;
    l.amount = 95.5;
    l.note = note;
    l.source = "log";
    return l;
}

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("store: a night round-trips every field exactly", "[store]") {
    TempDir dir;
    SqliteHistory h(SqliteHistory::default_path(dir.path().string()));
    const NightSummary full = test::full_night("2026-11-25", T0);

    NightSummary sparse;  // every optional absent, plain doubles not numbers or infinite
    sparse.night = "2026-11-26";
    sparse.twitch_index = std::numeric_limits<double>::quiet_NaN();
    sparse.plm_index = INF;
    sparse.plm_periodicity = -INF;
    sparse.heavy_reason = "";
    FactorSummary empty_factor;
    empty_factor.factor = Factor::discomfort;
    empty_factor.hours_before_bed = std::numeric_limits<double>::quiet_NaN();  // stored as "no value"
    sparse.factors = {empty_factor};

    h.save_night("alex", full);
    h.save_night("alex", sparse);
    const auto back = h.recent_nights("alex", 10);
    REQUIRE(back.size() == 2);
    require_same(back[0], full);
    NightSummary expected_sparse = sparse;
    expected_sparse.factors[0].hours_before_bed.reset();
    require_same(back[1], expected_sparse);
    CHECK(std::isnan(back[1].twitch_index));
    CHECK(back[1].plm_index == INF);
    CHECK(back[1].plm_periodicity == -INF);
}

TEST_CASE("store: saving a night of the same date replaces it, factors included", "[store]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    SqliteHistory h(path);
    NightSummary first = test::full_night("2026-11-25", T0);
    h.save_night("alex", first);
    NightSummary again = first;
    again.onset_twitches = 2;
    again.twitch_heavy = false;
    again.factors.resize(1);
    again.factors[0].amount = 60;
    h.save_night("alex", again);
    h.save_night("sam", first);  // the same date for another sleeper is another night

    const auto alex = h.recent_nights("alex", 5);
    REQUIRE(alex.size() == 1);
    require_same(alex[0], again);
    REQUIRE(h.recent_nights("sam", 5).size() == 1);
    require_same(h.recent_nights("sam", 5)[0], first);

    Raw raw(path);
    CHECK(raw.integer("SELECT count(*) FROM nights") == 2);
    CHECK(raw.integer("SELECT count(*) FROM night_factors") == 3);  // 1 for alex + 2 for sam: none orphaned
}

TEST_CASE("store: recent_nights returns the latest n, oldest first, per sleeper", "[store]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    for (const char* d : {"2026-11-23", "2026-11-21", "2026-11-25", "2026-11-22", "2026-11-24"}) {
        NightSummary n;
        n.night = d;
        h.save_night("alex", n);
    }
    NightSummary other;
    other.night = "2026-11-30";
    h.save_night("sam", other);

    const auto three = h.recent_nights("alex", 3);
    REQUIRE(three.size() == 3);
    CHECK(three[0].night == "2026-11-23");
    CHECK(three[1].night == "2026-11-24");
    CHECK(three[2].night == "2026-11-25");
    CHECK(h.recent_nights("alex", 0).empty());
    CHECK(h.recent_nights("alex", std::numeric_limits<std::size_t>::max()).size() == 5);
    CHECK(h.recent_nights("nobody", 3).empty());
    CHECK(h.recent_nights("sam", 3).size() == 1);
    CHECK(h.sleepers() == std::vector<std::string>{"alex", "sam"});
}

TEST_CASE("store: factors_between is from <= t < to, oldest first, ties in saving order", "[store]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    h.save_factor("alex", factor_at(T0 + 300, Factor::stress, "late"));
    h.save_factor("alex", factor_at(T0 + 100, Factor::caffeine, "first"));
    h.save_factor("alex", factor_at(T0 + 200, Factor::exercise, "tie a"));
    h.save_factor("alex", factor_at(T0 + 200, Factor::magnesium, "tie b"));
    h.save_factor("sam", factor_at(T0 + 150, Factor::caffeine, "other sleeper"));

    const auto got = h.factors_between("alex", T0 + 100, T0 + 300);
    REQUIRE(got.size() == 3);
    require_same(got[0], factor_at(T0 + 100, Factor::caffeine, "first"));
    require_same(got[1], factor_at(T0 + 200, Factor::exercise, "tie a"));
    require_same(got[2], factor_at(T0 + 200, Factor::magnesium, "tie b"));
    CHECK(h.factors_between("alex", T0 + 300, T0 + 300).empty());
    CHECK(h.factors_between("alex", T0 + 300, std::nextafter(T0 + 300, INF)).size() == 1);
    CHECK(h.factors_between("alex", -INF, INF).size() == 4);

    // The same answers as the in-memory History, the reference behaviour.
    MemoryHistory m;
    for (const auto& f : h.factors_between("alex", -INF, INF)) m.save_factor("alex", f);
    const auto mem = m.factors_between("alex", T0 + 100, T0 + 300);
    REQUIRE(mem.size() == got.size());
    for (std::size_t i = 0; i < mem.size(); ++i) require_same(mem[i], got[i]);
}

TEST_CASE("store: events round-trip, alone and in batches, and retention prunes only events", "[store]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    MovementEvent plm = event_at(T0 + 10, MovementType::plm_series);
    plm.count = 6;
    plm.end = T0 + 10 + 147.25;
    plm.phase = Phase::asleep;
    plm.onset_window = false;
    plm.gravity_shift = true;
    h.save_event("alex", event_at(T0));
    h.save_events("alex", {plm, event_at(T0 + 5, MovementType::large_movement)});
    h.save_events("alex", {});

    auto got = h.events_between("alex", -INF, INF);
    REQUIRE(got.size() == 3);
    require_same(got[0], event_at(T0));
    require_same(got[1], event_at(T0 + 5, MovementType::large_movement));
    require_same(got[2], plm);
    CHECK(h.events_between("alex", T0 + 5, T0 + 10).size() == 1);

    // Old events go; nights, factors and state stay.
    h.save_event("alex", event_at(T0 - 400 * 86400.0));
    NightSummary old_night;
    old_night.night = "2024-10-21";
    h.save_night("alex", old_night);
    h.save_factor("alex", factor_at(T0 - 400 * 86400.0, Factor::caffeine));
    CHECK(h.prune_events(T0 + 86400, 365) == 1);
    CHECK(h.events_between("alex", -INF, INF).size() == 3);
    CHECK(h.recent_nights("alex", 10).size() == 1);
    CHECK(h.factors_between("alex", -INF, INF).size() == 1);
    CHECK(h.prune_events(T0 + 86400, 0) == 0);  // 0 keeps everything
    CHECK(h.prune_events(T0 + 86400, -1) == 0);
}

TEST_CASE("store: state blobs are stored byte for byte and replaced by key", "[store]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    CHECK_FALSE(h.get_state("night/alex").has_value());
    h.put_state("night/alex", "{\"v\":1}");
    h.put_state("night/alex", "{\"v\":2}");
    CHECK(h.get_state("night/alex") == std::optional<std::string>("{\"v\":2}"));

    std::string binary;
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));  // NUL and invalid UTF-8 included
    h.put_state("bin", binary);
    CHECK(h.get_state("bin") == std::optional<std::string>(binary));
    h.put_state("empty", "");
    CHECK(h.get_state("empty") == std::optional<std::string>(""));

    Raw raw(dir.file("hypnic.db"));
    const double updated = std::stod(raw.text("SELECT updated_at FROM state WHERE key = 'bin'"));
    CHECK(updated > 1.7e9);  // a wall-clock time of the write, Unix seconds
}

TEST_CASE("store: everything survives closing and reopening the file", "[store]") {
    TempDir dir;
    const std::string path = dir.file("sub/dir/hypnic.db");  // missing directories are created
    const NightSummary night = test::full_night("2026-11-25", T0);
    {
        SqliteHistory h(path);
        h.save_night("alex", night);
        h.save_event("alex", event_at(T0));
        h.save_factor("alex", factor_at(T0, Factor::caffeine, "espresso"));
        h.put_state("scheduler", "fired:relax");
    }
    SqliteHistory h(path);
    CHECK(h.schema_version() == SqliteHistory::SCHEMA_VERSION);
    REQUIRE(h.recent_nights("alex", 1).size() == 1);
    require_same(h.recent_nights("alex", 1)[0], night);
    REQUIRE(h.events_between("alex", -INF, INF).size() == 1);
    REQUIRE(h.factors_between("alex", -INF, INF).size() == 1);
    CHECK(h.factors_between("alex", -INF, INF)[0].note == "espresso");
    CHECK(h.get_state("scheduler") == std::optional<std::string>("fired:relax"));

    Raw raw(path);
    CHECK(raw.text("PRAGMA journal_mode") == "wal");
    CHECK(raw.integer("PRAGMA user_version") == SqliteHistory::SCHEMA_VERSION);
}

TEST_CASE("store: a version 1 file is upgraded in place and keeps its rows", "[store]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    {
        // The version 1 schema of the events table exactly as it was released (docs/storage.md).
        Raw raw(path);
        raw.exec(R"sql(
CREATE TABLE nights (id INTEGER PRIMARY KEY, sleeper TEXT NOT NULL, night TEXT NOT NULL,
  in_bed REAL, lights_out REAL, sleep_onset REAL, out_of_bed REAL, onset_latency_min REAL,
  onset_twitches INTEGER NOT NULL, twitches INTEGER NOT NULL, twitch_index REAL, limb_movements INTEGER NOT NULL,
  plm_series INTEGER NOT NULL, plm_index REAL, plm_periodicity REAL, large_movements INTEGER NOT NULL,
  twitch_heavy INTEGER NOT NULL, heavy_reason TEXT NOT NULL, baseline_nights INTEGER NOT NULL,
  baseline_onset_twitches_median REAL, baseline_onset_twitches_mad REAL, baseline_twitch_index_median REAL,
  baseline_twitch_index_mad REAL, baseline_threshold REAL, sensor_resolution TEXT NOT NULL, coverage REAL,
  asleep_h REAL, UNIQUE (sleeper, night)) STRICT;
CREATE TABLE night_factors (night_id INTEGER NOT NULL REFERENCES nights(id) ON DELETE CASCADE,
  position INTEGER NOT NULL, factor TEXT NOT NULL, count INTEGER NOT NULL, amount REAL, last REAL,
  hours_before_bed REAL, late INTEGER NOT NULL, PRIMARY KEY (night_id, position)) STRICT;
CREATE TABLE events (id INTEGER PRIMARY KEY, sleeper TEXT NOT NULL, type TEXT NOT NULL, start REAL,
  duration_s REAL, peak REAL, phase TEXT NOT NULL, onset_window INTEGER NOT NULL, count INTEGER NOT NULL,
  "end" REAL) STRICT;
CREATE INDEX events_by_sleeper_start ON events (sleeper, start);
CREATE TABLE factors (id INTEGER PRIMARY KEY, sleeper TEXT NOT NULL, t REAL, factor TEXT NOT NULL,
  amount REAL, note TEXT NOT NULL, source TEXT NOT NULL) STRICT;
CREATE INDEX factors_by_sleeper_t ON factors (sleeper, t);
CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB NOT NULL, updated_at REAL NOT NULL) STRICT;
INSERT INTO events (sleeper, type, start, duration_s, peak, phase, onset_window, count, "end")
  VALUES ('alex', 'limb_movement', 1764104523.25, 1.5, 0.2, 'asleep', 0, 0, 0);
INSERT INTO nights (sleeper, night, onset_twitches, twitches, limb_movements, plm_series, large_movements,
  twitch_heavy, heavy_reason, baseline_nights, sensor_resolution)
  VALUES ('alex', '2026-11-24', 3, 4, 5, 0, 1, 0, '', 0, 'raw 50 Hz accel');
PRAGMA user_version = 1;
)sql");
    }
    SqliteHistory h(path);
    CHECK(h.schema_version() == SqliteHistory::SCHEMA_VERSION);
    const auto events = h.events_between("alex", -INF, INF);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == MovementType::limb_movement);
    CHECK(events[0].duration_s == 1.5);
    CHECK_FALSE(events[0].gravity_shift);
    REQUIRE(h.recent_nights("alex", 1).size() == 1);
    CHECK(h.recent_nights("alex", 1)[0].twitches == 4);
    MovementEvent shifted = event_at(T0 + 1);
    shifted.gravity_shift = true;
    h.save_event("alex", shifted);  // the new column is usable at once
    CHECK(h.events_between("alex", T0 + 1, T0 + 2).at(0).gravity_shift);
    Raw raw(path);
    CHECK(raw.integer("PRAGMA user_version") == SqliteHistory::SCHEMA_VERSION);
    CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'events_by_start'") == 1);
}

TEST_CASE("store: a file from a newer hypnicd is refused and left unchanged", "[store]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    {
        SqliteHistory h(path);
        h.put_state("k", "v");
    }
    {
        Raw raw(path);
        raw.exec("PRAGMA user_version = " + std::to_string(SqliteHistory::SCHEMA_VERSION + 1));
    }
    const std::string before = test::read_bytes(path);
    const std::string err = error_of([&] { SqliteHistory h(path); });
    CHECK_THAT(err, Catch::Contains(path) && Catch::Contains("schema version " + std::to_string(SqliteHistory::SCHEMA_VERSION + 1)) && Catch::Contains("newer"));
    CHECK(test::read_bytes(path) == before);
    CHECK_THAT(error_of([&] { SqliteHistory h(path, StoreMode::read_only); }), Catch::Contains("newer"));
}

TEST_CASE("store: garbage, damaged and foreign files give a clear error and are never replaced", "[store]") {
    TempDir dir;

    SECTION("not a database at all") {
        const std::string path = dir.file("hypnic.db");
        std::string garbage(8192, '\0');
        for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) % 251);
        test::write_bytes(path, garbage);
        const std::string err = error_of([&] { SqliteHistory h(path); });
        CHECK_THAT(err, Catch::Contains(path) && Catch::Contains("not a database") && Catch::Contains("untouched"));
        CHECK(test::read_bytes(path) == garbage);
    }
    SECTION("a text file") {
        const std::string path = dir.file("hypnic.db");
        test::write_bytes(path, "version: 1\nmqtt:\n  url: tcp://localhost:1883\n");
        CHECK_THAT(error_of([&] { SqliteHistory h(path); }), Catch::Contains("not a database"));
        CHECK(test::read_bytes(path) == "version: 1\nmqtt:\n  url: tcp://localhost:1883\n");
    }
    SECTION("a real database with a damaged page") {
        const std::string path = dir.file("hypnic.db");
        {
            SqliteHistory h(path);
            std::vector<MovementEvent> many;
            for (int i = 0; i < 3000; ++i) many.push_back(event_at(T0 + i));
            h.save_events("alex", many);
            Raw raw(path);
            raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");  // move everything into the main file
        }
        std::string bytes = test::read_bytes(path);
        REQUIRE(bytes.size() > 8 * 4096);
        for (std::size_t i = 4 * 4096; i < 6 * 4096; ++i) bytes[i] = static_cast<char>(0xA5);
        test::write_bytes(path, bytes);
        const std::string err = error_of([&] {
            SqliteHistory h(path);
            (void)h.events_between("alex", -INF, INF);
        });
        CHECK_THAT(err, Catch::Contains(path) && (Catch::Contains("damaged") || Catch::Contains("malformed")));
        CHECK(test::read_bytes(path) == bytes);
    }
    SECTION("another program's SQLite database") {
        const std::string path = dir.file("hypnic.db");
        {
            Raw raw(path);
            raw.exec("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)");
        }
        const std::string before = test::read_bytes(path);
        CHECK_THAT(error_of([&] { SqliteHistory h(path); }), Catch::Contains("other program"));
        CHECK(test::read_bytes(path) == before);
    }
    SECTION("a directory where the file should be") {
        const std::string path = dir.file("hypnic.db");
        std::filesystem::create_directory(path);
        CHECK_THAT(error_of([&] { SqliteHistory h(path); }), Catch::Contains(path));
    }
}

TEST_CASE("store: hostile text in every text column round-trips and cannot inject SQL", "[store]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    SqliteHistory h(path);
    std::string binary;  // every byte but NUL, so also invalid UTF-8
    for (int i = 1; i < 256; ++i) binary.push_back(static_cast<char>(i));
    const std::string quotes = "it's \"decaf\"; DROP TABLE factors; --\r\n,\t'';";
    const std::string long_note(1 << 20, 'z');
    const std::string sleeper = "al'ex\"; DELETE FROM nights; --";

    h.save_factor(sleeper, factor_at(T0, Factor::caffeine, quotes));
    h.save_factor(sleeper, factor_at(T0 + 1, Factor::stress, binary));
    h.save_factor(sleeper, factor_at(T0 + 2, Factor::exercise, long_note));
    FactorLog with_nul = factor_at(T0 + 3, Factor::magnesium, std::string("a\0b", 3));
    with_nul.source = binary;
    h.save_factor(sleeper, with_nul);
    NightSummary n = test::full_night(quotes, T0);
    n.heavy_reason = binary;
    n.sensor_resolution = long_note;
    h.save_night(sleeper, n);

    const auto got = h.factors_between(sleeper, -INF, INF);
    REQUIRE(got.size() == 4);
    CHECK(got[0].note == quotes);
    CHECK(got[1].note == binary);
    CHECK(got[2].note == long_note);
    require_same(got[3], with_nul);
    REQUIRE(h.recent_nights(sleeper, 1).size() == 1);
    require_same(h.recent_nights(sleeper, 1)[0], n);
    CHECK(h.sleepers() == std::vector<std::string>{sleeper});
    Raw raw(path);
    CHECK(raw.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'factors'") == 1);
}

TEST_CASE("store: two handles on one file see each other's committed writes (WAL)", "[store]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    SqliteHistory a(path);
    SqliteHistory b(path);
    a.save_night("alex", test::full_night("2026-11-25", T0));
    REQUIRE(b.recent_nights("alex", 5).size() == 1);
    b.save_event("alex", event_at(T0));
    b.put_state("k", "from b");
    CHECK(a.events_between("alex", -INF, INF).size() == 1);
    CHECK(a.get_state("k") == std::optional<std::string>("from b"));

    // A reader in the middle of a read transaction does not block a writer, and keeps its snapshot.
    Raw reader(path);
    reader.exec("BEGIN");
    CHECK(reader.integer("SELECT count(*) FROM events") == 1);
    a.save_events("alex", {event_at(T0 + 1), event_at(T0 + 2)});
    CHECK(reader.integer("SELECT count(*) FROM events") == 1);
    reader.exec("COMMIT");
    CHECK(reader.integer("SELECT count(*) FROM events") == 3);

}

TEST_CASE("store: read-only mode reads, refuses writes and never creates a file", "[store]") {
    TempDir dir;
    const std::string path = dir.file("hypnic.db");
    CHECK_THAT(error_of([&] { SqliteHistory h(path, StoreMode::read_only); }), Catch::Contains("no history database"));
    CHECK_FALSE(std::filesystem::exists(path));
    {
        SqliteHistory h(path);
        h.save_factor("alex", factor_at(T0, Factor::caffeine));
    }
    SqliteHistory ro(path, StoreMode::read_only);
    CHECK(ro.factors_between("alex", -INF, INF).size() == 1);
    CHECK_THAT(error_of([&] { ro.save_factor("alex", factor_at(T0, Factor::caffeine)); }), Catch::Contains("read-only"));
    CHECK_THAT(error_of([&] { ro.put_state("k", "v"); }), Catch::Contains("read-only"));

    test::write_bytes(dir.file("empty.db"), "");
    CHECK_THAT(error_of([&] { SqliteHistory h(dir.file("empty.db"), StoreMode::read_only); }), Catch::Contains("empty"));
}
