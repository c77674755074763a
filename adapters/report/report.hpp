// The night report: pure functions from stored nights, minutes, events and advice to SVG and HTML text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::report {

/// How many closed nights the trend chart shows at most.
inline constexpr std::size_t TREND_NIGHTS = 28;

/// Everything one night's chart shows.
struct NightData {
    std::string sleeper;
    NightSummary summary;                ///< for an open night only in_bed/lights_out/sleep_onset may be set
    std::optional<NightMinutes> minutes; ///< nullopt: no stored envelope (the chart falls back to the events)
    std::vector<MovementEvent> events;   ///< the night's movement events, any order
    double onset_window_after_min = 5;   ///< the onset window runs from lights-out to this after sleep onset
    bool open = false;                   ///< the night is still going on (live view)
    /// Open nights known to the running core: the phase transitions so far, sorted by time (the
    /// last phase lasts until `until`). Empty: the bands follow the summary's instants.
    std::vector<std::pair<UnixS, Phase>> phases;
    std::optional<Phase> phase_now;      ///< open nights: the phase at `until`, when known
    UnixS until = 0;                     ///< open nights: the chart ends here ("now"); ignored otherwise
};

/// A whole report page.
struct ReportData {
    std::string sleeper;
    std::vector<NightData> nights;       ///< the nights charted, oldest first (one per section)
    std::vector<NightSummary> trend;     ///< recent closed nights for the trend, oldest first (last 28 used)
    std::optional<Advice> advice;        ///< nullopt: "no advice yet"
    UnixS generated = 0;                 ///< when the page was made
    /// Non-empty: a live page. The page polls this URL (relative, e.g. "api/night.json") every
    /// `refresh_s` seconds and reloads itself when the JSON's "version" changes.
    std::string poll_url;
    double refresh_s = 30;
    std::string version;                 ///< the version this page shows (live pages)
    /// Non-empty: emitted as <base href="..."> so that relative URLs resolve below it (Home Assistant
    /// ingress, where the page may be opened without its trailing '/'). Only [A-Za-z0-9_./-] is kept.
    std::string base_href;
};

/// Escapes &, <, >, " and ' for XML/HTML text and attribute values; invalid UTF-8 becomes U+FFFD.
std::string escape_xml(std::string_view s);

/// The night chart as one standalone <svg> element (xmlns set, so it is also a valid .svg file).
/// Element ids start with `id_prefix` (e.g. "n0-") so that several charts can share a page:
/// <prefix>envelope, <prefix>events, <prefix>lights-out, <prefix>sleep-onset, <prefix>onset-window,
/// <prefix>phases, <prefix>states. Every event is one element of class "mark <type>" (plus
/// "onset" inside the onset window) with a <title> telling its time, duration and peak.
std::string night_svg(const NightData& night, const Zone& zone, std::string_view id_prefix = "");

/// The trend chart of onset twitches over the last TREND_NIGHTS nights (oldest left): one bar per
/// night (class "bar", plus "heavy" for twitch-heavy nights, id "trend-bar-<date>"), the latest
/// baseline threshold as a dashed line (id "trend-threshold"), and a marker per evening factor
/// under its night (class "factor <factor>", plus "late" when inside its critical window).
std::string trend_svg(const std::vector<NightSummary>& nights, const Zone& zone);

/// The whole self-contained HTML page: inline CSS and SVG, no external resource, no script unless
/// `poll_url` is set. Every URL in it is relative.
std::string report_html(const ReportData& data, const Zone& zone);

/// The live page's poll answer: {"version":"...","phase":"...","generated":"..."}.
std::string poll_json(const std::string& version, std::string_view phase, UnixS generated, const Zone& zone);

}  // namespace hypnic::report
