// Journal: encoding, hostile-safe decoding, segment files (one write(2) per record) and the committing History.
#include "adapters/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hypnic {

namespace {

constexpr std::string_view RECORD_MAGIC = "HJR1";
constexpr std::size_t RECORD_HEADER_BYTES = 12;              // length, CRC, magic
constexpr std::size_t BODY_FIXED_BYTES = 8 + 8 + 1 + 4;      // seq, arrival, flags, topic length
constexpr std::string_view SEGMENT_PREFIX = "journal-";
constexpr std::string_view SEGMENT_SUFFIX = ".hjl";

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::uint32_t get_u32(std::string_view b, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
    return v;
}
std::uint64_t get_u64(std::string_view b, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
    return v;
}

/// zlib's CRC-32 (IEEE 802.3), fed in chunks its `uInt` length can hold.
std::uint32_t crc32(std::string_view bytes) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
    for (std::size_t left = bytes.size(); left > 0;) {
        const uInt n = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
        crc = ::crc32(crc, p, n);
        p += n;
        left -= n;
    }
    return static_cast<std::uint32_t>(crc);
}

/// Appends the encoded record to `out` (reused buffer: no allocation per message once warm).
void encode_into(std::string& out, std::uint64_t seq, UnixS arrival, bool retained, std::string_view topic,
                 std::string_view payload) {
    const std::size_t body = BODY_FIXED_BYTES + topic.size() + payload.size();
    const std::size_t start = out.size();
    out.append(RECORD_HEADER_BYTES, '\0');
    put_u64(out, seq);
    std::uint64_t bits = 0;
    static_assert(sizeof bits == sizeof arrival);
    std::memcpy(&bits, &arrival, sizeof bits);
    put_u64(out, bits);
    out.push_back(retained ? 1 : 0);
    put_u32(out, static_cast<std::uint32_t>(topic.size()));
    out.append(topic);
    out.append(payload);
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(body));
    put_u32(header, crc32(std::string_view(out).substr(start + RECORD_HEADER_BYTES)));
    header.append(RECORD_MAGIC);
    out.replace(start, RECORD_HEADER_BYTES, header);
}

std::string segment_name(std::uint64_t first) {
    std::string digits = std::to_string(first);
    return std::string(SEGMENT_PREFIX) + std::string(20 - std::min<std::size_t>(20, digits.size()), '0') + digits +
           std::string(SEGMENT_SUFFIX);
}

/// The first sequence number in a segment file name, or nullopt for any other file.
std::optional<std::uint64_t> segment_first(const std::string& name) {
    if (name.size() != SEGMENT_PREFIX.size() + 20 + SEGMENT_SUFFIX.size()) return std::nullopt;
    if (name.compare(0, SEGMENT_PREFIX.size(), SEGMENT_PREFIX) != 0) return std::nullopt;
    if (name.compare(name.size() - SEGMENT_SUFFIX.size(), SEGMENT_SUFFIX.size(), SEGMENT_SUFFIX) != 0) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = SEGMENT_PREFIX.size(); i < SEGMENT_PREFIX.size() + 20; ++i) {
        if (name[i] < '0' || name[i] > '9') return std::nullopt;
        const std::uint64_t digit = static_cast<std::uint64_t>(name[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

bool write_all(int fd, const char* data, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

}  // namespace

std::uint32_t journal_crc32(std::string_view bytes) { return crc32(bytes); }

std::string encode_journal_record(const JournalRecord& r) {
    std::string out;
    encode_into(out, r.seq, r.arrival, r.retained, r.topic, r.payload);
    return out;
}

JournalScan decode_journal_segment(std::string_view bytes, const std::string& where) {
    JournalScan scan;
    const auto damaged = [&](std::size_t at, const std::string& why) {
        scan.damage = where + ", byte " + std::to_string(at) + ": " + why;
    };
    if (bytes.size() < JOURNAL_SEGMENT_MAGIC.size()) {
        if (!bytes.empty()) damaged(0, "a torn segment header (" + std::to_string(bytes.size()) + " bytes)");
        return scan;
    }
    if (bytes.substr(0, JOURNAL_SEGMENT_MAGIC.size()) != JOURNAL_SEGMENT_MAGIC) {
        damaged(0, "not a hypnic journal segment (wrong magic)");
        return scan;
    }
    std::size_t at = JOURNAL_SEGMENT_MAGIC.size();
    scan.intact_bytes = at;
    while (at < bytes.size()) {
        const std::size_t left = bytes.size() - at;
        if (left < RECORD_HEADER_BYTES) {
            damaged(at, "a torn record header (" + std::to_string(left) + " of 12 bytes): the write was cut short");
            break;
        }
        const std::uint32_t len = get_u32(bytes, at);
        const std::uint32_t crc = get_u32(bytes, at + 4);
        if (bytes.substr(at + 8, 4) != RECORD_MAGIC) {
            damaged(at, "no record magic: garbage in the file");
            break;
        }
        if (len > JOURNAL_MAX_RECORD_BYTES || len < BODY_FIXED_BYTES) {
            damaged(at, "a record length of " + std::to_string(len) + " bytes is outside " +
                            std::to_string(BODY_FIXED_BYTES) + ".." + std::to_string(JOURNAL_MAX_RECORD_BYTES));
            break;
        }
        if (len > left - RECORD_HEADER_BYTES) {
            damaged(at, "a torn record (" + std::to_string(left - RECORD_HEADER_BYTES) + " of " + std::to_string(len) +
                            " bytes): the write was cut short");
            break;
        }
        const std::string_view body = bytes.substr(at + RECORD_HEADER_BYTES, len);
        if (crc32(body) != crc) {
            damaged(at, "the record's CRC does not match its bytes");
            break;
        }
        const std::uint32_t topic_len = get_u32(body, 17);
        if (topic_len > len - BODY_FIXED_BYTES) {
            damaged(at, "a topic length of " + std::to_string(topic_len) + " bytes exceeds the record");
            break;
        }
        JournalRecord r;
        r.seq = get_u64(body, 0);
        const std::uint64_t bits = get_u64(body, 8);
        std::memcpy(&r.arrival, &bits, sizeof bits);
        r.retained = (static_cast<unsigned char>(body[16]) & 1) != 0;
        r.topic.assign(body.substr(BODY_FIXED_BYTES, topic_len));
        r.payload.assign(body.substr(BODY_FIXED_BYTES + topic_len));
        scan.records.push_back(std::move(r));
        at += RECORD_HEADER_BYTES + len;
        scan.intact_bytes = at;
    }
    return scan;
}

// ---------------------------------------------------------------------------------------------

Journal::Journal(std::string dir, bool fsync, Log log) : dir_(std::move(dir)), fsync_(fsync), log_(std::move(log)) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec || !std::filesystem::is_directory(dir_))
        throw std::runtime_error("journal directory '" + dir_ + "': cannot create it (" +
                                 (ec ? ec.message() : std::string("not a directory")) + ")");
}

Journal::~Journal() {
    std::lock_guard lock(mutex_);
    close_locked();
}

std::vector<JournalRecord> Journal::recover(std::uint64_t applied_seq) {
    std::vector<std::pair<std::uint64_t, std::string>> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        const std::string name = entry.path().filename().string();
        if (auto first = segment_first(name)) found.emplace_back(*first, entry.path().string());
    }
    if (ec) throw std::runtime_error("journal directory '" + dir_ + "': cannot list it (" + ec.message() + ")");
    std::sort(found.begin(), found.end());

    std::vector<JournalRecord> out;
    std::uint64_t highest = applied_seq;
    std::lock_guard lock(mutex_);
    segments_.clear();
    for (const auto& [first, path] : found) {
        Segment seg{path, first, 0};
        for (auto& r : read_segment(path)) {
            seg.last = std::max(seg.last, r.seq);
            if (r.seq <= highest) continue;  // covered by the checkpoint, or out of order (damage)
            highest = r.seq;
            out.push_back(std::move(r));
        }
        segments_.push_back(std::move(seg));
    }
    next_seq_ = highest + 1;
    open_segment_locked(next_seq_);
    return out;
}

std::vector<JournalRecord> Journal::read_segment(const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) {
        if (log_) log_("journal: cannot read '" + path + "'; its records are skipped");
        return {};
    }
    const std::string bytes = ss.str();
    JournalScan scan = decode_journal_segment(bytes, path);
    if (scan.damage && log_)
        log_("journal: " + *scan.damage + "; skipping the " + std::to_string(bytes.size() - scan.intact_bytes) +
             " byte(s) after the last intact record");
    return std::move(scan.records);
}

std::vector<JournalRecord> Journal::read_between(std::uint64_t after, std::uint64_t before) const {
    std::vector<std::string> paths;
    {
        std::lock_guard lock(mutex_);
        for (const auto& s : segments_)
            if (s.first < before && (s.last == 0 || s.last > after)) paths.push_back(s.path);
    }
    // Records before `before` were completely written before `before` was handed out (the same
    // lock orders them), so reading while paho's thread appends sees them whole.
    std::vector<JournalRecord> out;
    for (const auto& p : paths)
        for (auto& r : read_segment(p))
            if (r.seq > after && r.seq < before && (out.empty() || r.seq > out.back().seq)) out.push_back(std::move(r));
    return out;
}

void Journal::open_segment_locked(std::uint64_t first) {
    close_locked();
    const std::string path = dir_ + "/" + segment_name(first);
    // A file of that name holds nothing newer than `first` - 1 (it was made empty, or damaged):
    // start it afresh rather than append after a damaged tail.
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    segments_.erase(std::remove_if(segments_.begin(), segments_.end(), [&](const Segment& s) { return s.path == path; }),
                    segments_.end());
    if (fd_ < 0) {
        ++failures_;
        if (log_) log_("journal: cannot create '" + path + "' (" + std::strerror(errno) + "): messages are not journaled");
        return;
    }
    segment_bytes_ = JOURNAL_SEGMENT_MAGIC.size();
    if (!write_all(fd_, JOURNAL_SEGMENT_MAGIC.data(), JOURNAL_SEGMENT_MAGIC.size())) {
        ++failures_;
        if (log_) log_("journal: cannot write '" + path + "' (" + std::strerror(errno) + ")");
    }
    segments_.push_back(Segment{path, first, 0});
}

void Journal::close_locked() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::uint64_t Journal::append(std::string_view topic, std::string_view payload, bool retained, UnixS arrival) {
    std::lock_guard lock(mutex_);
    const std::uint64_t seq = next_seq_++;
    if (fd_ < 0) return seq;
    buffer_.clear();
    encode_into(buffer_, seq, arrival, retained, topic, payload);
    // One write(2) per record on an O_APPEND descriptor: once it returns the bytes are in the
    // kernel, which a kill of the process cannot take back.
    bool ok = write_all(fd_, buffer_.data(), buffer_.size());
    if (ok && fsync_) ok = ::fdatasync(fd_) == 0;
    if (ok) {
        segments_.back().last = seq;
        unapplied_bytes_ += buffer_.size();
        segment_bytes_ += buffer_.size();
    } else {
        const int err = errno;
        const auto n = ++failures_;
        if (log_ && (n & (n - 1)) == 0)
            log_("journal: writing record " + std::to_string(seq) + " to '" + segments_.back().path + "' failed (" +
                 std::strerror(err) + "); " + std::to_string(n) + " failure(s) so far");
        // Part of the record may be in the file: cut it off, so that later records do not sit
        // behind a torn one (which ends the reading of a segment).
        if (::ftruncate(fd_, static_cast<off_t>(segment_bytes_)) != 0) open_segment_locked(next_seq_);
    }
    return seq;
}

void Journal::applied_through(std::uint64_t seq) {
    std::vector<std::string> remove;
    {
        std::lock_guard lock(mutex_);
        if (segments_.empty()) return;
        unapplied_bytes_ = 0;
        // Only a segment that holds records is closed; an empty one simply stays current.
        if (segments_.back().last != 0) open_segment_locked(next_seq_);
        const std::size_t current = segments_.size() - 1;
        std::vector<Segment> keep;
        for (std::size_t i = 0; i < segments_.size(); ++i) {
            const Segment& s = segments_[i];
            // Closed segments whose records all lie at or before `seq` are covered by the checkpoint.
            const bool covered = i != current && s.last <= seq;
            if (covered)
                remove.push_back(s.path);
            else
                keep.push_back(s);
        }
        segments_ = std::move(keep);
    }
    for (const auto& p : remove) {
        std::error_code ec;
        std::filesystem::remove(p, ec);
        if (ec && log_) log_("journal: cannot remove '" + p + "' (" + ec.message() + ")");
    }
}

std::vector<std::string> Journal::segments() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& s : segments_) out.push_back(s.path);
    return out;
}

std::uint64_t Journal::bytes_unapplied() const {
    std::lock_guard lock(mutex_);
    return unapplied_bytes_;
}

std::uint64_t Journal::write_failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

const std::string& Journal::dir() const { return dir_; }

// ---------------------------------------------------------------------------------------------

JournaledHistory::JournaledHistory(SqliteHistory& store) : store_(store) {}

void JournaledHistory::save_night(const std::string& sleeper, const NightSummary& night) { store_.save_night(sleeper, night); }

std::vector<NightSummary> JournaledHistory::recent_nights(const std::string& sleeper, std::size_t n) const {
    return store_.recent_nights(sleeper, n);
}

void JournaledHistory::save_event(const std::string& sleeper, const MovementEvent& e) {
    if (replaying_) {
        // Stored before the crash from the very records now replayed: the same bits again.
        for (const auto& old : store_.events_between(sleeper, e.start, std::nextafter(e.start, INFINITY))) {
            if (old.type == e.type && old.start == e.start && old.end == e.end && old.duration_s == e.duration_s &&
                old.peak_g == e.peak_g && old.phase == e.phase && old.onset_window == e.onset_window &&
                old.count == e.count && old.gravity_shift == e.gravity_shift) {
                ++skipped_;
                return;
            }
        }
    }
    store_.save_event(sleeper, e);
}

void JournaledHistory::save_factor(const std::string& sleeper, const FactorLog& log) {
    if (replaying_) {
        for (const auto& old : store_.factors_between(sleeper, log.t, std::nextafter(log.t, INFINITY))) {
            if (old.factor == log.factor && old.amount == log.amount && old.note == log.note && old.source == log.source) {
                ++skipped_;
                return;
            }
        }
    }
    store_.save_factor(sleeper, log);
}

std::vector<FactorLog> JournaledHistory::factors_between(const std::string& sleeper, UnixS from, UnixS to) const {
    return store_.factors_between(sleeper, from, to);
}

void JournaledHistory::put_state(const std::string& key, const std::string& blob) { held_[key] = blob; }

std::optional<std::string> JournaledHistory::get_state(const std::string& key) const {
    if (auto it = held_.find(key); it != held_.end()) return it->second;
    return store_.get_state(key);
}

void JournaledHistory::save_minutes(const std::string& sleeper, const NightMinutes& minutes) {
    store_.save_minutes(sleeper, minutes);
}

std::optional<NightMinutes> JournaledHistory::night_minutes(const std::string& sleeper, const std::string& night) const {
    return store_.night_minutes(sleeper, night);
}

bool JournaledHistory::dirty() const { return !held_.empty(); }

void JournaledHistory::commit(std::uint64_t applied_seq) {
    std::vector<std::pair<std::string, std::string>> blobs(held_.begin(), held_.end());
    blobs.emplace_back(JOURNAL_APPLIED_KEY, std::to_string(applied_seq));
    store_.put_states(blobs);
    held_.clear();
}

std::uint64_t JournaledHistory::applied_seq() const {
    const auto blob = store_.get_state(JOURNAL_APPLIED_KEY);
    // A damaged value replays the whole journal: replaying too much is harmless, too little loses data.
    if (!blob || blob->empty() || blob->size() > 19) return 0;
    std::uint64_t v = 0;
    for (char c : *blob) {
        if (c < '0' || c > '9') return 0;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

void JournaledHistory::set_replaying(bool on) { replaying_ = on; }

std::uint64_t JournaledHistory::skipped_duplicates() const { return skipped_; }

}  // namespace hypnic
