// Golden and hostile-input tests of the history export (CSV with RFC 4180 quoting, JSON Lines).
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <sstream>

#include "adapters/store/export.hpp"
#include "adapters/tz.hpp"
#include "tests/adapters/test_store_util.hpp"

using namespace hypnic;
using hypnic::test::TempDir;

namespace {

// 2026-11-25 in a zone one hour east of UTC.
constexpr double IN_BED = 1795642200.0;       // 22:30:00+01:00
constexpr double CAFFEINE_AT = 1795623300.0;  // 17:15:00+01:00
const FixedZone PLUS_ONE(3600, "+01:00");

/// Two sleepers: alex with a full night, two events and two factor logs; sam with a bare night.
void fill(SqliteHistory& h) {
    NightSummary n;
    n.night = "2026-11-25";
    n.in_bed = IN_BED;
    n.lights_out = IN_BED + 600.5;
    n.sleep_onset = IN_BED + 1470;
    n.onset_latency_min = 14.5;
    n.onset_twitches = 7;
    n.twitches = 23;
    n.twitch_index = 2.5;
    n.limb_movements = 41;
    n.plm_series = 2;
    n.plm_index = 5.25;
    n.plm_periodicity = 0.7;
    n.large_movements = 9;
    n.twitch_heavy = true;
    n.heavy_reason = "7 onset twitches, above 5.5";
    n.baseline = {14, 3.5, 1.5, 2.25, 0.75, 5.5};
    FactorSummary caffeine;
    caffeine.factor = Factor::caffeine;
    caffeine.count = 2;
    caffeine.amount = 180;
    caffeine.last = CAFFEINE_AT;
    caffeine.hours_before_bed = 5.25;
    caffeine.late = true;
    FactorSummary stress;
    stress.factor = Factor::stress;
    stress.count = 1;
    stress.amount = 6;
    n.factors = {caffeine, stress};
    n.sensor_resolution = "raw 50 Hz accel";
    n.coverage = 0.98;
    n.asleep_h = 7.25;
    h.save_night("alex", n);

    NightSummary bare;
    bare.night = "2026-11-24";
    bare.twitch_index = std::numeric_limits<double>::quiet_NaN();
    bare.heavy_reason = "said \"restless\"";
    bare.sensor_resolution = "coarse vibration (≤1/min)";
    h.save_night("sam", bare);

    MovementEvent twitch;
    twitch.start = 1795643401.25;
    twitch.duration_s = 0.21;
    twitch.peak_g = 0.083;
    twitch.phase = Phase::settling;
    twitch.onset_window = true;
    MovementEvent plm;
    plm.type = MovementType::plm_series;
    plm.start = 1795645800.0;
    plm.duration_s = 147.25;
    plm.peak_g = 0.4;
    plm.phase = Phase::asleep;
    plm.count = 6;
    plm.end = 1795645947.25;
    h.save_events("alex", {plm, twitch});

    h.save_factor("alex", FactorLog{CAFFEINE_AT, Factor::caffeine, 90, "double \"espresso\", oat\nmilk", "log"});
    h.save_factor("alex", FactorLog{IN_BED - 5400, Factor::stress, 6, "", "sensor/hrv"});
}

std::string run(const SqliteHistory& h, ExportWhat what, ExportFormat format, ExportTime time,
                const std::string& sleeper = "", const Zone& zone = PLUS_ONE) {
    std::ostringstream out;
    ExportQuery q;
    q.what = what;
    q.format = format;
    q.time = time;
    q.sleeper = sleeper;
    write_export(h, q, zone, out);
    return out.str();
}

/// A strict RFC 4180 reader, to prove that the CSV reads back into the original fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false, in_quotes = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                in_quotes = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            REQUIRE(field.empty());  // quotes only around a whole field
            quoted = in_quotes = true;
        } else if (c == ',' || c == '\n') {
            rows.back().push_back(field);
            field.clear();
            quoted = false;
            if (c == '\n') rows.emplace_back();
        } else {
            REQUIRE_FALSE(quoted);  // nothing after a closing quote but a separator
            field += c;
        }
    }
    REQUIRE_FALSE(in_quotes);
    REQUIRE(rows.back().empty());  // the last line ends with a newline
    rows.pop_back();
    return rows;
}

}  // namespace

TEST_CASE("export: nights as CSV (golden)", "[store][export]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    fill(h);
    const std::string expected =
        "sleeper,night,in_bed,lights_out,sleep_onset,out_of_bed,onset_latency_min,onset_twitches,twitches,"
        "twitch_index,limb_movements,plm_series,plm_index,plm_periodicity,large_movements,twitch_heavy,heavy_reason,"
        "baseline_nights,baseline_onset_twitches_median,baseline_onset_twitches_mad,baseline_twitch_index_median,"
        "baseline_twitch_index_mad,baseline_threshold,sensor_resolution,coverage,asleep_h,"
        "caffeine_count,caffeine_amount,caffeine_last,caffeine_hours_before_bed,caffeine_late,"
        "exercise_count,exercise_amount,exercise_last,exercise_hours_before_bed,exercise_late,"
        "stress_count,stress_amount,stress_last,stress_hours_before_bed,stress_late,"
        "magnesium_count,magnesium_amount,magnesium_last,magnesium_hours_before_bed,magnesium_late,"
        "discomfort_count,discomfort_amount,discomfort_last,discomfort_hours_before_bed,discomfort_late\n"
        "alex,2026-11-25,2026-11-25T22:30:00.000+01:00,2026-11-25T22:40:00.500+01:00,2026-11-25T22:54:30.000+01:00,,"
        "14.5,7,23,2.5,41,2,5.25,0.7,9,true,\"7 onset twitches, above 5.5\",14,3.5,1.5,2.25,0.75,5.5,"
        "raw 50 Hz accel,0.98,7.25,2,180,2026-11-25T17:15:00.000+01:00,5.25,true,,,,,,1,6,,,false,,,,,,,,,,\n"
        "sam,2026-11-24,,,,,,0,0,,0,0,0,0,0,false,\"said \"\"restless\"\"\",0,0,0,0,0,0,"
        "coarse vibration (≤1/min),0,0,,,,,,,,,,,,,,,,,,,,,,,,,\n";
    const std::string got = run(h, ExportWhat::nights, ExportFormat::csv, ExportTime::iso);
    CHECK(got == expected);
    const auto rows = parse_csv(got);
    REQUIRE(rows.size() == 3);
    for (const auto& r : rows) CHECK(r.size() == rows[0].size());
    CHECK(rows[2][16] == "said \"restless\"");
}

TEST_CASE("export: nights as JSON Lines (golden)", "[store][export]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    fill(h);
    const std::string expected =
        R"({"sleeper":"alex","night":"2026-11-25","in_bed":"2026-11-25T22:30:00.000+01:00",)"
        R"("lights_out":"2026-11-25T22:40:00.500+01:00","sleep_onset":"2026-11-25T22:54:30.000+01:00",)"
        R"("out_of_bed":null,"onset_latency_min":14.5,"onset_twitches":7,"twitches":23,"twitch_index":2.5,)"
        R"("limb_movements":41,"plm_series":2,"plm_index":5.25,"plm_periodicity":0.7,"large_movements":9,)"
        R"("twitch_heavy":true,"heavy_reason":"7 onset twitches, above 5.5","baseline":{"nights":14,)"
        R"("onset_twitches_median":3.5,"onset_twitches_mad":1.5,"twitch_index_median":2.25,"twitch_index_mad":0.75,)"
        R"("threshold":5.5},"factors":[{"factor":"caffeine","count":2,"amount":180,)"
        R"("last":"2026-11-25T17:15:00.000+01:00","hours_before_bed":5.25,"late":true},)"
        R"({"factor":"stress","count":1,"amount":6,"last":null,"hours_before_bed":null,"late":false}],)"
        R"("sensor_resolution":"raw 50 Hz accel","coverage":0.98,"asleep_h":7.25})"
        "\n"
        R"({"sleeper":"sam","night":"2026-11-24","in_bed":null,"lights_out":null,"sleep_onset":null,)"
        R"("out_of_bed":null,"onset_latency_min":null,"onset_twitches":0,"twitches":0,"twitch_index":null,)"
        R"("limb_movements":0,"plm_series":0,"plm_index":0,"plm_periodicity":0,"large_movements":0,)"
        R"("twitch_heavy":false,"heavy_reason":"said \"restless\"","baseline":{"nights":0,)"
        R"("onset_twitches_median":0,"onset_twitches_mad":0,"twitch_index_median":0,"twitch_index_mad":0,)"
        R"j("threshold":0},"factors":[],"sensor_resolution":"coarse vibration (≤1/min)","coverage":0,"asleep_h":0})j"
        "\n";
    CHECK(run(h, ExportWhat::nights, ExportFormat::json, ExportTime::iso) == expected);
}

TEST_CASE("export: events as CSV with Unix seconds and as JSON Lines (golden)", "[store][export]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    fill(h);
    CHECK(run(h, ExportWhat::events, ExportFormat::csv, ExportTime::unix_s) ==
          "sleeper,type,start,duration_s,peak,phase,onset_window,count,end,gravity_shift\n"
          "alex,twitch,1795643401.25,0.21,0.083,settling,true,,,false\n"
          "alex,plm_series,1795645800,147.25,0.4,asleep,false,6,1795645947.25,false\n");
    CHECK(run(h, ExportWhat::events, ExportFormat::json, ExportTime::iso) ==
          R"({"sleeper":"alex","type":"twitch","start":"2026-11-25T22:50:01.250+01:00","duration_s":0.21,)"
          R"("peak":0.083,"phase":"settling","onset_window":true,"count":null,"end":null,"gravity_shift":false})"
          "\n"
          R"({"sleeper":"alex","type":"plm_series","start":"2026-11-25T23:30:00.000+01:00","duration_s":147.25,)"
          R"("peak":0.4,"phase":"asleep","onset_window":false,"count":6,"end":"2026-11-25T23:32:27.250+01:00",)"
          R"("gravity_shift":false})"
          "\n");
}

TEST_CASE("export: factor logs as CSV and JSON Lines (golden), notes read back intact", "[store][export]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    fill(h);
    const std::string csv = run(h, ExportWhat::factors, ExportFormat::csv, ExportTime::iso);
    CHECK(csv ==
          "sleeper,t,factor,amount,note,source\n"
          "alex,2026-11-25T17:15:00.000+01:00,caffeine,90,\"double \"\"espresso\"\", oat\nmilk\",log\n"
          "alex,2026-11-25T21:00:00.000+01:00,stress,6,,sensor/hrv\n");
    const auto rows = parse_csv(csv);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][4] == "double \"espresso\", oat\nmilk");
    CHECK(run(h, ExportWhat::factors, ExportFormat::json, ExportTime::unix_s) ==
          R"({"sleeper":"alex","t":1795623300,"factor":"caffeine","amount":90,)"
          R"("note":"double \"espresso\", oat\nmilk","source":"log"})"
          "\n"
          R"({"sleeper":"alex","t":1795636800,"factor":"stress","amount":6,"note":"","source":"sensor/hrv"})"
          "\n");
}

TEST_CASE("export: one sleeper, an empty store, and a daylight-saving zone", "[store][export]") {
    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    CHECK(run(h, ExportWhat::factors, ExportFormat::csv, ExportTime::iso) == "sleeper,t,factor,amount,note,source\n");
    CHECK(run(h, ExportWhat::nights, ExportFormat::json, ExportTime::iso).empty());
    fill(h);
    const std::string sam = run(h, ExportWhat::nights, ExportFormat::json, ExportTime::iso, "sam");
    CHECK(sam.rfind("{\"sleeper\":\"sam\"", 0) == 0);
    CHECK(std::count(sam.begin(), sam.end(), '\n') == 1);
    CHECK(run(h, ExportWhat::events, ExportFormat::json, ExportTime::iso, "nobody").empty());

    // Times carry the offset in force at each instant: winter +01:00, summer +02:00 in Berlin.
    h.save_factor("sam", FactorLog{1784966400.0, Factor::exercise, 30, "run", "log"});  // 2026-07-25T08:00Z
    const auto berlin = make_zone("Europe/Berlin");
    const std::string got = run(h, ExportWhat::factors, ExportFormat::csv, ExportTime::iso, "sam", *berlin);
    CHECK(got == "sleeper,t,factor,amount,note,source\nsam,2026-07-25T10:00:00.000+02:00,exercise,30,run,log\n");
}

TEST_CASE("export: hostile text is quoted (CSV) and escaped to valid JSON", "[store][export]") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("") == "");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("cr\rlf\n") == "\"cr\rlf\n\"");
    CHECK(csv_field(std::string("nul\0byte", 8)) == std::string("nul\0byte", 8));

    CHECK(json_string("a\"b\\c") == R"("a\"b\\c")");
    CHECK(json_string(std::string("\x01\x1f\n\t\0", 5)) == R"("\u0001\u001f\n\t\u0000")");
    CHECK(json_string("caf\xC3\xA9 \xF0\x9F\x98\xB4") == "\"caf\xC3\xA9 \xF0\x9F\x98\xB4\"");  // valid UTF-8 kept
    const std::string replacement = "\xEF\xBF\xBD";
    CHECK(json_string("\xFF") == "\"" + replacement + "\"");
    CHECK(json_string("\xC0\xAF") == "\"" + replacement + replacement + "\"");  // overlong '/'
    CHECK(json_string("\xED\xA0\x80") == "\"" + replacement + replacement + replacement + "\"");  // surrogate
    CHECK(json_string("\xE2\x82") == "\"" + replacement + replacement + "\"");  // cut short
    CHECK(json_string("\xF4\x90\x80\x80").find("\xF4") == std::string::npos);  // past U+10FFFF

    TempDir dir;
    SqliteHistory h(dir.file("hypnic.db"));
    std::string every_byte;
    for (int i = 1; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
    h.save_factor("alex", FactorLog{CAFFEINE_AT, Factor::caffeine, 1, every_byte, "log"});
    const auto rows = parse_csv(run(h, ExportWhat::factors, ExportFormat::csv, ExportTime::unix_s));
    REQUIRE(rows.size() == 2);
    CHECK(rows[1][4] == every_byte);  // CSV keeps the bytes as they are
    const std::string json = run(h, ExportWhat::factors, ExportFormat::json, ExportTime::unix_s);
    for (char c : json.substr(0, json.size() - 1)) CHECK(static_cast<unsigned char>(c) >= 0x20);
    CHECK(std::count(json.begin(), json.end(), '\n') == 1);
}
