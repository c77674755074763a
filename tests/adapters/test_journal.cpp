// Tests of the write-ahead journal: round trips, rotation after a checkpoint, hostile segments, and the committing History.
#include <catch2/catch.hpp>

#include <boost/crc.hpp>

#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/journal.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "tests/adapters/test_store_util.hpp"

using namespace hypnic;
using hypnic::test::read_bytes;
using hypnic::test::TempDir;
using hypnic::test::write_bytes;

namespace {

struct Logged {
    std::vector<std::string> lines;
    Journal::Log sink() {
        return [this](const std::string& l) { lines.push_back(l); };
    }
    bool contains(const std::string& part) const {
        for (const auto& l : lines)
            if (l.find(part) != std::string::npos) return true;
        return false;
    }
};

JournalRecord record(std::uint64_t seq, std::string topic, std::string payload, double arrival = 1.7e9 + 0.125,
                     bool retained = false) {
    return JournalRecord{seq, arrival, retained, std::move(topic), std::move(payload)};
}

std::string segment_of(const std::vector<JournalRecord>& records) {
    std::string bytes(JOURNAL_SEGMENT_MAGIC);
    for (const auto& r : records) bytes += encode_journal_record(r);
    return bytes;
}

}  // namespace

TEST_CASE("journal: records round-trip bit for bit, binary payloads and NaN times included", "[journal]") {
    std::string binary("\0\x01\xff{\"t0\":", 9);
    const std::vector<JournalRecord> in = {record(1, "bed/alex/accel", R"({"t0":1,"hz":10,"xyz":[[0,0,1]]})"),
                                           record(2, "hypnic/alex/set/winddown", "ON", -0.0, true),
                                           record(3, "x", binary, std::nextafter(1.7e9, 2e9)), record(4, "", "")};
    const auto scan = decode_journal_segment(segment_of(in), "seg");
    REQUIRE_FALSE(scan.damage);
    REQUIRE(scan.records.size() == in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        CHECK(scan.records[i].seq == in[i].seq);
        CHECK(std::memcmp(&scan.records[i].arrival, &in[i].arrival, sizeof(double)) == 0);
        CHECK(scan.records[i].retained == in[i].retained);
        CHECK(scan.records[i].topic == in[i].topic);
        CHECK(scan.records[i].payload == in[i].payload);
    }
}

TEST_CASE("journal: the CRC-32 is the IEEE one, for every length and alignment", "[journal]") {
    CHECK(journal_crc32("123456789") == 0xCBF43926u);
    CHECK(journal_crc32("") == 0u);
    std::mt19937 rng(32);
    std::string bytes(300, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    for (std::size_t from = 0; from < 9; ++from)
        for (std::size_t len = 0; from + len <= bytes.size(); len += 7) {
            boost::crc_32_type reference;
            reference.process_bytes(bytes.data() + from, len);
            REQUIRE(journal_crc32(std::string_view(bytes).substr(from, len)) == reference.checksum());
        }
}

TEST_CASE("journal: a torn last record is skipped and named, the records before it are kept", "[journal][hostile]") {
    const std::string whole = segment_of({record(1, "a", "first"), record(2, "b", "second payload")});
    const std::size_t first_end = JOURNAL_SEGMENT_MAGIC.size() + encode_journal_record(record(1, "a", "first")).size();
    // Every cut inside the second record (kill -9 in the middle of its write) keeps the first one.
    for (std::size_t cut = first_end + 1; cut < whole.size(); ++cut) {
        const auto scan = decode_journal_segment(std::string_view(whole).substr(0, cut), "seg");
        INFO("cut at " << cut);
        REQUIRE(scan.records.size() == 1);
        CHECK(scan.records[0].payload == "first");
        REQUIRE(scan.damage);
        CHECK(scan.damage->find("seg, byte " + std::to_string(first_end)) == 0);
        CHECK(scan.damage->find("cut short") != std::string::npos);
        CHECK(scan.intact_bytes == first_end);
    }
}

TEST_CASE("journal: garbage, a flipped bit, a huge length and a foreign file stop the reading cleanly", "[journal][hostile]") {
    const std::string good = segment_of({record(1, "a", "one"), record(2, "b", "two")});
    const std::size_t second = JOURNAL_SEGMENT_MAGIC.size() + encode_journal_record(record(1, "a", "one")).size();

    SECTION("garbage after the records") {
        const auto scan = decode_journal_segment(good + std::string(40, '\x7f'), "seg");
        CHECK(scan.records.size() == 2);
        REQUIRE(scan.damage);
        CHECK(scan.damage->find("garbage") != std::string::npos);
    }
    SECTION("a flipped bit in the second record's payload") {
        std::string bad = good;
        bad[bad.size() - 1] ^= 0x10;
        const auto scan = decode_journal_segment(bad, "seg");
        CHECK(scan.records.size() == 1);
        REQUIRE(scan.damage);
        CHECK(scan.damage->find("CRC") != std::string::npos);
    }
    SECTION("a huge length") {
        std::string bad = good;
        for (int i = 0; i < 4; ++i) bad[second + static_cast<std::size_t>(i)] = '\xff';
        const auto scan = decode_journal_segment(bad, "seg");
        CHECK(scan.records.size() == 1);
        REQUIRE(scan.damage);
        CHECK(scan.damage->find("4294967295") != std::string::npos);
    }
    SECTION("a length too short for a record") {
        std::string bad = good;
        bad[second] = 3;
        bad[second + 1] = bad[second + 2] = bad[second + 3] = 0;
        const auto scan = decode_journal_segment(bad, "seg");
        CHECK(scan.records.size() == 1);
        REQUIRE(scan.damage);
    }
    SECTION("a topic length beyond the record (with a matching CRC)") {
        JournalRecord r = record(3, "abc", "");
        std::string enc = encode_journal_record(r);
        // Rewrite the topic length to 1000 and fix up the CRC so that only the length is wrong.
        enc[12 + 17] = static_cast<char>(0xE8);
        enc[12 + 18] = 0x03;
        boost::crc_32_type crc;
        crc.process_bytes(enc.data() + 12, enc.size() - 12);
        const std::uint32_t c = crc.checksum();
        for (int i = 0; i < 4; ++i) enc[4 + static_cast<std::size_t>(i)] = static_cast<char>((c >> (8 * i)) & 0xFF);
        const auto scan = decode_journal_segment(std::string(JOURNAL_SEGMENT_MAGIC) + enc, "seg");
        CHECK(scan.records.empty());
        REQUIRE(scan.damage);
        CHECK(scan.damage->find("topic length") != std::string::npos);
    }
    SECTION("a file that is no journal, or a torn segment header") {
        CHECK(decode_journal_segment("SQLite format 3\0", "seg").damage->find("wrong magic") != std::string::npos);
        CHECK(decode_journal_segment("HYP", "seg").damage->find("torn segment header") != std::string::npos);
        CHECK_FALSE(decode_journal_segment("", "seg").damage);
    }
    SECTION("random bytes never crash the reader") {
        std::mt19937 rng(8);
        for (int round = 0; round < 2000; ++round) {
            std::string bytes = good;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
            bytes.resize(rng() % (bytes.size() + 1));
            const auto scan = decode_journal_segment(bytes, "seg");
            CHECK(scan.records.size() <= 2);
            CHECK(scan.intact_bytes <= bytes.size());
        }
    }
}

TEST_CASE("journal: append, recover after the applied position, rotate and drop covered segments", "[journal]") {
    TempDir tmp;
    const std::string dir = tmp.file("journal");
    Logged log;
    {
        Journal j(dir, false, log.sink());
        CHECK(j.recover(0).empty());
        CHECK(j.append("t/1", "p1", false, 10.5) == 1);
        CHECK(j.append("t/2", "p2", true, 11.5) == 2);
        j.applied_through(1);  // record 2 is not yet covered: its segment stays
        CHECK(j.segments().size() == 2);
        CHECK(j.append("t/3", "p3", false, 12.5) == 3);
        // Killed here: nothing is closed or flushed by hand.
    }
    {
        Journal j(dir, false, log.sink());
        const auto recs = j.recover(1);
        REQUIRE(recs.size() == 2);
        CHECK(recs[0].seq == 2);
        CHECK(recs[0].retained);
        CHECK(recs[0].arrival == 11.5);
        CHECK(recs[1].seq == 3);
        CHECK(recs[1].payload == "p3");
        // Numbering carries on after the highest sequence seen.
        CHECK(j.append("t/4", "p4", false, 13.5) == 4);
        j.applied_through(4);
        const auto left = j.segments();
        REQUIRE(left.size() == 1);  // only the fresh, empty segment
        CHECK(decode_journal_segment(read_bytes(left[0]), left[0]).records.empty());
        std::size_t files = 0;
        for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
        CHECK(files == 1);
    }
    {
        Journal j(dir, false, log.sink());
        CHECK(j.recover(4).empty());
        CHECK(j.append("t/5", "p5", false, 14.5) == 5);
    }
    CHECK(log.lines.empty());
}

TEST_CASE("journal: records whose handling was cut short are read back by sequence", "[journal]") {
    TempDir tmp;
    Logged log;
    Journal j(tmp.file("journal"), false, log.sink());
    j.recover(0);
    for (int i = 1; i <= 5; ++i) j.append("t", "p" + std::to_string(i), false, i);
    j.applied_through(2);  // a checkpoint covering 1..2; 3..5 stay in the closed segment
    j.append("t", "p6", false, 6);
    const auto between = j.read_between(2, 6);
    REQUIRE(between.size() == 3);
    CHECK(between.front().payload == "p3");
    CHECK(between.back().seq == 5);
    CHECK(j.read_between(5, 7).size() == 1);
    CHECK(j.read_between(6, 7).empty());
    CHECK(log.lines.empty());
}

TEST_CASE("journal: a damaged tail on disk is logged and skipped; the next segment starts clean", "[journal][hostile]") {
    TempDir tmp;
    const std::string dir = tmp.file("journal");
    Logged log;
    {
        Journal j(dir, true, log.sink());
        j.recover(0);
        j.append("a", "1", false, 1);
        j.append("b", "2", false, 2);
        REQUIRE(j.segments().size() == 1);
        // A kill in the middle of the next write leaves part of a record behind.
        const std::string torn = encode_journal_record(record(3, "c", "three")).substr(0, 9);
        std::ofstream(j.segments()[0], std::ios::binary | std::ios::app) << torn;
    }
    // A stray file of another kind in the directory is ignored.
    write_bytes(dir + "/notes.txt", "not a segment");
    write_bytes(dir + "/journal-0000000000000000000x.hjl", "bad name");
    Journal j(dir, false, log.sink());
    const auto recs = j.recover(0);
    REQUIRE(recs.size() == 2);
    CHECK(recs[1].payload == "2");
    CHECK(log.contains("cut short"));
    CHECK(log.contains("skipping the 9 byte(s)"));
    CHECK(j.append("c", "3 again", false, 3) == 3);
    j.applied_through(3);
    CHECK(j.segments().size() == 1);
}

TEST_CASE("journal: a write that fails half way (file size limit) is cut off; later records stay readable",
          "[journal][hostile]") {
    TempDir tmp;
    Logged log;
    const std::string dir = tmp.file("journal");
    Journal j(dir, false, log.sink());
    j.recover(0);
    const std::string payload(1000, 'p');
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // a failed write, not a killed process
    rlimit small = old;
    small.rlim_cur = 2500;  // room for two records, and half of a third
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    for (int i = 0; i < 3; ++i) j.append("t", payload, false, i);
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    CHECK(j.write_failures() == 1);
    CHECK(log.contains("writing record 3"));
    CHECK(j.append("t", "after", false, 4) == 4);
    const std::string seg = j.segments().back();
    const auto scan = decode_journal_segment(read_bytes(seg), seg);
    CHECK_FALSE(scan.damage);
    REQUIRE(scan.records.size() == 3);
    CHECK(scan.records[2].seq == 4);
    CHECK(scan.records[2].payload == "after");
}

TEST_CASE("journal: a directory that cannot be made is a clear error", "[journal][hostile]") {
    TempDir tmp;
    write_bytes(tmp.file("file"), "x");
    CHECK_THROWS_WITH(Journal(tmp.file("file") + "/journal", false, {}), Catch::Contains("cannot create"));
}

TEST_CASE("journaled history: state is held until commit, which stores the journal position with it", "[journal]") {
    TempDir tmp;
    SqliteHistory db(tmp.file("h.db"));
    JournaledHistory h(db);
    CHECK(h.applied_seq() == 0);
    h.put_state("night/alex", "in progress");
    CHECK(h.dirty());
    CHECK(h.get_state("night/alex") == std::optional<std::string>("in progress"));
    CHECK_FALSE(db.get_state("night/alex"));  // not yet stored: a crash now keeps the old checkpoint
    h.commit(42);
    CHECK_FALSE(h.dirty());
    CHECK(db.get_state("night/alex") == std::optional<std::string>("in progress"));
    CHECK(h.applied_seq() == 42);
    db.put_state(JOURNAL_APPLIED_KEY, "12x");
    CHECK(h.applied_seq() == 0);  // damaged: replay everything rather than too little
}

TEST_CASE("journaled history: while replaying, events and factor logs stored before the crash are not stored twice",
          "[journal]") {
    TempDir tmp;
    SqliteHistory db(tmp.file("h.db"));
    JournaledHistory h(db);
    MovementEvent e;
    e.type = MovementType::twitch;
    e.start = 1.7e9 + 0.3;
    e.end = e.start + 0.4;
    e.duration_s = 0.4;
    e.peak_g = 0.12;
    e.count = 1;
    FactorLog f;
    f.t = 1.7e9;
    f.factor = Factor::caffeine;
    f.amount = 1;
    f.source = "mqtt";
    h.save_event("alex", e);
    h.save_factor("alex", f);
    h.set_replaying(true);
    h.save_event("alex", e);
    h.save_factor("alex", f);
    MovementEvent other = e;
    other.peak_g = 0.13;  // a different event at the same instant is kept
    h.save_event("alex", other);
    h.set_replaying(false);
    CHECK(h.skipped_duplicates() == 2);
    CHECK(db.events_between("alex", 0, 2e9).size() == 2);
    CHECK(db.factors_between("alex", 0, 2e9).size() == 1);
    // Outside a replay nothing is second-guessed.
    h.save_factor("alex", f);
    CHECK(db.factors_between("alex", 0, 2e9).size() == 2);
}
