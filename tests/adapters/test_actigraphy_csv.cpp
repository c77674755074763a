// The actigraphy CSV reader: well-formed variants it must accept and hostile input it must reject.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "adapters/actigraphy_csv.hpp"

using namespace hypnic::adapters;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

/// The message of the CsvError that parsing `text` throws ("" if none).
std::string error_of(const std::string& text, const ActigraphyCsvOptions& o = {}) {
    try {
        parse_actigraphy_csv(text, "in.csv", o);
    } catch (const CsvError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("parse_csv handles quotes, escaped quotes, quoted newlines, CRLF and a BOM") {
    const auto recs = parse_csv("\xEF\xBB\xBF" "a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,\"two\nlines\",3\r\n\r\n4,5,\n", "x");
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].fields == std::vector<std::string>{"a", "b,c", "say \"hi\""});
    CHECK(recs[1].fields == std::vector<std::string>{"1", "two\nlines", "3"});
    CHECK(recs[1].line == 2);
    CHECK(recs[2].line == 5);  // the quoted newline and the blank line both count
    CHECK(recs[2].fields == std::vector<std::string>{"4", "5", ""});
    CHECK(recs[2].cols == std::vector<std::size_t>{1, 3, 5});
}

TEST_CASE("parse_csv rejects unterminated quotes, text after a quote and stray quotes") {
    CHECK_THROWS_WITH(parse_csv("a,\"b\n1,2\n", "f.csv"), StartsWith("f.csv:1:3: quoted field is never closed"));
    CHECK_THROWS_WITH(parse_csv("a,\"b\"c\n", "f.csv"), StartsWith("f.csv:1:6: text after the closing quote"));
    CHECK_THROWS_WITH(parse_csv("a,b\"c\n", "f.csv"), StartsWith("f.csv:1:4: a quote inside an unquoted field"));
    CHECK_THROWS_WITH(parse_csv("a,b\rc\n", "f.csv"), Contains("lone carriage return"));
}

TEST_CASE("reads ISO timestamps and axis1 by default, inferring the epoch") {
    const auto s = parse_actigraphy_csv(
        "timestamp,axis1,axis2\n2012-06-27T10:54:00Z,10,3\n2012-06-27T10:55:00Z,0,0\n2012-06-27T10:56:00Z,NA,1\n",
        "in.csv");
    CHECK(s.column == "axis1");
    CHECK(s.epoch_s == 60);
    REQUIRE(s.counts.size() == 3);
    CHECK(*s.counts[0] == 10);
    CHECK(*s.counts[1] == 0);
    CHECK_FALSE(s.counts[2].has_value());
    CHECK(s.timestamps[1] == "2012-06-27T10:55:00Z");
    CHECK(s.lines == std::vector<std::size_t>{2, 3, 4});
}

TEST_CASE("reads Actiware's DD/MM/YYYY timestamps and its count column, quoted header, CRLF, BOM") {
    const std::string text =
        "\xEF\xBB\xBF" "\"timestamp\",\"Actiwatch activity counts\",\"Actiware classification\"\r\n"
        "13/01/2000 23:59:30,NA,NA\r\n13/01/2000 23:59:45,,NA\r\n14/01/2000 00:00:00,12,0\r\n";
    const auto s = parse_actigraphy_csv(text, "in.csv");
    CHECK(s.column == "Actiwatch activity counts");
    CHECK(s.epoch_s == 15);
    CHECK(s.style == TimestampStyle::day_month_year);
    REQUIRE(s.counts.size() == 3);
    CHECK_FALSE(s.counts[0].has_value());
    CHECK_FALSE(s.counts[1].has_value());
    CHECK(*s.counts[2] == 12);
    CHECK(s.t_ms[2] - s.t_ms[1] == 15'000);
}

TEST_CASE("the default count column is the first of axis1, count, activity, Actiwatch activity counts") {
    CHECK(parse_actigraphy_csv("timestamp,activity,count\n2000-01-01 00:00:00,1,2\n2000-01-01 00:01:00,1,2\n", "f")
              .column == "count");
    CHECK(parse_actigraphy_csv("Timestamp , Activity\n2000-01-01 00:00,1\n2000-01-01 00:01,1\n", "f").column ==
          " Activity");
    ActigraphyCsvOptions o;
    o.column = "steps";
    const auto s = parse_actigraphy_csv("timestamp,axis1,steps\n2000-01-01T00:00:00Z,1,7\n2000-01-01T00:01:00Z,1,8\n", "f", o);
    CHECK(*s.counts[1] == 8);
}

TEST_CASE("epochs the file skips become missing epochs with generated timestamps") {
    const auto s = parse_actigraphy_csv(
        "timestamp,count\n01/01/2000 23:59:30,1\n01/01/2000 23:59:45,2\n02/01/2000 00:00:30,3\n", "f");
    REQUIRE(s.counts.size() == 5);
    CHECK_FALSE(s.counts[2].has_value());
    CHECK_FALSE(s.counts[3].has_value());
    CHECK(s.timestamps[2] == "02/01/2000 00:00:00");
    CHECK(s.timestamps[3] == "02/01/2000 00:00:15");
    CHECK(s.lines[2] == 0);
    CHECK(*s.counts[4] == 3);
}

TEST_CASE("the --epoch-s option overrides inference and must fit the timestamps") {
    ActigraphyCsvOptions o;
    o.epoch_s = 30;
    const auto s = parse_actigraphy_csv("timestamp,count\n2000-01-01T00:00:00Z,1\n2000-01-01T00:01:00Z,2\n", "f", o);
    CHECK(s.epoch_s == 30);
    CHECK(s.counts.size() == 3);
    o.epoch_s = 45;
    CHECK_THAT(error_of("timestamp,count\n2000-01-01T00:00:00Z,1\n2000-01-01T00:01:00Z,2\n", o),
               StartsWith("in.csv:3:1: timestamp '2000-01-01T00:01:00Z' is 60") && Contains("not a whole number"));
    o.epoch_s = -1;
    CHECK_THAT(error_of("timestamp,count\n2000-01-01T00:00:00Z,1\n", o), Contains("epoch length must be"));
    // One row is fine when the epoch is given.
    o.epoch_s = 60;
    CHECK(parse_actigraphy_csv("timestamp,count\n2000-01-01T00:00:00Z,1\n", "f", o).counts.size() == 1);
}

TEST_CASE("timestamps with zones and fractions") {
    TimestampStyle st{};
    CHECK(parse_timestamp_ms("1970-01-01T00:00:00Z", &st) == 0);
    CHECK(st == TimestampStyle::iso8601);
    CHECK(parse_timestamp_ms("1970-01-01T01:00:00+01:00") == 0);
    CHECK(parse_timestamp_ms("1970-01-01 00:00:01.250") == 1250);
    CHECK(parse_timestamp_ms("2012-06-27T10:54:00Z") == 1340794440000);
    CHECK(parse_timestamp_ms("1/1/2000 0:00", &st) == 946684800000);
    CHECK(st == TimestampStyle::day_month_year);
    CHECK(format_timestamp(1340794440000, TimestampStyle::iso8601) == "2012-06-27T10:54:00Z");
    CHECK(format_timestamp(1340794440250, TimestampStyle::iso8601) == "2012-06-27T10:54:00.250Z");
    CHECK(format_timestamp(946684800000, TimestampStyle::day_month_year) == "01/01/2000 00:00:00");
    for (const char* bad : {"", "2012-06-27", "2012-13-01T00:00:00Z", "2012-02-30T00:00:00Z", "2012-06-27T24:00:00Z",
                            "2012-06-27T10:54:00Zjunk", "31/02/2000 00:00:00", "12/31/2000 00:00:00", "yesterday",
                            "2000-01-01T00:00:00+25:00", "2000-01-01T00:00:00.Z"})
        CHECK_FALSE(parse_timestamp_ms(bad).has_value());
}

TEST_CASE("hostile: empty file, header only, missing columns") {
    CHECK_THAT(error_of(""), StartsWith("in.csv: empty file"));
    CHECK_THAT(error_of("\n\n"), StartsWith("in.csv: empty file"));
    CHECK_THAT(error_of("timestamp,axis1\n"), StartsWith("in.csv:1: no data rows"));
    CHECK_THAT(error_of("time,axis1\n2000-01-01T00:00:00Z,1\n"),
               StartsWith("in.csv:1: header has no 'timestamp' column") && Contains("'time'"));
    CHECK_THAT(error_of("timestamp,axis2\n2000-01-01T00:00:00Z,1\n"),
               StartsWith("in.csv:1: header has none of the count columns") && Contains("--column"));
    ActigraphyCsvOptions o;
    o.column = "lux";
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:00:00Z,1\n", o), StartsWith("in.csv:1: header has no column 'lux'"));
    o.column = "timestamp";
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:00:00Z,1\n", o), Contains("cannot be the timestamp column"));
}

TEST_CASE("hostile: ragged rows") {
    CHECK_THAT(error_of("timestamp,axis1,axis2\n2000-01-01T00:00:00Z,1,2\n2000-01-01T00:01:00Z,1\n"),
               StartsWith("in.csv:3: row has 2 fields, the header has 3"));
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:00:00Z,1,9\n"), StartsWith("in.csv:2: row has 3 fields"));
}

TEST_CASE("hostile: counts that are not finite non-negative numbers of sane size") {
    const std::string head = "timestamp,axis1\n2000-01-01T00:00:00Z,1\n2000-01-01T00:01:00Z,";
    CHECK_THAT(error_of(head + "abc\n"), StartsWith("in.csv:3:22: count 'abc' is not a number"));
    CHECK_THAT(error_of(head + "12x\n"), StartsWith("in.csv:3:22: count '12x' is not a number"));
    CHECK_THAT(error_of(head + "-3\n"), StartsWith("in.csv:3:22: count '-3' is negative"));
    CHECK_THAT(error_of(head + "NaN\n"), StartsWith("in.csv:3:22: count 'NaN' is not a finite number"));
    CHECK_THAT(error_of(head + "inf\n"), StartsWith("in.csv:3:22: count 'inf' is not a finite number"));
    CHECK_THAT(error_of(head + "1e400\n"), StartsWith("in.csv:3:22: count '1e400' is out of range"));
    CHECK_THAT(error_of(head + "2e9\n"), StartsWith("in.csv:3:22: count '2e9' is implausibly large"));
    CHECK_THAT(error_of(head + std::string(5000, '9') + "\n"), Contains("...' is out of range"));
    // Blanks around a number are fine; NA and empty are missing.
    CHECK(*parse_actigraphy_csv(head + " 7 \n", "f").counts[1] == 7);
    CHECK(error_of(head + "NA\n").empty());
    CHECK(error_of(head + "\n").empty());
}

TEST_CASE("hostile: unsorted, repeated and unreadable timestamps") {
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:01:00Z,1\n2000-01-01T00:00:00Z,1\n"),
               StartsWith("in.csv:3:1: timestamp '2000-01-01T00:00:00Z' is not after the previous row's (line 2)"));
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:01:00Z,1\n2000-01-01T00:01:00Z,1\n"), Contains("is not after"));
    CHECK_THAT(error_of("axis1,timestamp\n1,2000-01-01T00:01:00Z\n1,soon\n"),
               StartsWith("in.csv:3:3: timestamp 'soon' is not a date and time"));
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:00:00Z,1\n"), Contains("cannot be inferred; give --epoch-s"));
    CHECK_THAT(error_of("timestamp,axis1\n2000-01-01T00:00:00Z,1\n2000-01-01T00:00:10Z,1\n2000-01-01T00:00:25Z,1\n"),
               StartsWith("in.csv:4:1:") && Contains("not a whole number of 10"));
    // A gap of decades with 1-s epochs would be billions of epochs: refused, not allocated.
    CHECK_THAT(error_of("timestamp,axis1\n1970-01-01T00:00:00Z,1\n1970-01-01T00:00:01Z,1\n2090-01-01T00:00:00Z,1\n"),
               StartsWith("in.csv:4:1: gap before this row"));
}

TEST_CASE("hostile: binary data") {
    const std::string bin("timestamp,axis1\n\x00\x01\x02\xff", 20);
    CHECK_THAT(error_of(bin), StartsWith("in.csv:2:1: control byte 0x00: this is binary data"));
    CHECK_THAT(error_of("\x7f" "ELF\x02\x01\x01"), Contains("control byte 0x02"));
}

TEST_CASE("read_actigraphy_csv names a file it cannot open") {
    CHECK_THROWS_WITH(read_actigraphy_csv("/nonexistent/night.csv"),
                      "/nonexistent/night.csv: cannot open the file for reading");
}

TEST_CASE("combine_epochs sums whole multiples only") {
    const auto s = parse_actigraphy_csv(
        "timestamp,axis1\n2000-01-01T00:00:00Z,1\n2000-01-01T00:00:30Z,2\n2000-01-01T00:01:00Z,4\n", "f");
    const auto m = combine_epochs(s, 60);
    REQUIRE(m.counts.size() == 2);
    CHECK(*m.counts[0] == 3);
    CHECK(*m.counts[1] == 4);
    CHECK(m.timestamps[1] == "2000-01-01T00:01:00Z");
    CHECK(m.epoch_s == 60);
    CHECK_THROWS_AS(combine_epochs(s, 45), std::invalid_argument);
    CHECK_THROWS_AS(combine_epochs(s, 15), std::invalid_argument);
}

TEST_CASE("hostile: mangled files either parse into a consistent series or fail with a placed CsvError") {
    const std::string good =
        "timestamp,\"Actiwatch activity counts\",Actiware classification\r\n"
        "01/01/2000 01:17:00,NA,NA\r\n01/01/2000 01:17:15,12,0\r\n01/01/2000 01:17:30,\"7\",1\r\n"
        "01/01/2000 01:17:45,0,0\r\n01/01/2000 01:18:30,3,0\r\n";
    const std::string alphabet = std::string(",\"\r\n0123456789:/ .-eNA", 22) + std::string(1, '\0') + "\xff";
    // A fixed linear congruential sequence: the same mutations on every run and machine.
    std::uint64_t state = 12345;
    auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::size_t>(state >> 33);
    };
    std::size_t parsed = 0, rejected = 0;
    for (int trial = 0; trial < 1500; ++trial) {
        std::string text = good;
        const std::size_t edits = 1 + next() % 4;
        for (std::size_t e = 0; e < edits; ++e) {
            const std::size_t at = next() % (text.size() + 1);
            switch (next() % 3) {
                case 0: text.insert(at, 1, alphabet[next() % alphabet.size()]); break;
                case 1: if (at < text.size()) text.erase(at, 1); break;
                default: if (at < text.size()) text[at] = alphabet[next() % alphabet.size()]; break;
            }
        }
        try {
            const auto s = parse_actigraphy_csv(text, "m.csv");
            ++parsed;
            bool consistent = s.counts.size() == s.t_ms.size() && s.timestamps.size() == s.t_ms.size() &&
                              s.lines.size() == s.t_ms.size() && s.epoch_s > 0;
            const auto epoch_ms = static_cast<std::int64_t>(std::llround(s.epoch_s * 1000));
            for (std::size_t i = 1; consistent && i < s.t_ms.size(); ++i)
                consistent = s.t_ms[i] - s.t_ms[i - 1] == epoch_ms;
            for (const auto& c : s.counts)
                if (c && !(*c >= 0 && *c <= MAX_COUNT)) consistent = false;
            INFO("mutated input: " << text);
            REQUIRE(consistent);
        } catch (const CsvError& e) {
            ++rejected;
            REQUIRE_THAT(std::string(e.what()), StartsWith("m.csv"));
        }
    }
    // Both outcomes really occur, so the loop exercises the reader's accept and reject paths.
    CHECK(parsed > 50);
    CHECK(rejected > 50);
}
