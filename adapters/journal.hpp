// The write-ahead journal of received MQTT messages, and the History that commits state blobs together with its position.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/store/sqlite_history.hpp"
#include "plugin/history.hpp"
#include "plugin/types.hpp"

namespace hypnic {

/// One received message as the journal keeps it: everything `Pipeline::on_message` is given.
struct JournalRecord {
    std::uint64_t seq = 0;  ///< 1, 2, 3, ... for the life of the state directory; never reused
    UnixS arrival = 0;      ///< wall-clock time of arrival, Unix s: the `now` the message is processed at
    bool retained = false;  ///< the broker delivered it as a retained message
    std::string topic;
    std::string payload;
};

/// A record longer than this (body bytes) is taken for damage, not data: 64 MiB.
inline constexpr std::uint32_t JOURNAL_MAX_RECORD_BYTES = 64u << 20;

/// The bytes one record occupies in a segment (docs/reliability.md, "The journal"): a 12-byte
/// header — body length (u32), CRC-32 of the body (u32, IEEE), magic "HJR1" — then the body:
/// seq (u64), arrival (IEEE double), flags (u8, bit 0 = retained), topic length (u32), topic,
/// payload. Integers and the double are little-endian.
std::string encode_journal_record(const JournalRecord& r);

/// What reading one segment found.
struct JournalScan {
    std::vector<JournalRecord> records;  ///< every intact record before the first damage, in file order
    std::optional<std::string> damage;   ///< why reading stopped early: where (`where` and byte offset) and why
    std::size_t intact_bytes = 0;        ///< bytes up to the end of the last intact record (header included)
};

/// CRC-32 as zlib and Ethernet compute it (IEEE 802.3; "123456789" gives 0xCBF43926).
std::uint32_t journal_crc32(std::string_view bytes);

/// Decodes a segment's bytes (segment header included). Stops at the first record that is torn,
/// fails its CRC, has a wrong magic or an absurd length, and says so in `damage`; never throws.
JournalScan decode_journal_segment(std::string_view bytes, const std::string& where);

/// The magic that starts every segment file ("HYPNICJ1").
inline constexpr std::string_view JOURNAL_SEGMENT_MAGIC = "HYPNICJ1";

/// An append-only journal in `<dir>/journal-<first seq, 20 digits>.hjl` segment files.
///
/// Threading: append() may be called from any thread (paho's); everything else from the
/// daemon's thread. Every record is written with one write(2) on an O_APPEND descriptor before
/// append() returns, so a crash of the process (kill -9) loses nothing that append() returned;
/// with `fsync` each record is also fdatasync'ed, so a power cut loses nothing either.
class Journal {
public:
    /// Log sink (the adapters carry no logging library): warnings about damage and write errors.
    using Log = std::function<void(const std::string&)>;

    /// Creates `dir` when missing. Throws std::runtime_error naming the directory when it cannot.
    Journal(std::string dir, bool fsync, Log log);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    /// Reads every segment and returns the records with seq > `applied_seq`, in sequence order;
    /// damage is logged and the damaged tail skipped. Then opens a fresh segment for appending,
    /// numbered after the highest sequence seen (or `applied_seq`). Call once, before append().
    std::vector<JournalRecord> recover(std::uint64_t applied_seq);

    /// Appends one record and returns its sequence number. A failed write is logged (on powers of
    /// two of the failure count) and counted; the number is still returned, so that the message is
    /// processed — it is then only not journaled.
    std::uint64_t append(std::string_view topic, std::string_view payload, bool retained, UnixS arrival);

    /// Everything up to and including `seq` is in a committed checkpoint: start a new segment and
    /// delete the segments whose records all lie at or before `seq`.
    void applied_through(std::uint64_t seq);

    /// The records with `after` < seq < `before` that the segment files hold, in order: messages
    /// that were journaled but whose handling was cut short (a client replaced by a reload drops
    /// what it had not yet handed on). Damage is logged as in recover().
    std::vector<JournalRecord> read_between(std::uint64_t after, std::uint64_t before) const;

    /// The segment files present, oldest first (for tests and diagnostics).
    std::vector<std::string> segments() const;
    std::uint64_t write_failures() const;
    /// Bytes appended since the last applied_through() (or recover()): what a crash would replay.
    std::uint64_t bytes_unapplied() const;
    const std::string& dir() const;

private:
    struct Segment {
        std::string path;
        std::uint64_t first = 0;  ///< seq of the first record it may hold
        std::uint64_t last = 0;   ///< seq of the last record written to it (0: none)
    };
    void open_segment_locked(std::uint64_t first);
    /// Every intact record of the segment at `path`; damage is logged.
    std::vector<JournalRecord> read_segment(const std::string& path) const;
    void close_locked();

    std::string dir_;
    bool fsync_;
    Log log_;
    mutable std::mutex mutex_;
    int fd_ = -1;
    std::uint64_t next_seq_ = 1;
    std::uint64_t failures_ = 0;
    std::uint64_t unapplied_bytes_ = 0;
    std::uint64_t segment_bytes_ = 0;  // size of the open segment after its last whole record
    std::vector<Segment> segments_;  // the last one is open for appending
    std::string buffer_;             // reused encoding buffer (under mutex_)
};

/// The History key holding the last journal sequence a committed checkpoint covers (decimal).
inline constexpr const char* JOURNAL_APPLIED_KEY = "journal/applied_seq";

/// A History over SqliteHistory for the live daemon: state blobs are held back until commit(),
/// which writes them and the journal position in one SQLite transaction, so that the stored
/// state and the journal records still to replay always fit together. Reads see held blobs.
///
/// While `replaying` (the catch-up after a crash), save_event and save_factor skip an entry
/// identical to one already stored: the records being replayed may have produced it before the
/// crash. Nights and minutes are saved by replacement, so they need no such care.
class JournaledHistory final : public History {
public:
    explicit JournaledHistory(SqliteHistory& store);

    void save_night(const std::string& sleeper, const NightSummary& night) override;
    std::vector<NightSummary> recent_nights(const std::string& sleeper, std::size_t n) const override;
    void save_event(const std::string& sleeper, const MovementEvent& event) override;
    void save_factor(const std::string& sleeper, const FactorLog& log) override;
    std::vector<FactorLog> factors_between(const std::string& sleeper, UnixS from, UnixS to) const override;
    void put_state(const std::string& key, const std::string& blob) override;
    std::optional<std::string> get_state(const std::string& key) const override;
    void save_minutes(const std::string& sleeper, const NightMinutes& minutes) override;
    std::optional<NightMinutes> night_minutes(const std::string& sleeper, const std::string& night) const override;

    /// State blobs written since the last commit (the caller then checkpoints everything).
    bool dirty() const;
    /// Writes the held blobs and JOURNAL_APPLIED_KEY = `applied_seq` in one transaction. Throws
    /// StoreError (the blobs stay held, to be tried again).
    void commit(std::uint64_t applied_seq);
    /// The journal position of the last committed checkpoint (0: none).
    std::uint64_t applied_seq() const;
    void set_replaying(bool on);
    /// Events and factor logs skipped as already stored while replaying.
    std::uint64_t skipped_duplicates() const;

private:
    SqliteHistory& store_;
    std::map<std::string, std::string> held_;
    bool replaying_ = false;
    std::uint64_t skipped_ = 0;
};

}  // namespace hypnic
