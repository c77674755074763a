// SqliteHistory: schema migrations, durability settings and the History queries on SQLite.
#include "adapters/store/sqlite_history.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

namespace hypnic {

namespace {

struct Migration {
    int version;
    const char* sql;
};

// The ordered schema history. A released migration is never edited; a change is a new entry.
// Tables are STRICT so that a value of the wrong type is an error instead of a silent conversion.
constexpr Migration MIGRATIONS[] = {
    {1, R"sql(
CREATE TABLE nights (
  id INTEGER PRIMARY KEY,
  sleeper TEXT NOT NULL,
  night TEXT NOT NULL,
  in_bed REAL, lights_out REAL, sleep_onset REAL, out_of_bed REAL,
  onset_latency_min REAL,
  onset_twitches INTEGER NOT NULL,
  twitches INTEGER NOT NULL,
  twitch_index REAL,
  limb_movements INTEGER NOT NULL,
  plm_series INTEGER NOT NULL,
  plm_index REAL,
  plm_periodicity REAL,
  large_movements INTEGER NOT NULL,
  twitch_heavy INTEGER NOT NULL,
  heavy_reason TEXT NOT NULL,
  baseline_nights INTEGER NOT NULL,
  baseline_onset_twitches_median REAL,
  baseline_onset_twitches_mad REAL,
  baseline_twitch_index_median REAL,
  baseline_twitch_index_mad REAL,
  baseline_threshold REAL,
  sensor_resolution TEXT NOT NULL,
  coverage REAL,
  asleep_h REAL,
  UNIQUE (sleeper, night)
) STRICT;
CREATE TABLE night_factors (
  night_id INTEGER NOT NULL REFERENCES nights(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  factor TEXT NOT NULL,
  count INTEGER NOT NULL,
  amount REAL,
  last REAL,
  hours_before_bed REAL,
  late INTEGER NOT NULL,
  PRIMARY KEY (night_id, position)
) STRICT;
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  sleeper TEXT NOT NULL,
  type TEXT NOT NULL,
  start REAL,
  duration_s REAL,
  peak REAL,
  phase TEXT NOT NULL,
  onset_window INTEGER NOT NULL,
  count INTEGER NOT NULL,
  "end" REAL
) STRICT;
CREATE INDEX events_by_sleeper_start ON events (sleeper, start);
CREATE TABLE factors (
  id INTEGER PRIMARY KEY,
  sleeper TEXT NOT NULL,
  t REAL,
  factor TEXT NOT NULL,
  amount REAL,
  note TEXT NOT NULL,
  source TEXT NOT NULL
) STRICT;
CREATE INDEX factors_by_sleeper_t ON factors (sleeper, t);
CREATE TABLE state (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  updated_at REAL NOT NULL
) STRICT;
)sql"},
    // v2: events keep the detector's gravity-shift flag; retention deletes by start across sleepers.
    {2, R"sql(
ALTER TABLE events ADD COLUMN gravity_shift INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_by_start ON events (start);
)sql"},
    // v3: the per-minute movement envelope of each closed night, for the night report.
    {3, R"sql(
CREATE TABLE night_minutes (
  sleeper TEXT NOT NULL,
  night TEXT NOT NULL,
  minute INTEGER NOT NULL,
  t REAL,
  movement_s REAL,
  peak REAL,
  state TEXT NOT NULL,
  PRIMARY KEY (sleeper, night, minute)
) STRICT;
)sql"},
};

static_assert(std::size(MIGRATIONS) == SqliteHistory::SCHEMA_VERSION, "one migration per schema version");

constexpr const char* NIGHT_COLUMNS =
    "night, in_bed, lights_out, sleep_onset, out_of_bed, onset_latency_min, onset_twitches, twitches, "
    "twitch_index, limb_movements, plm_series, plm_index, plm_periodicity, large_movements, twitch_heavy, "
    "heavy_reason, baseline_nights, baseline_onset_twitches_median, baseline_onset_twitches_mad, "
    "baseline_twitch_index_median, baseline_twitch_index_mad, baseline_threshold, sensor_resolution, coverage, "
    "asleep_h";
constexpr int NIGHT_COLUMN_COUNT = 25;

constexpr const char* EVENT_COLUMNS =
    "type, start, duration_s, peak, phase, onset_window, count, \"end\", gravity_shift";

std::string placeholders(int from, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? ", ?" : "?") + std::to_string(from + i);
    return s;
}

int to_int(std::int64_t v) {
    return static_cast<int>(std::clamp<std::int64_t>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

}  // namespace

struct SqliteHistory::Impl {
    sqlite::Db db;
    StoreMode mode;
    int version = 0;

    // Prepared once, reused for every call (created after the schema is current).
    std::unique_ptr<sqlite::Stmt> delete_night, insert_night, insert_night_factor, select_nights, select_night_factors,
        insert_event, select_events, insert_factor, select_factors, upsert_state, select_state, select_sleepers,
        prune, delete_minutes, insert_minute, select_minutes;

    Impl(const std::string& path, int flags, StoreMode m) : db(path, flags), mode(m) {}

    [[noreturn]] void corrupt(const std::string& what) const {
        throw StoreError(db.path() + ": " + what +
                         " (the database holds a value hypnic never writes; was the file edited by hand?)");
    }

    void open() {
        sqlite3_busy_timeout(db.get(), BUSY_TIMEOUT_MS);
        if (mode == StoreMode::read_only) db.exec("PRAGMA query_only = ON", "making the connection read-only");
        // The first read of the header: a garbage file fails here with "file is not a database".
        version = static_cast<int>(db.query_int("PRAGMA user_version", "reading the schema version"));
        if (version > SCHEMA_VERSION)
            throw StoreError(db.path() + ": schema version " + std::to_string(version) +
                             " is newer than this hypnicd understands (" + std::to_string(SCHEMA_VERSION) +
                             "); upgrade hypnicd or restore a backup. The file was not changed.");
        if (version == 0 && db.query_int("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
                                         "reading the table list") > 0)
            throw StoreError(db.path() +
                             ": is a SQLite database of some other program (tables but no hypnic schema version); "
                             "refusing to write into it. The file was not changed.");
        check_integrity();
        if (mode == StoreMode::read_only) {
            if (version == 0)
                throw StoreError(db.path() + ": is empty, not a hypnic history database");
            if (version < SCHEMA_VERSION)
                throw StoreError(db.path() + ": schema version " + std::to_string(version) + " is older than " +
                                 std::to_string(SCHEMA_VERSION) +
                                 "; start hypnicd once (it upgrades the file) before reading it read-only");
        } else {
            // WAL: readers never block the writer and a commit is one append. FULL: the WAL is synced at
            // every commit, so a returned call survives a power cut (NORMAL could lose the last commits).
            db.query_text("PRAGMA journal_mode = WAL", "switching to write-ahead logging");
            db.exec("PRAGMA synchronous = FULL", "setting synchronous = FULL");
            db.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
            migrate();
        }
        prepare();
    }

    void check_integrity() const {
        sqlite::Stmt s(db, "PRAGMA quick_check(5)");
        std::string problems;
        while (s.step("checking the file's integrity")) {
            const std::string line = s.col_text(0);
            if (line == "ok") return;
            problems += (problems.empty() ? "" : "; ") + line;
        }
        throw StoreError(db.path() + ": the database is damaged (" + problems +
                         "). It was left untouched: move it aside or restore a backup to start again.");
    }

    void migrate() {
        if (version == SCHEMA_VERSION) return;
        sqlite::Transaction tx(db);
        // Another process may have migrated between our first read and the write lock.
        version = static_cast<int>(db.query_int("PRAGMA user_version", "reading the schema version"));
        if (version > SCHEMA_VERSION)
            throw StoreError(db.path() + ": schema version " + std::to_string(version) +
                             " is newer than this hypnicd understands; upgrade hypnicd");
        for (const auto& m : MIGRATIONS) {
            if (m.version <= version) continue;
            db.exec(m.sql, "upgrading the schema to version " + std::to_string(m.version));
        }
        db.exec("PRAGMA user_version = " + std::to_string(SCHEMA_VERSION), "recording the schema version");
        tx.commit();
        version = SCHEMA_VERSION;
    }

    void prepare() {
        auto make = [&](const std::string& sql) { return std::make_unique<sqlite::Stmt>(db, sql); };
        select_nights = make(std::string("SELECT id, ") + NIGHT_COLUMNS +
                             " FROM nights WHERE sleeper = ?1 ORDER BY night DESC LIMIT ?2");
        select_night_factors = make(
            "SELECT factor, count, amount, last, hours_before_bed, late FROM night_factors WHERE night_id = ?1 "
            "ORDER BY position");
        select_events = make(std::string("SELECT ") + EVENT_COLUMNS +
                             " FROM events WHERE sleeper = ?1 AND start >= ?2 AND start < ?3 ORDER BY start, id");
        select_factors = make(
            "SELECT t, factor, amount, note, source FROM factors WHERE sleeper = ?1 AND t >= ?2 AND t < ?3 "
            "ORDER BY t, id");
        select_state = make("SELECT value FROM state WHERE key = ?1");
        select_minutes = make(
            "SELECT minute, t, movement_s, peak, state FROM night_minutes WHERE sleeper = ?1 AND night = ?2 "
            "ORDER BY minute");
        select_sleepers = make(
            "SELECT sleeper FROM nights UNION SELECT sleeper FROM events UNION SELECT sleeper FROM factors "
            "ORDER BY 1");
        if (mode == StoreMode::read_only) return;
        delete_night = make("DELETE FROM nights WHERE sleeper = ?1 AND night = ?2");
        insert_night = make(std::string("INSERT INTO nights (sleeper, ") + NIGHT_COLUMNS + ") VALUES (?1, " +
                            placeholders(2, NIGHT_COLUMN_COUNT) + ")");
        insert_night_factor = make(
            "INSERT INTO night_factors (night_id, position, factor, count, amount, last, hours_before_bed, late) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        insert_event = make(std::string("INSERT INTO events (sleeper, ") + EVENT_COLUMNS + ") VALUES (?1, " +
                            placeholders(2, 9) + ")");
        insert_factor = make(
            "INSERT INTO factors (sleeper, t, factor, amount, note, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        upsert_state = make(
            "INSERT INTO state (key, value, updated_at) VALUES (?1, ?2, (julianday('now') - 2440587.5) * 86400.0) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
        prune = make("DELETE FROM events WHERE start < ?1");
        delete_minutes = make("DELETE FROM night_minutes WHERE sleeper = ?1 AND night = ?2");
        insert_minute = make(
            "INSERT INTO night_minutes (sleeper, night, minute, t, movement_s, peak, state) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    }

    void require_writable() const {
        if (mode == StoreMode::read_only) throw StoreError(db.path() + ": opened read-only; refusing to write");
    }

    void write_event(const std::string& sleeper, const MovementEvent& e) {
        sqlite::StmtScope scope(*insert_event);
        insert_event->bind(1, sleeper)
            .bind(2, to_string(e.type))
            .bind(3, e.start)
            .bind(4, e.duration_s)
            .bind(5, e.peak_g)
            .bind(6, to_string(e.phase))
            .bind(7, e.onset_window)
            .bind(8, e.count)
            .bind(9, e.end)
            .bind(10, e.gravity_shift);
        insert_event->run("saving a movement event");
    }

    NightSummary read_night(const sqlite::Stmt& s) const {
        NightSummary n;
        int c = 1;  // column 0 is the row id
        n.night = s.col_text(c++);
        n.in_bed = s.col_opt_double(c++);
        n.lights_out = s.col_opt_double(c++);
        n.sleep_onset = s.col_opt_double(c++);
        n.out_of_bed = s.col_opt_double(c++);
        n.onset_latency_min = s.col_opt_double(c++);
        n.onset_twitches = to_int(s.col_int(c++));
        n.twitches = to_int(s.col_int(c++));
        n.twitch_index = s.col_double(c++);
        n.limb_movements = to_int(s.col_int(c++));
        n.plm_series = to_int(s.col_int(c++));
        n.plm_index = s.col_double(c++);
        n.plm_periodicity = s.col_double(c++);
        n.large_movements = to_int(s.col_int(c++));
        n.twitch_heavy = s.col_int(c++) != 0;
        n.heavy_reason = s.col_text(c++);
        n.baseline.nights = to_int(s.col_int(c++));
        n.baseline.onset_twitches_median = s.col_double(c++);
        n.baseline.onset_twitches_mad = s.col_double(c++);
        n.baseline.twitch_index_median = s.col_double(c++);
        n.baseline.twitch_index_mad = s.col_double(c++);
        n.baseline.threshold = s.col_double(c++);
        n.sensor_resolution = s.col_text(c++);
        n.coverage = s.col_double(c++);
        n.asleep_h = s.col_double(c++);
        return n;
    }
};

std::string SqliteHistory::default_path(const std::string& state_dir) {
    return (std::filesystem::path(state_dir) / "hypnic.db").string();
}

namespace {
int open_flags(const std::string& path, StoreMode mode) {
    if (mode == StoreMode::read_only) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec))
            throw StoreError(path + ": no history database here (has hypnicd run with this state directory?)");
        // Read-write without CREATE, then query_only: the last connection to close can still tidy up
        // the -wal/-shm files. SQLite falls back to read-only by itself where the file is not writable.
        return SQLITE_OPEN_READWRITE;
    }
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) throw StoreError(path + ": cannot create the state directory '" + dir.string() + "': " + ec.message());
    }
    return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
}
}  // namespace

SqliteHistory::SqliteHistory(const std::string& path, StoreMode mode)
    : impl_(std::make_unique<Impl>(path, open_flags(path, mode), mode)) {
    impl_->open();
}

SqliteHistory::~SqliteHistory() = default;

void SqliteHistory::save_night(const std::string& sleeper, const NightSummary& n) {
    auto& d = *impl_;
    d.require_writable();
    sqlite::Transaction tx(d.db);
    {
        sqlite::StmtScope scope(*d.delete_night);
        // Factors of the replaced night go with it (ON DELETE CASCADE).
        d.delete_night->bind(1, sleeper).bind(2, n.night).run("replacing the night " + n.night);
    }
    {
        auto& s = *d.insert_night;
        sqlite::StmtScope scope(s);
        int p = 0;
        // One statement per value: the order of the columns is NIGHT_COLUMNS, after the sleeper.
        s.bind(++p, sleeper);
        s.bind(++p, n.night);
        s.bind(++p, n.in_bed);
        s.bind(++p, n.lights_out);
        s.bind(++p, n.sleep_onset);
        s.bind(++p, n.out_of_bed);
        s.bind(++p, n.onset_latency_min);
        s.bind(++p, n.onset_twitches);
        s.bind(++p, n.twitches);
        s.bind(++p, n.twitch_index);
        s.bind(++p, n.limb_movements);
        s.bind(++p, n.plm_series);
        s.bind(++p, n.plm_index);
        s.bind(++p, n.plm_periodicity);
        s.bind(++p, n.large_movements);
        s.bind(++p, n.twitch_heavy);
        s.bind(++p, n.heavy_reason);
        s.bind(++p, n.baseline.nights);
        s.bind(++p, n.baseline.onset_twitches_median);
        s.bind(++p, n.baseline.onset_twitches_mad);
        s.bind(++p, n.baseline.twitch_index_median);
        s.bind(++p, n.baseline.twitch_index_mad);
        s.bind(++p, n.baseline.threshold);
        s.bind(++p, n.sensor_resolution);
        s.bind(++p, n.coverage);
        s.bind(++p, n.asleep_h);
        s.run("saving the night " + n.night);
    }
    const std::int64_t night_id = sqlite3_last_insert_rowid(d.db.get());
    for (std::size_t i = 0; i < n.factors.size(); ++i) {
        const auto& f = n.factors[i];
        auto& s = *d.insert_night_factor;
        sqlite::StmtScope scope(s);
        s.bind(1, night_id)
            .bind(2, static_cast<std::int64_t>(i))
            .bind(3, to_string(f.factor))
            .bind(4, f.count)
            .bind(5, f.amount)
            .bind(6, f.last)
            .bind(7, f.hours_before_bed)
            .bind(8, f.late);
        s.run("saving the factors of the night " + n.night);
    }
    tx.commit();
}

std::vector<NightSummary> SqliteHistory::recent_nights(const std::string& sleeper, std::size_t n) const {
    auto& d = *impl_;
    std::vector<NightSummary> out;
    if (n == 0) return out;
    // One snapshot: a concurrent save_night cannot pair a night with another version's factors.
    sqlite::Transaction tx(d.db, sqlite::Transaction::Kind::read);
    std::vector<std::int64_t> ids;
    {
        auto& s = *d.select_nights;
        sqlite::StmtScope scope(s);
        const auto limit = static_cast<std::int64_t>(
            std::min<std::size_t>(n, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
        s.bind(1, sleeper).bind(2, limit);
        while (s.step("reading nights")) {
            ids.push_back(s.col_int(0));
            out.push_back(d.read_night(s));
        }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto& s = *d.select_night_factors;
        sqlite::StmtScope scope(s);
        s.bind(1, ids[i]);
        while (s.step("reading the factors of the night " + out[i].night)) {
            FactorSummary f;
            const std::string name = s.col_text(0);
            const auto factor = factor_from_string(name);
            if (!factor) d.corrupt("night " + out[i].night + " has an unknown factor '" + name + "'");
            f.factor = *factor;
            f.count = to_int(s.col_int(1));
            f.amount = s.col_double(2);
            f.last = s.col_opt_double(3);
            f.hours_before_bed = s.col_opt_double(4);
            f.late = s.col_int(5) != 0;
            out[i].factors.push_back(f);
        }
    }
    tx.commit();
    std::reverse(out.begin(), out.end());
    return out;
}

void SqliteHistory::save_event(const std::string& sleeper, const MovementEvent& event) {
    impl_->require_writable();
    // A single INSERT in autocommit mode is its own durable transaction.
    impl_->write_event(sleeper, event);
}

void SqliteHistory::save_events(const std::string& sleeper, const std::vector<MovementEvent>& events) {
    auto& d = *impl_;
    d.require_writable();
    if (events.empty()) return;
    sqlite::Transaction tx(d.db);
    for (const auto& e : events) d.write_event(sleeper, e);
    tx.commit();
}

std::vector<MovementEvent> SqliteHistory::events_between(const std::string& sleeper, UnixS from, UnixS to) const {
    auto& s = *impl_->select_events;
    sqlite::StmtScope scope(s);
    s.bind(1, sleeper).bind(2, from).bind(3, to);
    std::vector<MovementEvent> out;
    while (s.step("reading movement events")) {
        MovementEvent e;
        const std::string type = s.col_text(0);
        const auto t = movement_type_from_string(type);
        if (!t) impl_->corrupt("an event has an unknown type '" + type + "'");
        e.type = *t;
        e.start = s.col_double(1);
        e.duration_s = s.col_double(2);
        e.peak_g = s.col_double(3);
        const std::string phase = s.col_text(4);
        const auto ph = phase_from_string(phase);
        if (!ph) impl_->corrupt("an event has an unknown phase '" + phase + "'");
        e.phase = *ph;
        e.onset_window = s.col_int(5) != 0;
        e.count = to_int(s.col_int(6));
        e.end = s.col_double(7);
        e.gravity_shift = s.col_int(8) != 0;
        out.push_back(e);
    }
    return out;
}

void SqliteHistory::save_factor(const std::string& sleeper, const FactorLog& log) {
    auto& d = *impl_;
    d.require_writable();
    auto& s = *d.insert_factor;
    sqlite::StmtScope scope(s);
    s.bind(1, sleeper).bind(2, log.t).bind(3, to_string(log.factor)).bind(4, log.amount).bind(5, log.note).bind(6, log.source);
    s.run("saving a factor log");
}

std::vector<FactorLog> SqliteHistory::factors_between(const std::string& sleeper, UnixS from, UnixS to) const {
    auto& s = *impl_->select_factors;
    sqlite::StmtScope scope(s);
    s.bind(1, sleeper).bind(2, from).bind(3, to);
    std::vector<FactorLog> out;
    while (s.step("reading factor logs")) {
        FactorLog f;
        f.t = s.col_double(0);
        const std::string name = s.col_text(1);
        const auto factor = factor_from_string(name);
        if (!factor) impl_->corrupt("a factor log has an unknown factor '" + name + "'");
        f.factor = *factor;
        f.amount = s.col_double(2);
        f.note = s.col_text(3);
        f.source = s.col_text(4);
        out.push_back(std::move(f));
    }
    return out;
}

void SqliteHistory::put_state(const std::string& key, const std::string& blob) {
    auto& d = *impl_;
    d.require_writable();
    auto& s = *d.upsert_state;
    sqlite::StmtScope scope(s);
    s.bind(1, key).bind_blob(2, blob);
    s.run("saving the state '" + key + "'");
}

void SqliteHistory::put_states(const std::vector<std::pair<std::string, std::string>>& blobs) {
    auto& d = *impl_;
    d.require_writable();
    if (blobs.empty()) return;
    sqlite::Transaction tx(d.db);
    for (const auto& [key, blob] : blobs) {
        auto& s = *d.upsert_state;
        sqlite::StmtScope scope(s);
        s.bind(1, key).bind_blob(2, blob);
        s.run("saving the state '" + key + "'");
    }
    tx.commit();
}

std::optional<std::string> SqliteHistory::get_state(const std::string& key) const {
    auto& s = *impl_->select_state;
    sqlite::StmtScope scope(s);
    s.bind(1, key);
    if (!s.step("reading the state '" + key + "'")) return std::nullopt;
    return s.col_text(0);
}

void SqliteHistory::save_minutes(const std::string& sleeper, const NightMinutes& m) {
    auto& d = *impl_;
    d.require_writable();
    sqlite::Transaction tx(d.db);
    {
        sqlite::StmtScope scope(*d.delete_minutes);
        d.delete_minutes->bind(1, sleeper).bind(2, m.night).run("replacing the minutes of the night " + m.night);
    }
    const std::size_t n = std::min(m.minutes.size(), MAX_NIGHT_MINUTES);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& x = m.minutes[i];
        auto& s = *d.insert_minute;
        sqlite::StmtScope scope(s);
        const char state[2] = {static_cast<char>(x.state), 0};
        s.bind(1, sleeper)
            .bind(2, m.night)
            .bind(3, static_cast<std::int64_t>(i))
            .bind(4, m.first_minute_ts + 60.0 * static_cast<double>(i))
            .bind(5, x.movement_s)
            .bind(6, x.peak)
            .bind(7, state);
        s.run("saving the minutes of the night " + m.night);
    }
    tx.commit();
}

std::optional<NightMinutes> SqliteHistory::night_minutes(const std::string& sleeper, const std::string& night) const {
    auto& s = *impl_->select_minutes;
    sqlite::StmtScope scope(s);
    s.bind(1, sleeper).bind(2, night);
    NightMinutes out;
    out.night = night;
    while (s.step("reading the minutes of the night " + night)) {
        const std::int64_t idx = s.col_int(0);
        // Rows are written densely from 0; a gap or a foreign index means the file was edited.
        if (idx != static_cast<std::int64_t>(out.minutes.size()) || out.minutes.size() >= MAX_NIGHT_MINUTES)
            impl_->corrupt("the minutes of the night " + night + " are not numbered 0, 1, 2, ... (minute " +
                           std::to_string(idx) + ")");
        if (idx == 0) out.first_minute_ts = s.col_double(1);
        MinuteSample x;
        x.movement_s = s.col_double(2);
        x.peak = s.col_double(3);
        const std::string st = s.col_text(4);
        if (st == "S")
            x.state = score::State::sleep;
        else if (st == "W")
            x.state = score::State::wake;
        else if (st == "?")
            x.state = score::State::missing;
        else
            impl_->corrupt("a minute of the night " + night + " has an unknown state '" + st + "'");
        out.minutes.push_back(x);
    }
    if (out.minutes.empty()) return std::nullopt;
    return out;
}

std::vector<std::string> SqliteHistory::sleepers() const {
    auto& s = *impl_->select_sleepers;
    sqlite::StmtScope scope(s);
    std::vector<std::string> out;
    while (s.step("listing sleepers")) out.push_back(s.col_text(0));
    return out;
}

std::size_t SqliteHistory::prune_events(UnixS now, double older_than_days) {
    auto& d = *impl_;
    d.require_writable();
    if (!(older_than_days > 0) || !std::isfinite(now)) return 0;
    auto& s = *d.prune;
    sqlite::StmtScope scope(s);
    s.bind(1, now - older_than_days * 86400.0);
    s.run("deleting old movement events");
    return static_cast<std::size_t>(sqlite3_changes64(d.db.get()));
}

int SqliteHistory::schema_version() const { return impl_->version; }

const std::string& SqliteHistory::path() const { return impl_->db.path(); }

}  // namespace hypnic
