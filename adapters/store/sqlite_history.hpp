// The durable History: nights, movement events, factor logs and state blobs in one SQLite file.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/store/sqlite_db.hpp"
#include "plugin/history.hpp"

namespace hypnic {

/// How the database file is opened.
enum class StoreMode {
    read_write,  ///< create the file (and its directory) when missing; upgrade an older schema
    read_only,   ///< the file must exist and have the current schema; nothing is ever written
};

/// History on SQLite (docs/storage.md). Every write is committed (WAL, synchronous=FULL) before
/// the call returns, so it survives a power cut. Several handles, also in several processes, may
/// have the same file open; one handle is used from one thread at a time.
///
/// Values: times are Unix seconds stored as 8-byte IEEE doubles, so every finite value round-trips
/// bit for bit. A NaN is stored as NULL and reads back as NaN (plain fields) or nullopt (optional
/// fields). Text is stored byte for byte, embedded NULs included.
///
/// Errors (unreadable, damaged, foreign or too new file; disk full; permissions) throw StoreError
/// naming the file and the reason. The file is never replaced or deleted because of an error.
class SqliteHistory final : public History {
public:
    /// The schema this build writes (`PRAGMA user_version`). Files with a higher version are refused.
    static constexpr int SCHEMA_VERSION = 3;
    /// How long a write waits for another handle's write before failing, ms.
    static constexpr int BUSY_TIMEOUT_MS = 5000;

    /// "<state_dir>/hypnic.db".
    static std::string default_path(const std::string& state_dir);

    /// Opens (read_write: creates or migrates) the database file at `path`. Throws StoreError.
    explicit SqliteHistory(const std::string& path, StoreMode mode = StoreMode::read_write);
    ~SqliteHistory() override;
    SqliteHistory(const SqliteHistory&) = delete;
    SqliteHistory& operator=(const SqliteHistory&) = delete;

    // History. save_night replaces the night of the same (sleeper, night date), factors included.
    void save_night(const std::string& sleeper, const NightSummary& night) override;
    std::vector<NightSummary> recent_nights(const std::string& sleeper, std::size_t n) const override;
    void save_event(const std::string& sleeper, const MovementEvent& event) override;
    void save_factor(const std::string& sleeper, const FactorLog& log) override;
    std::vector<FactorLog> factors_between(const std::string& sleeper, UnixS from, UnixS to) const override;
    void put_state(const std::string& key, const std::string& blob) override;
    std::optional<std::string> get_state(const std::string& key) const override;
    /// Replaces the series of (sleeper, night) in one transaction; an empty series deletes it.
    void save_minutes(const std::string& sleeper, const NightMinutes& minutes) override;
    std::optional<NightMinutes> night_minutes(const std::string& sleeper, const std::string& night) const override;

    /// Saves several state blobs in one transaction (all or none): a checkpoint that must not
    /// be half written.
    void put_states(const std::vector<std::pair<std::string, std::string>>& blobs);
    /// Saves many events in one transaction (all or none).
    void save_events(const std::string& sleeper, const std::vector<MovementEvent>& events);
    /// Events with from <= start < to, oldest first (ties in the order they were saved).
    std::vector<MovementEvent> events_between(const std::string& sleeper, UnixS from, UnixS to) const;
    /// Every sleeper id with any night, event or factor log, sorted.
    std::vector<std::string> sleepers() const;
    /// Deletes movement events that started more than `older_than_days` days before `now`; returns
    /// how many. Nights, factor logs and state are kept (docs/storage.md, "Retention").
    /// `older_than_days` <= 0 deletes nothing.
    std::size_t prune_events(UnixS now, double older_than_days);

    /// The schema version of the open file (== SCHEMA_VERSION once opened).
    int schema_version() const;
    const std::string& path() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hypnic
