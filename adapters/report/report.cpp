// Renders the night report (night chart, 28-night trend, advice) as self-contained SVG and HTML text.
#include "adapters/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "adapters/json_out.hpp"

namespace hypnic::report {

namespace {

// Night chart geometry, px. The plot spans [PLOT_L, PLOT_L + PLOT_W] horizontally.
constexpr double CHART_W = 960;
constexpr double PLOT_L = 70;
constexpr double PLOT_W = 870;
constexpr double PHASE_Y = 8, PHASE_H = 14;
constexpr double STATE_Y = 26, STATE_H = 8;
constexpr double ENV_Y = 44, ENV_H = 110;  // movement envelope area
constexpr double LANE_Y = 164, LANE_H = 16, LANE_GAP = 3;
constexpr double AXIS_Y = LANE_Y + 4 * (LANE_H + LANE_GAP) + 4;
constexpr double NIGHT_H = AXIS_Y + 26;

// Trend chart geometry, px.
constexpr double TREND_H = 236;
constexpr double BAR_TOP = 14, BAR_BOTTOM = 150;
constexpr double DAY_LABEL_Y = 164;
constexpr double FACTOR_Y0 = 178, FACTOR_DY = 11;

constexpr MovementType LANES[] = {MovementType::twitch, MovementType::limb_movement, MovementType::large_movement,
                                  MovementType::plm_series};

constexpr const char* CHART_CSS =
    ".bg{fill:#fbfbfd}.axis{stroke:#888;stroke-width:1}.tick{stroke:#ccc;stroke-width:1}"
    ".lbl{font:11px sans-serif;fill:#444}.lane-lbl{font:10px sans-serif;fill:#666}"
    ".phase.awake_in_bed{fill:#f4d9a6}.phase.settling{fill:#b9d3ee}.phase.asleep{fill:#5b6fa8}"
    ".phase.waking{fill:#e8a87c}.phase.out_of_bed{fill:#e4e4e4}.marker.now{stroke:#888}.state.S{fill:#3f51b5}.state.W{fill:#f5b041}.state.M{fill:#ddd}"
    ".envelope{fill:#9fb7d9;stroke:#4a6fa5;stroke-width:1}"
    ".mark.twitch{fill:#e67e22}.mark.limb_movement{fill:#2e86c1}.mark.large_movement{fill:#c0392b}"
    ".mark.plm_series{fill:#8e44ad;fill-opacity:.55}.mark.onset{stroke:#000;stroke-width:.8}"
    ".window{fill:#f1c40f;fill-opacity:.16}.marker{stroke-width:1.5;stroke-dasharray:4 3}"
    ".marker.lights{stroke:#555}.marker.onset-line{stroke:#1e8449}"
    ".bar{fill:#7f8fa6}.bar.heavy{fill:#d35400}.threshold{stroke:#c0392b;stroke-dasharray:5 4;stroke-width:1.2}"
    ".factor{fill:#fff;stroke-width:1.4}.factor.late{fill-opacity:1}"
    ".factor.caffeine{stroke:#6e2c00}.factor.caffeine.late{fill:#6e2c00}"
    ".factor.exercise{stroke:#117a65}.factor.exercise.late{fill:#117a65}"
    ".factor.stress{stroke:#922b21}.factor.stress.late{fill:#922b21}"
    ".factor.magnesium{stroke:#5b2c6f}.factor.magnesium.late{fill:#5b2c6f}"
    ".factor.discomfort{stroke:#7b7d7d}.factor.discomfort.late{fill:#7b7d7d}"
    ".none{font:13px sans-serif;fill:#777}";

std::string num(double v, int decimals = 1) {
    if (!std::isfinite(v)) return "0";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string two(int v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d", v);
    return buf;
}

/// "22:41" (or "22:41:03" with seconds) local time.
std::string clock(UnixS t, const Zone& zone, bool seconds = false) {
    if (!std::isfinite(t)) return "—";
    const double s = local_seconds_of_day(t, zone);
    const int whole = static_cast<int>(std::floor(s));
    std::string out = two((whole / 3600) % 24) + ":" + two((whole / 60) % 60);
    if (seconds) out += ":" + two(whole % 60);
    return out;
}

std::string clock(const std::optional<UnixS>& t, const Zone& zone) { return t ? clock(*t, zone) : "—"; }

/// Maps instants onto the plot's x axis, clamped to it.
struct XScale {
    UnixS t0 = 0, t1 = 1;
    double operator()(UnixS t) const {
        const double f = (t - t0) / (t1 - t0);
        return PLOT_L + PLOT_W * std::clamp(std::isfinite(f) ? f : 0.0, 0.0, 1.0);
    }
};

std::string rect(double x, double y, double w, double h, const std::string& cls, const std::string& extra = "") {
    return "<rect class=\"" + cls + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(std::max(0.0, w)) +
           "\" height=\"" + num(h) + "\"" + extra;
}

std::string text(double x, double y, const std::string& cls, std::string_view body, const char* anchor = "start") {
    return "<text class=\"" + cls + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\">" +
           escape_xml(body) + "</text>";
}

std::string_view lane_label(MovementType t) {
    switch (t) {
        case MovementType::twitch: return "twitches";
        case MovementType::limb_movement: return "limb";
        case MovementType::large_movement: return "large";
        case MovementType::plm_series: return "PLM series";
    }
    return "";
}

std::string_view phase_label(Phase p) {
    switch (p) {
        case Phase::out_of_bed: return "out of bed";
        case Phase::awake_in_bed: return "awake in bed";
        case Phase::settling: return "settling";
        case Phase::asleep: return "asleep";
        case Phase::waking: return "waking";
    }
    return "";
}

std::string_view factor_label(Factor f) {
    switch (f) {
        case Factor::caffeine: return "caffeine";
        case Factor::exercise: return "exercise";
        case Factor::stress: return "stress";
        case Factor::magnesium: return "magnesium";
        case Factor::discomfort: return "discomfort";
    }
    return "";
}

/// The night's end on the chart: out of bed, or now for an open night.
UnixS night_end(const NightData& n) {
    if (n.open) return n.until;
    if (n.summary.out_of_bed) return *n.summary.out_of_bed;
    if (n.minutes && !n.minutes->minutes.empty())
        return n.minutes->first_minute_ts + 60.0 * static_cast<double>(n.minutes->minutes.size());
    return n.until;
}

XScale night_scale(const NightData& n) {
    XScale x;
    double start = std::numeric_limits<double>::infinity();
    if (n.summary.in_bed) start = *n.summary.in_bed;
    if (n.minutes && !n.minutes->minutes.empty()) start = std::min(start, n.minutes->first_minute_ts);
    if (!std::isfinite(start))
        for (const auto& e : n.events) start = std::min(start, e.start);
    if (!std::isfinite(start)) start = n.open ? n.until - 3600 : n.until;
    double end = night_end(n);
    if (!std::isfinite(end) || end <= start) end = start + 3600;
    // Whole quarter hours either side keep the first and last marks off the frame.
    x.t0 = std::floor(start / 900.0) * 900.0;
    x.t1 = std::ceil(end / 900.0) * 900.0;
    if (x.t1 <= x.t0) x.t1 = x.t0 + 900;
    return x;
}

/// The phases drawn as bands: an open night's transitions so far when the core gave them, else
/// from the summary's instants (closed nights: the daemon does not store transitions).
std::vector<std::pair<std::pair<UnixS, UnixS>, Phase>> phase_bands(const NightData& n, UnixS end) {
    std::vector<std::pair<std::pair<UnixS, UnixS>, Phase>> out;
    if (!n.phases.empty()) {
        for (std::size_t i = 0; i < n.phases.size(); ++i) {
            const UnixS from = n.phases[i].first;
            const UnixS to = i + 1 < n.phases.size() ? n.phases[i + 1].first : end;
            if (std::isfinite(from) && std::isfinite(to) && to > from)
                out.push_back({{from, std::min(to, end)}, n.phases[i].second});
        }
        return out;
    }
    const auto& s = n.summary;
    if (!s.in_bed) return out;
    const UnixS settle = s.lights_out ? *s.lights_out : (s.sleep_onset ? *s.sleep_onset : end);
    const UnixS onset = s.sleep_onset ? *s.sleep_onset : end;
    if (settle > *s.in_bed) out.push_back({{*s.in_bed, std::min(settle, end)}, Phase::awake_in_bed});
    if (onset > settle) out.push_back({{std::max(settle, *s.in_bed), std::min(onset, end)}, Phase::settling});
    if (s.sleep_onset && end > onset) out.push_back({{onset, end}, Phase::asleep});
    return out;
}

void append_valid_utf8(std::string& out, std::string_view s) {
    if (is_valid_utf8(s)) {
        out += s;
        return;
    }
    for (unsigned char c : s) {
        if (c < 0x80)
            out += static_cast<char>(c);
        else
            out += "\xEF\xBF\xBD";
    }
}

/// Keeps only the characters a relative URL of ours can hold (path and one query parameter), so it is
/// safe inside a script string and an attribute.
std::string safe_relative_url(std::string_view u) {
    std::string out;
    for (char c : u)
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/' ||
            c == '-' || c == '_' || c == '?' || c == '=')
            out += c;
    return out;
}

std::string evidence_value(const EvidenceValue& v) {
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "yes" : "no";
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&v)) return format_json_number(*d, 2);
    return std::get<std::string>(v);
}

std::string event_title(const MovementEvent& e, const Zone& zone) {
    std::string t = std::string(to_string(e.type)) + " at " + clock(e.start, zone, true);
    if (e.type == MovementType::plm_series)
        t += ", " + std::to_string(e.count) + " movements until " + clock(e.end, zone, true);
    else
        t += ", " + num(e.duration_s, 2) + " s";
    t += ", peak " + num(e.peak_g, 3);
    if (e.onset_window) t += ", in the onset window";
    return t;
}

}  // namespace

std::string escape_xml(std::string_view s) {
    std::string valid;
    append_valid_utf8(valid, s);
    std::string out;
    out.reserve(valid.size());
    for (char c : valid) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                // XML 1.0 allows no control characters but tab, newline and carriage return.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    out += "\xEF\xBF\xBD";
                else
                    out += c;
        }
    }
    return out;
}

std::string night_svg(const NightData& n, const Zone& zone, std::string_view id_prefix) {
    const std::string p = escape_xml(id_prefix);
    const XScale x = night_scale(n);
    const UnixS end = night_end(n);
    std::string o;
    o += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"night-chart\" id=\"" + p + "chart\" viewBox=\"0 0 " +
         num(CHART_W, 0) + " " + num(NIGHT_H, 0) + "\" width=\"" + num(CHART_W, 0) + "\" height=\"" + num(NIGHT_H, 0) +
         "\" role=\"img\">";
    o += "<title>" + escape_xml("Night of " + n.summary.night + (n.sleeper.empty() ? "" : " (" + n.sleeper + ")")) +
         "</title>";
    o += "<style>" + std::string(CHART_CSS) + "</style>";
    o += rect(0, 0, CHART_W, NIGHT_H, "bg", "/>");

    // The onset window sits behind everything: from lights-out (or bed) to the set time after onset.
    const auto& s = n.summary;
    if (s.sleep_onset && (s.lights_out || s.in_bed)) {
        const UnixS from = s.lights_out ? *s.lights_out : *s.in_bed;
        const UnixS to = *s.sleep_onset + n.onset_window_after_min * 60.0;
        o += rect(x(from), PHASE_Y, x(to) - x(from), AXIS_Y - PHASE_Y, "window",
                  " id=\"" + p + "onset-window\"><title>" +
                      escape_xml("onset window " + clock(from, zone) + "–" + clock(to, zone)) + "</title></rect>");
    } else if (n.open && s.lights_out) {
        // Lights are out but sleep onset is not found yet: the window is open up to now.
        o += rect(x(*s.lights_out), PHASE_Y, x(end) - x(*s.lights_out), AXIS_Y - PHASE_Y, "window open",
                  " id=\"" + p + "onset-window\"><title>" +
                      escape_xml("onset window since " + clock(*s.lights_out, zone) + ", open until sleep onset") +
                      "</title></rect>");
    }

    // Hour ticks and labels in local time.
    o += "<g id=\"" + p + "axis\">";
    o += "<line class=\"axis\" x1=\"" + num(PLOT_L) + "\" x2=\"" + num(PLOT_L + PLOT_W) + "\" y1=\"" + num(AXIS_Y) +
         "\" y2=\"" + num(AXIS_Y) + "\"/>";
    const double sod = local_seconds_of_day(x.t0, zone);
    for (UnixS t = x.t0 + std::fmod(3600.0 - std::fmod(sod, 3600.0), 3600.0); t <= x.t1 + 1e-6; t += 3600.0) {
        o += "<line class=\"tick\" x1=\"" + num(x(t)) + "\" x2=\"" + num(x(t)) + "\" y1=\"" + num(ENV_Y) + "\" y2=\"" +
             num(AXIS_Y + 4) + "\"/>";
        o += text(x(t), AXIS_Y + 16, "lbl", clock(t, zone), "middle");
    }
    o += "</g>";

    // Phase bands and the per-minute sleep/wake strip.
    o += text(PLOT_L - 6, PHASE_Y + 11, "lane-lbl", "phase", "end");
    o += "<g id=\"" + p + "phases\">";
    for (const auto& [span, ph] : phase_bands(n, end))
        o += rect(x(span.first), PHASE_Y, x(span.second) - x(span.first), PHASE_H,
                  "phase " + std::string(to_string(ph)),
                  "><title>" + escape_xml(std::string(phase_label(ph)) + " " + clock(span.first, zone) + "–" +
                                          clock(span.second, zone)) +
                      "</title></rect>");
    o += "</g>";
    o += text(PLOT_L - 6, STATE_Y + 8, "lane-lbl", "sleep", "end");
    o += "<g id=\"" + p + "states\">";
    if (n.minutes) {
        const auto& ms = n.minutes->minutes;
        // One rectangle per run of equal states keeps a night at a few dozen elements.
        for (std::size_t i = 0; i < ms.size();) {
            std::size_t j = i;
            while (j < ms.size() && ms[j].state == ms[i].state) ++j;
            const UnixS a = n.minutes->first_minute_ts + 60.0 * static_cast<double>(i);
            const UnixS b = n.minutes->first_minute_ts + 60.0 * static_cast<double>(j);
            const char* cls = ms[i].state == score::State::sleep ? "S" : ms[i].state == score::State::wake ? "W" : "M";
            const char* what = ms[i].state == score::State::sleep ? "sleep"
                               : ms[i].state == score::State::wake ? "wake"
                                                                   : "no data";
            o += rect(x(a), STATE_Y, x(b) - x(a), STATE_H, std::string("state ") + cls,
                      "><title>" + escape_xml(std::string(what) + " " + clock(a, zone) + "–" + clock(b, zone)) +
                          "</title></rect>");
            i = j;
        }
    }
    o += "</g>";

    // Movement envelope: seconds of movement per minute, as an area.
    o += text(PLOT_L - 6, ENV_Y + 10, "lane-lbl", "movement", "end");
    std::vector<std::pair<UnixS, double>> env;  // minute start, movement s
    if (n.minutes) {
        for (std::size_t i = 0; i < n.minutes->minutes.size(); ++i) {
            const double v = n.minutes->minutes[i].movement_s;
            env.push_back({n.minutes->first_minute_ts + 60.0 * static_cast<double>(i), std::isfinite(v) ? v : 0.0});
        }
    } else {
        // No stored envelope (an older night, or the night still open): minutes from the events.
        std::map<long long, double> per_min;
        for (const auto& e : n.events)
            if (e.type != MovementType::plm_series && std::isfinite(e.start) && std::isfinite(e.duration_s))
                per_min[static_cast<long long>(std::floor(e.start / 60.0))] += std::max(0.0, e.duration_s);
        for (long long m = static_cast<long long>(std::floor(x.t0 / 60.0)); m * 60.0 < std::min(x.t1, end); ++m) {
            auto it = per_min.find(m);
            env.push_back({m * 60.0, it == per_min.end() ? 0.0 : it->second});
        }
    }
    double top = 5;  // s per minute at the top of the area: at least 5 s so a calm night looks calm
    for (const auto& [t, v] : env) top = std::max(top, v);
    const double base_y = ENV_Y + ENV_H;
    std::string d;
    if (!env.empty()) {
        d = "M" + num(x(env.front().first)) + " " + num(base_y);
        for (const auto& [t, v] : env) {
            const double y = base_y - ENV_H * v / top;
            d += " L" + num(x(t)) + " " + num(y) + " L" + num(x(t + 60)) + " " + num(y);
        }
        d += " L" + num(x(env.back().first + 60)) + " " + num(base_y) + " Z";
    }
    o += "<path id=\"" + p + "envelope\" class=\"envelope\" d=\"" + d + "\"><title>" +
         escape_xml("movement per minute, up to " + num(top, 1) + " s" +
                    (n.minutes ? "" : " (from the movement events)")) +
         "</title></path>";
    o += "<line class=\"axis\" x1=\"" + num(PLOT_L) + "\" x2=\"" + num(PLOT_L + PLOT_W) + "\" y1=\"" + num(base_y) +
         "\" y2=\"" + num(base_y) + "\"/>";
    o += text(PLOT_L + PLOT_W, ENV_Y - 2, "lbl", num(top, 0) + " s/min", "end");

    // Events: one lane per class.
    o += "<g id=\"" + p + "events\">";
    for (std::size_t lane = 0; lane < std::size(LANES); ++lane) {
        const double y = LANE_Y + static_cast<double>(lane) * (LANE_H + LANE_GAP);
        o += text(PLOT_L - 6, y + 11, "lane-lbl", lane_label(LANES[lane]), "end");
        for (const auto& e : n.events) {
            if (e.type != LANES[lane] || !std::isfinite(e.start)) continue;
            const UnixS e_end = e.type == MovementType::plm_series ? e.end : e.start + e.duration_s;
            const double x0 = x(e.start);
            const double w = std::max(2.0, x(std::isfinite(e_end) ? e_end : e.start) - x0);
            std::string cls = "mark " + std::string(to_string(e.type));
            if (e.onset_window) cls += " onset";
            o += rect(x0 - (e.type == MovementType::plm_series ? 0 : 1), y, w, LANE_H, cls,
                      "><title>" + escape_xml(event_title(e, zone)) + "</title></rect>");
        }
    }
    o += "</g>";

    // Lights-out and sleep onset as labelled vertical lines.
    auto marker = [&](const std::optional<UnixS>& t, const char* id, const char* cls, const char* label) {
        if (!t) return;
        o += "<g id=\"" + p + id + "\"><line class=\"marker " + cls + "\" x1=\"" + num(x(*t)) + "\" x2=\"" +
             num(x(*t)) + "\" y1=\"" + num(PHASE_Y) + "\" y2=\"" + num(AXIS_Y) + "\"/>";
        o += text(x(*t) + 3, ENV_Y + 22 + (std::string(id) == "sleep-onset" ? 13 : 0), "lbl",
                  std::string(label) + " " + clock(*t, zone));
        o += "</g>";
    };
    marker(s.lights_out, "lights-out", "lights", "lights out");
    marker(s.sleep_onset, "sleep-onset", "onset-line", "sleep onset");
    if (n.open && std::isfinite(n.until))
        o += "<g id=\"" + p + "now\"><line class=\"marker now\" x1=\"" + num(x(n.until)) + "\" x2=\"" +
             num(x(n.until)) + "\" y1=\"" + num(PHASE_Y) + "\" y2=\"" + num(AXIS_Y) + "\"><title>" +
             escape_xml("now, " + clock(n.until, zone)) + "</title></line></g>";
    if (n.events.empty()) o += text(PLOT_L + PLOT_W / 2, LANE_Y + 30, "none", "no movement events recorded", "middle");
    o += "</svg>";
    return o;
}

std::string trend_svg(const std::vector<NightSummary>& all, const Zone& zone) {
    (void)zone;  // dates are the nights' own local dates; kept for symmetry with night_svg
    const std::size_t from = all.size() > TREND_NIGHTS ? all.size() - TREND_NIGHTS : 0;
    const std::vector<NightSummary> nights(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
    std::string o;
    o += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend-chart\" id=\"trend\" viewBox=\"0 0 " +
         num(CHART_W, 0) + " " + num(TREND_H, 0) + "\" width=\"" + num(CHART_W, 0) + "\" height=\"" +
         num(TREND_H, 0) + "\" role=\"img\">";
    o += "<title>Onset twitches per night, last " + std::to_string(nights.size()) + " nights</title>";
    o += "<style>" + std::string(CHART_CSS) + "</style>";
    o += rect(0, 0, CHART_W, TREND_H, "bg", "/>");
    if (nights.empty()) {
        o += text(CHART_W / 2, TREND_H / 2, "none", "no closed nights yet", "middle");
        return o + "</svg>";
    }
    const double threshold = nights.back().baseline.threshold;
    double top = std::max(1.0, std::isfinite(threshold) ? threshold : 0.0);
    for (const auto& n : nights) top = std::max(top, static_cast<double>(n.onset_twitches));
    top = std::ceil(top * 1.1);
    const double slot = PLOT_W / static_cast<double>(TREND_NIGHTS);
    auto y_of = [&](double v) { return BAR_BOTTOM - (BAR_BOTTOM - BAR_TOP) * std::clamp(v / top, 0.0, 1.0); };

    o += "<line class=\"axis\" x1=\"" + num(PLOT_L) + "\" x2=\"" + num(PLOT_L + PLOT_W) + "\" y1=\"" +
         num(BAR_BOTTOM) + "\" y2=\"" + num(BAR_BOTTOM) + "\"/>";
    o += text(PLOT_L - 6, BAR_TOP + 8, "lbl", num(top, 0), "end");
    o += text(PLOT_L - 6, BAR_BOTTOM, "lbl", "0", "end");
    for (std::size_t k = 0; k < ALL_FACTORS.size(); ++k)
        o += text(PLOT_L - 6, FACTOR_Y0 + FACTOR_DY * static_cast<double>(k) + 3, "lane-lbl",
                  factor_label(ALL_FACTORS[k]), "end");

    o += "<g id=\"trend-bars\">";
    for (std::size_t i = 0; i < nights.size(); ++i) {
        const auto& n = nights[i];
        const double x0 = PLOT_L + slot * static_cast<double>(i);
        // A night without onset twitches keeps a sliver of a bar, so that it reads as "0", not "missing".
        const double y = std::min(y_of(n.onset_twitches), BAR_BOTTOM - 2);
        std::string title = n.night + ": " + std::to_string(n.onset_twitches) + " onset twitches";
        if (n.twitch_heavy) title += ", twitch-heavy" + (n.heavy_reason.empty() ? "" : " (" + n.heavy_reason + ")");
        o += rect(x0 + slot * 0.15, y, slot * 0.7, BAR_BOTTOM - y, n.twitch_heavy ? "bar heavy" : "bar",
                  " id=\"trend-bar-" + escape_xml(n.night) + "\"><title>" + escape_xml(title) + "</title></rect>");
        o += text(x0 + slot / 2, DAY_LABEL_Y, "lbl", n.night.size() >= 10 ? n.night.substr(8, 2) : n.night, "middle");
    }
    o += "</g>";

    o += "<g id=\"trend-factors\">";
    for (std::size_t i = 0; i < nights.size(); ++i) {
        const double cx = PLOT_L + slot * (static_cast<double>(i) + 0.5);
        for (const auto& f : nights[i].factors) {
            if (f.count <= 0) continue;
            const auto k = static_cast<std::size_t>(
                std::find(ALL_FACTORS.begin(), ALL_FACTORS.end(), f.factor) - ALL_FACTORS.begin());
            std::string title = nights[i].night + ": " + std::string(factor_label(f.factor)) + " ×" +
                                std::to_string(f.count);
            if (f.hours_before_bed) title += ", last " + num(*f.hours_before_bed, 1) + " h before bed";
            if (f.late) title += " (late)";
            o += "<circle class=\"factor " + std::string(to_string(f.factor)) + (f.late ? " late" : "") + "\" cx=\"" +
                 num(cx) + "\" cy=\"" + num(FACTOR_Y0 + FACTOR_DY * static_cast<double>(k)) + "\" r=\"3.5\"><title>" +
                 escape_xml(title) + "</title></circle>";
        }
    }
    o += "</g>";
    if (std::isfinite(threshold) && threshold > 0) {
        const double y = y_of(threshold);
        o += "<g id=\"trend-threshold\"><line class=\"threshold\" x1=\"" + num(PLOT_L) + "\" x2=\"" +
             num(PLOT_L + PLOT_W) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) + "\"/>";
        o += text(PLOT_L + PLOT_W, y - 3, "lbl", "heavy from " + num(threshold, 1), "end") + "</g>";
    }
    o += "</svg>";
    return o;
}

namespace {

constexpr const char* PAGE_CSS =
    "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:12px 16px;color:#222;"
    "background:#fff}h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}"
    ".who{color:#666;margin:0}svg{max-width:100%;height:auto;display:block}"
    "table.summary{border-collapse:collapse;margin:.5em 0;font-size:.92em}"
    "table.summary td,table.summary th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}"
    "table.summary th{font-weight:normal;color:#555}.heavy-note{color:#a04000}"
    ".legend{font-size:.85em;color:#444;margin:.3em 0}.legend span{margin-right:12px;white-space:nowrap}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}"
    ".advice li{margin:.3em 0}.evidence{color:#555;font-size:.88em}.none{color:#777}"
    "footer{margin-top:2em;color:#777;font-size:.82em}.live{color:#1e8449;font-size:.85em}";

void row(std::string& o, std::string_view label, const std::string& value) {
    o += "<tr><th>" + escape_xml(label) + "</th><td>" + value + "</td></tr>";
}

std::string night_section(const NightData& n, const Zone& zone, std::size_t index) {
    const auto& s = n.summary;
    const std::string prefix = "n" + std::to_string(index) + "-";
    std::string o = "<section class=\"night\" id=\"night-" + escape_xml(s.night) + "\">";
    o += "<h2>" + escape_xml((n.open ? "Tonight, " : "Night of ") + s.night) + "</h2>";
    o += night_svg(n, zone, prefix);
    o += "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#e67e22\"></i>twitch</span>"
         "<span><i class=\"sw\" style=\"background:#2e86c1\"></i>limb movement</span>"
         "<span><i class=\"sw\" style=\"background:#c0392b\"></i>large movement</span>"
         "<span><i class=\"sw\" style=\"background:#8e44ad\"></i>PLM series</span>"
         "<span><i class=\"sw\" style=\"background:#f9eebb\"></i>onset window</span>"
         "<span><i class=\"sw\" style=\"background:#3f51b5\"></i>sleep</span>"
         "<span><i class=\"sw\" style=\"background:#f5b041\"></i>wake</span></p>";
    o += "<table class=\"summary\">";
    row(o, "In bed", escape_xml(clock(s.in_bed, zone) + " – " + (n.open ? "now" : clock(s.out_of_bed, zone))));
    row(o, "Lights out", escape_xml(clock(s.lights_out, zone)));
    row(o, "Sleep onset",
        escape_xml(clock(s.sleep_onset, zone) +
                   (s.onset_latency_min ? " (after " + num(*s.onset_latency_min, 0) + " min)" : "")));
    if (!n.open) {
        std::string onset = std::to_string(s.onset_twitches);
        if (s.twitch_heavy)
            onset += " <span class=\"heavy-note\">twitch-heavy" +
                     (s.heavy_reason.empty() ? std::string() : ": " + escape_xml(s.heavy_reason)) + "</span>";
        row(o, "Onset twitches", onset);
        row(o, "Twitches", std::to_string(s.twitches) + " (" + num(s.twitch_index, 1) + " per hour asleep)");
        row(o, "Limb movements", std::to_string(s.limb_movements) + ", PLM series " + std::to_string(s.plm_series) +
                                     " (PLM index " + num(s.plm_index, 1) + " per hour)");
        row(o, "Large movements", std::to_string(s.large_movements));
        row(o, "Hours asleep", num(s.asleep_h, 1));
        row(o, "Sensor", escape_xml(s.sensor_resolution) + ", data for " + num(100 * s.coverage, 0) + "% of the night");
        std::string evening;
        for (const auto& f : s.factors) {
            if (f.count <= 0) continue;
            if (!evening.empty()) evening += "; ";
            evening += escape_xml(std::string(factor_label(f.factor)) + " ×" + std::to_string(f.count));
            if (f.hours_before_bed) evening += escape_xml(", " + num(*f.hours_before_bed, 1) + " h before bed");
            if (f.late) evening += " (late)";
        }
        row(o, "Evening", evening.empty() ? "nothing logged" : evening);
    } else {
        if (n.phase_now) {
            UnixS since = n.until;
            for (const auto& [at, ph] : n.phases)
                if (ph == *n.phase_now && at <= n.until) since = at;
            row(o, "Now", "<span id=\"" + prefix + "phase-now\">" +
                              escape_xml(std::string(phase_label(*n.phase_now)) + " since " + clock(since, zone)) +
                              "</span>");
        }
        int tw = 0, onset_tw = 0;
        for (const auto& e : n.events)
            if (e.type == MovementType::twitch) {
                ++tw;
                onset_tw += e.onset_window ? 1 : 0;
            }
        row(o, "So far", std::to_string(onset_tw) + " onset twitches, " + std::to_string(tw) + " twitches, " +
                             std::to_string(n.events.size()) + " movements in all");
    }
    o += "</table></section>";
    return o;
}

}  // namespace

std::string report_html(const ReportData& d, const Zone& zone) {
    std::string title = "hypnic night report";
    if (!d.sleeper.empty()) title += " — " + d.sleeper;
    std::string o = "<!DOCTYPE html><html lang=\"en\"";
    if (!d.version.empty()) o += " data-version=\"" + escape_xml(d.version) + "\"";
    o += "><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
    if (!d.base_href.empty()) o += "<base href=\"" + safe_relative_url(d.base_href) + "\">";
    // Served pages bring an (empty) icon of their own, so that the browser does not ask for
    // /favicon.ico at the root, which under Home Assistant ingress is outside the add-on's prefix.
    if (!d.poll_url.empty()) o += "<link rel=\"icon\" href=\"data:,\">";
    o += "<title>" + escape_xml(title) + "</title><style>" + std::string(PAGE_CSS) + "</style></head><body>";
    o += "<header><h1>" + escape_xml(title) + "</h1><p class=\"who\">made " +
         escape_xml(format_iso(d.generated, zone).substr(0, 16)) + " (" + escape_xml(zone.name()) + ")";
    if (!d.poll_url.empty()) o += " · <span class=\"live\">live, updates by itself</span>";
    o += "</p></header>";
    if (d.nights.empty()) o += "<p class=\"none\" id=\"no-night\">No night to show yet.</p>";
    for (std::size_t i = 0; i < d.nights.size(); ++i) o += night_section(d.nights[i], zone, i);

    o += "<section id=\"trend-section\"><h2>Onset twitches, last " + std::to_string(TREND_NIGHTS) + " nights</h2>";
    o += trend_svg(d.trend, zone);
    o += "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#7f8fa6\"></i>onset twitches</span>"
         "<span><i class=\"sw\" style=\"background:#d35400\"></i>twitch-heavy night</span>"
         "<span>- - heavy threshold (your baseline)</span>"
         "<span>○ factor logged, ● logged late in the evening</span></p></section>";

    o += "<section id=\"advice\" class=\"advice\"><h2>Advice</h2>";
    if (!d.advice || d.advice->items.empty()) {
        o += "<p class=\"none\" id=\"no-advice\">No advice yet: hypnic gives advice once it has seen enough nights.</p>";
    } else {
        auto items = d.advice->items;
        std::stable_sort(items.begin(), items.end(),
                         [](const AdviceItem& a, const AdviceItem& b) { return a.priority < b.priority; });
        o += "<p class=\"who\">from " + std::to_string(d.advice->nights) + " nights</p><ul>";
        for (const auto& it : items) {
            o += "<li id=\"advice-" + escape_xml(it.id) + "\">" + escape_xml(it.text);
            if (!it.evidence.empty()) {
                o += "<div class=\"evidence\">";
                for (std::size_t k = 0; k < it.evidence.size(); ++k)
                    o += (k ? "; " : "") + escape_xml(it.evidence[k].key + ": " + evidence_value(it.evidence[k].value));
                o += "</div>";
            }
            o += "</li>";
        }
        o += "</ul>";
    }
    o += "</section>";
    o += "<footer>hypnic is a wellness tool, not a medical device. Sleep starts (hypnic jerks) are common and "
         "usually harmless; if movements at night trouble you, talk to a doctor.</footer>";
    if (!d.poll_url.empty()) {
        // A failed poll (daemon restarting) is simply retried at the next interval.
        o += "<script>(function(){var v=document.documentElement.getAttribute('data-version');"
             "function poll(){fetch(" +
             std::string("'") + safe_relative_url(d.poll_url) +
             "',{cache:'no-store'}).then(function(r){return r.ok?r.json():null;})"
             ".then(function(j){if(j&&j.version!==v){location.reload();}}).catch(function(){});}"
             "setInterval(poll," +
             num(std::max(1.0, d.refresh_s) * 1000, 0) + ");})();</script>";
    }
    o += "</body></html>\n";
    return o;
}

std::string poll_json(const std::string& version, std::string_view phase, UnixS generated, const Zone& zone) {
    JsonWriter w;
    w.begin_object().key("version").value(version).key("phase").value(phase).key("generated");
    w.value(format_iso(generated, zone)).end_object();
    return w.take();
}

}  // namespace hypnic::report
