// Tests of the night report renderer: structure of the night and trend charts, the page, hostile text.
#include <catch2/catch.hpp>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "adapters/report/report.hpp"

using namespace hypnic;
using namespace hypnic::report;

namespace {

constexpr double IN_BED = 1764104400.0;  // 2025-11-25T21:00:00Z

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
    return n;
}

/// Parses `svg` as XML (throws on anything not well-formed) and counts elements matching `pred`.
std::size_t count_elements(const std::string& svg,
                           const std::function<bool(const std::string&, const boost::property_tree::ptree&)>& pred) {
    std::istringstream in(svg);
    boost::property_tree::ptree tree;
    boost::property_tree::read_xml(in, tree);
    std::size_t n = 0;
    std::function<void(const boost::property_tree::ptree&)> walk = [&](const boost::property_tree::ptree& t) {
        for (const auto& [name, child] : t) {
            if (name != "<xmlattr>" && pred(name, child)) ++n;
            walk(child);
        }
    };
    walk(tree);
    return n;
}

std::string attr(const boost::property_tree::ptree& t, const std::string& name) {
    return t.get<std::string>("<xmlattr>." + name, "");
}

MovementEvent ev(MovementType type, double start, bool onset_window = false) {
    MovementEvent e;
    e.type = type;
    e.start = start;
    e.duration_s = type == MovementType::twitch ? 0.2 : 2.0;
    e.peak_g = 0.08;
    e.onset_window = onset_window;
    if (type == MovementType::plm_series) {
        e.end = start + 600;
        e.count = 12;
    }
    return e;
}

NightData sample_night() {
    NightData n;
    n.sleeper = "alex";
    n.summary.night = "2025-11-25";
    n.summary.in_bed = IN_BED;
    n.summary.lights_out = IN_BED + 900;
    n.summary.sleep_onset = IN_BED + 1800;
    n.summary.out_of_bed = IN_BED + 8 * 3600;
    n.summary.onset_latency_min = 15;
    n.summary.onset_twitches = 3;
    n.summary.twitches = 5;
    n.events = {ev(MovementType::twitch, IN_BED + 1700, true), ev(MovementType::twitch, IN_BED + 1750, true),
                ev(MovementType::twitch, IN_BED + 1900, true), ev(MovementType::twitch, IN_BED + 9000),
                ev(MovementType::twitch, IN_BED + 12000),     ev(MovementType::limb_movement, IN_BED + 300),
                ev(MovementType::limb_movement, IN_BED + 14000), ev(MovementType::large_movement, IN_BED + 20000),
                ev(MovementType::plm_series, IN_BED + 15000)};
    NightMinutes m;
    m.night = n.summary.night;
    m.first_minute_ts = IN_BED;
    for (int i = 0; i < 8 * 60; ++i) {
        MinuteSample s;
        s.state = i < 30 ? score::State::wake : (i < 200 ? score::State::sleep : (i < 205 ? score::State::wake : score::State::sleep));
        s.movement_s = i % 50 == 0 ? 3.0 : 0.0;
        m.minutes.push_back(s);
    }
    n.minutes = m;
    return n;
}

}  // namespace

TEST_CASE("report: the night chart is well-formed SVG with one mark per event, by class", "[report]") {
    const FixedZone utc;
    const NightData n = sample_night();
    const std::string svg = night_svg(n, utc, "n0-");
    auto marks_of = [&](const std::string& cls) {
        return count_elements(svg, [&](const std::string& name, const boost::property_tree::ptree& t) {
            const std::string c = " " + attr(t, "class") + " ";
            return name == "rect" && c.find(" mark ") != std::string::npos && c.find(" " + cls + " ") != std::string::npos;
        });
    };
    CHECK(marks_of("twitch") == 5);
    CHECK(marks_of("limb_movement") == 2);
    CHECK(marks_of("large_movement") == 1);
    CHECK(marks_of("plm_series") == 1);
    CHECK(marks_of("onset") == 3);
    for (const char* id : {"n0-chart", "n0-envelope", "n0-events", "n0-lights-out", "n0-sleep-onset",
                           "n0-onset-window", "n0-phases", "n0-states", "n0-axis"}) {
        INFO(id);
        CHECK(count(svg, std::string("id=\"") + id + "\"") == 1);
    }
    // States: wake, sleep, wake, sleep runs -> four rectangles; phases: awake, settling, asleep.
    CHECK(count_elements(svg, [](const std::string& name, const boost::property_tree::ptree& t) {
              return name == "rect" && attr(t, "class").rfind("state ", 0) == 0;
          }) == 4);
    CHECK(count(svg, "class=\"phase awake_in_bed\"") == 1);
    CHECK(count(svg, "class=\"phase settling\"") == 1);
    CHECK(count(svg, "class=\"phase asleep\"") == 1);
    // Hour labels in local time: 21:00 .. 05:00 in UTC, 22:00 .. 06:00 one hour east.
    CHECK(count(svg, ">21:00<") == 1);
    CHECK(count(svg, ">05:00<") == 1);
    const std::string east = night_svg(n, FixedZone(3600, "X"), "");
    CHECK(count(east, ">22:00<") == 1);
    CHECK(count(east, ">06:00<") == 1);
    CHECK(count(east, "lights out 22:15") == 1);
}

TEST_CASE("report: without stored minutes the envelope comes from the events and says so", "[report]") {
    const FixedZone utc;
    NightData n = sample_night();
    n.minutes.reset();
    const std::string svg = night_svg(n, utc);
    CHECK(count(svg, "(from the movement events)") == 1);
    CHECK(count(svg, "class=\"state ") == 0);
    CHECK(count(svg, "id=\"envelope\"") == 1);
    // A night with nothing at all still renders, and says there were no events.
    NightData empty;
    empty.summary.night = "2025-11-26";
    empty.until = IN_BED;
    const std::string bare = night_svg(empty, utc);
    CHECK_NOTHROW(count_elements(bare, [](const std::string&, const boost::property_tree::ptree&) { return true; }));
    CHECK(count(bare, "no movement events recorded") == 1);
    CHECK(count(bare, "id=\"lights-out\"") == 0);
}

TEST_CASE("report: the trend shows the last 28 nights, heavy ones and factors marked", "[report]") {
    const FixedZone utc;
    std::vector<NightSummary> nights;
    for (int i = 0; i < 31; ++i) {
        NightSummary s;
        char date[16];
        std::snprintf(date, sizeof date, "2025-10-%02d", i + 1);
        s.night = date;
        s.onset_twitches = i % 5;
        s.twitch_heavy = i % 7 == 0;
        s.baseline.threshold = 3.5;
        if (i % 4 == 0) {
            FactorSummary f;
            f.factor = Factor::caffeine;
            f.count = 1;
            f.late = i % 8 == 0;
            s.factors.push_back(f);
        }
        FactorSummary zero;  // a factor with no log that evening is not drawn
        zero.factor = Factor::stress;
        s.factors.push_back(zero);
        nights.push_back(s);
    }
    const std::string svg = trend_svg(nights, utc);
    const auto bars = count_elements(svg, [](const std::string& name, const boost::property_tree::ptree& t) {
        return name == "rect" && attr(t, "id").rfind("trend-bar-", 0) == 0;
    });
    CHECK(bars == TREND_NIGHTS);
    CHECK(count(svg, "id=\"trend-bar-2025-10-03\"") == 0);  // the 31 nights keep only the last 28
    CHECK(count(svg, "id=\"trend-bar-2025-10-04\"") == 1);
    CHECK(count(svg, "id=\"trend-bar-2025-10-31\"") == 1);
    // Heavy: i % 7 == 0 for i in 3..30 -> 7, 14, 21, 28.
    CHECK(count(svg, "class=\"bar heavy\"") == 4);
    // Caffeine: i % 4 == 0 for i in 3..30 -> 4, 8, ..., 28 (7 nights), late when i % 8 == 0 (8, 16, 24).
    CHECK(count(svg, "class=\"factor caffeine") == 7);
    CHECK(count(svg, "class=\"factor caffeine late\"") == 3);
    CHECK(count(svg, "class=\"factor stress") == 0);
    CHECK(count(svg, "id=\"trend-threshold\"") == 1);
    CHECK(count(trend_svg({}, utc), "no closed nights yet") == 1);
}

TEST_CASE("report: the page is self-contained, relative, and says when there is no advice", "[report]") {
    const FixedZone utc;
    ReportData d;
    d.sleeper = "alex";
    d.nights = {sample_night()};
    d.trend = {sample_night().summary};
    d.generated = IN_BED + 9 * 3600;
    const std::string html = report_html(d, utc);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(count(html, "<script") == 0);  // the static report needs no script
    CHECK(count(html, "http://") == 2);   // only the SVG namespaces
    CHECK(count(html, "https://") == 0);
    CHECK(count(html, "src=") == 0);
    CHECK(count(html, "href=") == 0);
    CHECK(count(html, "id=\"no-advice\"") == 1);
    CHECK(count(html, "id=\"night-2025-11-25\"") == 1);
    CHECK(count(html, "id=\"trend\"") == 1);
    CHECK(count(html, "not a medical device") == 1);

    Advice a;
    a.nights = 14;
    AdviceItem caffeine{"caffeine", 1, "Heavy nights followed late coffee.", {{"heavy_nights_after", std::int64_t{4}}, {"ratio", 2.5}}};
    AdviceItem routine{"routine", 2, "Keep a regular bedtime.", {}};
    a.items = {routine, caffeine};
    d.advice = a;
    const std::string with = report_html(d, utc);
    CHECK(count(with, "id=\"no-advice\"") == 0);
    CHECK(with.find("id=\"advice-caffeine\"") < with.find("id=\"advice-routine\""));  // by priority
    CHECK(count(with, "heavy_nights_after: 4") == 1);
    CHECK(count(with, "ratio: 2.5") == 1);
}

TEST_CASE("report: a live page polls a relative URL and carries its version", "[report]") {
    const FixedZone utc;
    ReportData d;
    d.poll_url = "api/night.json\"'<x>";  // anything unsafe is dropped before it reaches the script
    d.version = "v\"1";
    d.refresh_s = 15;
    const std::string html = report_html(d, utc);
    CHECK(count(html, "<script>") == 1);
    CHECK(count(html, "fetch('api/night.jsonx'") == 1);
    CHECK(count(html, "<link rel=\"icon\" href=\"data:,\">") == 1);  // no request for /favicon.ico
    CHECK(count(html, "setInterval(poll,15000)") == 1);
    CHECK(count(html, "data-version=\"v&quot;1\"") == 1);
    CHECK(count(html, "id=\"no-night\"") == 1);
    CHECK(poll_json("v1", "asleep", IN_BED, utc) ==
          "{\"version\":\"v1\",\"phase\":\"asleep\",\"generated\":\"2025-11-25T21:00:00.000+00:00\"}");
}

TEST_CASE("report: hostile text is escaped everywhere and invalid UTF-8 replaced", "[report]") {
    const FixedZone utc;
    CHECK(escape_xml("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    CHECK(escape_xml(std::string("a\x01" "b", 3)) == "a\xEF\xBF\xBD" "b");
    CHECK(escape_xml("\xC3\x28") == "\xEF\xBF\xBD(");
    CHECK(escape_xml("≤ ok") == "≤ ok");
    NightData n = sample_night();
    n.sleeper = "<script>alert(1)</script>";
    n.summary.night = "2025-11-25\"><svg onload=alert(1)>";
    n.summary.heavy_reason = "</table><script>";
    n.summary.twitch_heavy = true;
    ReportData d;
    d.sleeper = n.sleeper;
    d.nights = {n};
    d.trend = {n.summary};
    const std::string html = report_html(d, utc);
    CHECK(count(html, "<script") == 0);
    CHECK(count(html, "onload=alert") == count(html, "&quot;&gt;&lt;svg onload=alert"));
    // The charts stay well-formed XML with the hostile text inside.
    CHECK_NOTHROW(count_elements(night_svg(n, utc, "\"x"), [](const std::string&, const boost::property_tree::ptree&) {
        return true;
    }));
    CHECK_NOTHROW(count_elements(trend_svg(d.trend, utc), [](const std::string&, const boost::property_tree::ptree&) {
        return true;
    }));
    // Non-finite numbers never reach the SVG as "nan" or "inf".
    n.events.push_back(ev(MovementType::twitch, std::nan("")));
    n.minutes->minutes[3].movement_s = std::nan("");
    n.summary.onset_latency_min = std::numeric_limits<double>::infinity();
    const std::string svg = night_svg(n, utc);
    CHECK(count(svg, "nan") == 0);
    CHECK(count(svg, "inf") == 0);
}

TEST_CASE("report: an open night shows its phases so far, the onset, the open window and now", "[report]") {
    const FixedZone utc;
    NightData n = sample_night();
    n.open = true;
    n.until = IN_BED + 4 * 3600;  // 01:00
    n.summary.out_of_bed.reset();
    n.minutes->minutes.resize(4 * 60);
    // Transitions as the core found them, the last one lasting until now.
    n.phases = {{IN_BED, Phase::awake_in_bed}, {IN_BED + 900, Phase::settling}, {IN_BED + 1800, Phase::asleep},
                {IN_BED + 3 * 3600, Phase::out_of_bed}, {IN_BED + 3 * 3600 + 300, Phase::asleep}};
    n.phase_now = Phase::asleep;
    const std::string svg = night_svg(n, utc, "n0-");
    auto phase_rects = [&](const std::string& cls) {
        return count_elements(svg, [&](const std::string& name, const auto& t) {
            return name == "rect" && attr(t, "class") == "phase " + cls;
        });
    };
    CHECK(phase_rects("awake_in_bed") == 1);
    CHECK(phase_rects("settling") == 1);
    CHECK(phase_rects("asleep") == 2);  // before and after the trip out of bed
    CHECK(phase_rects("out_of_bed") == 1);
    CHECK(count(svg, "asleep 02:05–01:00") == 0);
    CHECK(count(svg, "asleep 00:05–01:00") == 1);  // the current phase runs up to now
    CHECK(count(svg, "id=\"n0-sleep-onset\"") == 1);
    CHECK(count(svg, "id=\"n0-lights-out\"") == 1);
    CHECK(count(svg, "id=\"n0-onset-window\"") == 1);
    CHECK(count(svg, "id=\"n0-now\"") == 1);
    CHECK(count(svg, "class=\"state S\"") >= 1);  // the decided minutes so far

    // Lights out, but no onset yet: the window is drawn open up to now.
    n.summary.sleep_onset.reset();
    n.phases.resize(2);
    n.phase_now = Phase::settling;
    const std::string open_svg = night_svg(n, utc, "n0-");
    CHECK(count(open_svg, "class=\"window open\"") == 1);
    CHECK(count(open_svg, "open until sleep onset") == 1);
    CHECK(count(open_svg, "id=\"n0-sleep-onset\"") == 0);

    ReportData d;
    d.nights = {n};
    d.poll_url = "api/night.json";
    const std::string html = report_html(d, utc);
    CHECK(count(html, "id=\"n0-phase-now\">settling since 21:15<") == 1);
    CHECK(count(html, "Tonight, 2025-11-25") == 1);
}
