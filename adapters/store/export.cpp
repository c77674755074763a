// CSV and JSON Lines renderings of nights, movement events and factor logs from the store.
#include "adapters/store/export.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <variant>
#include <vector>

#include "adapters/json_out.hpp"

namespace hypnic {

namespace {

constexpr double ALL_TIME_FROM = -std::numeric_limits<double>::infinity();
constexpr double ALL_TIME_TO = std::numeric_limits<double>::infinity();

/// A time value, rendered as ISO-8601 or Unix seconds by the query's choice.
struct Time {
    UnixS t;
};
struct Null {};
/// One exported value; a record is a list of named cells, some of which nest (JSON only).
using Cell = std::variant<Null, bool, std::int64_t, double, Time, std::string>;

struct Named {
    std::string name;
    Cell value;
};

std::string number(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

Cell time_cell(const std::optional<UnixS>& t) { return t ? Cell(Time{*t}) : Cell(Null{}); }
Cell num_cell(double v) { return Cell(v); }
Cell num_cell(const std::optional<double>& v) { return v ? Cell(*v) : Cell(Null{}); }
Cell int_cell(int v) { return Cell(static_cast<std::int64_t>(v)); }

class Renderer {
public:
    Renderer(const ExportQuery& q, const Zone& zone) : q_(q), zone_(zone) {}

    /// The cell as CSV text (unquoted); empty for null and non-finite numbers.
    std::string csv(const Cell& c) const {
        return std::visit(
            [&](const auto& v) -> std::string {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, Null>) return "";
                else if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
                else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
                else if constexpr (std::is_same_v<V, double>) return std::isfinite(v) ? number(v) : "";
                else if constexpr (std::is_same_v<V, Time>) return time_text(v.t);
                else return v;
            },
            c);
    }

    /// The cell as a JSON value.
    std::string json(const Cell& c) const {
        return std::visit(
            [&](const auto& v) -> std::string {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, Null>) return "null";
                else if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
                else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
                else if constexpr (std::is_same_v<V, double>) return std::isfinite(v) ? number(v) : "null";
                else if constexpr (std::is_same_v<V, Time>) {
                    if (!std::isfinite(v.t)) return "null";
                    return q_.time == ExportTime::iso ? json_string(time_text(v.t)) : number(v.t);
                } else
                    return json_string(v);
            },
            c);
    }

    std::string json_object(const std::vector<Named>& cells) const {
        std::string s = "{";
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) s += ',';
            s += json_string(cells[i].name) + ':' + json(cells[i].value);
        }
        return s + '}';
    }

private:
    std::string time_text(UnixS t) const {
        if (!std::isfinite(t)) return "";
        return q_.time == ExportTime::iso ? format_iso(t, zone_) : number(t);
    }

    const ExportQuery& q_;
    const Zone& zone_;
};

void write_csv_row(std::ostream& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out << ',';
        out << csv_field(fields[i]);
    }
    out << '\n';
}

// ---- nights ----------------------------------------------------------------------------------

std::vector<Named> night_cells(const std::string& sleeper, const NightSummary& n) {
    return {
        {"sleeper", sleeper},
        {"night", n.night},
        {"in_bed", time_cell(n.in_bed)},
        {"lights_out", time_cell(n.lights_out)},
        {"sleep_onset", time_cell(n.sleep_onset)},
        {"out_of_bed", time_cell(n.out_of_bed)},
        {"onset_latency_min", num_cell(n.onset_latency_min)},
        {"onset_twitches", int_cell(n.onset_twitches)},
        {"twitches", int_cell(n.twitches)},
        {"twitch_index", num_cell(n.twitch_index)},
        {"limb_movements", int_cell(n.limb_movements)},
        {"plm_series", int_cell(n.plm_series)},
        {"plm_index", num_cell(n.plm_index)},
        {"plm_periodicity", num_cell(n.plm_periodicity)},
        {"large_movements", int_cell(n.large_movements)},
        {"twitch_heavy", n.twitch_heavy},
        {"heavy_reason", n.heavy_reason},
    };
}

std::vector<Named> baseline_cells(const Baseline& b) {
    return {
        {"nights", int_cell(b.nights)},
        {"onset_twitches_median", num_cell(b.onset_twitches_median)},
        {"onset_twitches_mad", num_cell(b.onset_twitches_mad)},
        {"twitch_index_median", num_cell(b.twitch_index_median)},
        {"twitch_index_mad", num_cell(b.twitch_index_mad)},
        {"threshold", num_cell(b.threshold)},
    };
}

std::vector<Named> night_tail_cells(const NightSummary& n) {
    return {
        {"sensor_resolution", n.sensor_resolution},
        {"coverage", num_cell(n.coverage)},
        {"asleep_h", num_cell(n.asleep_h)},
    };
}

std::vector<Named> factor_summary_cells(const FactorSummary& f) {
    return {
        {"count", int_cell(f.count)},
        {"amount", num_cell(f.amount)},
        {"last", time_cell(f.last)},
        {"hours_before_bed", num_cell(f.hours_before_bed)},
        {"late", f.late},
    };
}

std::size_t export_nights(const SqliteHistory& h, const std::vector<std::string>& sleepers, const Renderer& r,
                          ExportFormat format, std::ostream& out) {
    std::size_t rows = 0;
    if (format == ExportFormat::csv) {
        // Fixed columns: each factor's five summary fields, empty when the night has no entry for it.
        std::vector<std::string> header;
        const NightSummary none;
        for (const auto& c : night_cells("", none)) header.push_back(c.name);
        for (const auto& c : baseline_cells(none.baseline)) header.push_back("baseline_" + c.name);
        for (const auto& c : night_tail_cells(none)) header.push_back(c.name);
        for (Factor f : ALL_FACTORS)
            for (const auto& c : factor_summary_cells(FactorSummary{}))
                header.push_back(std::string(to_string(f)) + '_' + c.name);
        write_csv_row(out, header);
        for (const auto& s : sleepers) {
            for (const auto& n : h.recent_nights(s, std::numeric_limits<std::size_t>::max())) {
                std::vector<std::string> row;
                for (const auto& c : night_cells(s, n)) row.push_back(r.csv(c.value));
                for (const auto& c : baseline_cells(n.baseline)) row.push_back(r.csv(c.value));
                for (const auto& c : night_tail_cells(n)) row.push_back(r.csv(c.value));
                for (Factor f : ALL_FACTORS) {
                    const FactorSummary* found = nullptr;
                    for (const auto& fs : n.factors)
                        if (fs.factor == f) {
                            found = &fs;
                            break;
                        }
                    for (const auto& c : factor_summary_cells(found ? *found : FactorSummary{}))
                        row.push_back(found ? r.csv(c.value) : std::string());
                }
                write_csv_row(out, row);
                ++rows;
            }
        }
        return rows;
    }
    for (const auto& s : sleepers) {
        for (const auto& n : h.recent_nights(s, std::numeric_limits<std::size_t>::max())) {
            std::string line = r.json_object(night_cells(s, n));
            line.pop_back();
            line += ",\"baseline\":" + r.json_object(baseline_cells(n.baseline));
            // An array keeps every entry in its order, also if a factor were listed twice.
            line += ",\"factors\":[";
            for (std::size_t i = 0; i < n.factors.size(); ++i) {
                auto cells = factor_summary_cells(n.factors[i]);
                cells.insert(cells.begin(), Named{"factor", std::string(to_string(n.factors[i].factor))});
                line += (i ? "," : "") + r.json_object(cells);
            }
            line += "],";
            const std::string tail = r.json_object(night_tail_cells(n));
            line += tail.substr(1);
            out << line << '\n';
            ++rows;
        }
    }
    return rows;
}

// ---- events and factor logs ------------------------------------------------------------------

std::vector<Named> event_cells(const std::string& sleeper, const MovementEvent& e) {
    const bool plm = e.type == MovementType::plm_series;
    return {
        {"sleeper", sleeper},
        {"type", std::string(to_string(e.type))},
        {"start", Time{e.start}},
        {"duration_s", num_cell(e.duration_s)},
        {"peak", num_cell(e.peak_g)},
        {"phase", std::string(to_string(e.phase))},
        {"onset_window", e.onset_window},
        // As on the event topic: count and end belong to PLM series only.
        {"count", plm ? int_cell(e.count) : Cell(Null{})},
        {"end", plm ? Cell(Time{e.end}) : Cell(Null{})},
        {"gravity_shift", e.gravity_shift},
    };
}

std::vector<Named> factor_log_cells(const std::string& sleeper, const FactorLog& f) {
    return {
        {"sleeper", sleeper},
        {"t", Time{f.t}},
        {"factor", std::string(to_string(f.factor))},
        {"amount", num_cell(f.amount)},
        {"note", f.note},
        {"source", f.source},
    };
}

template <typename Fetch, typename Cells>
std::size_t export_flat(const std::vector<std::string>& sleepers, const Renderer& r, ExportFormat format,
                        std::ostream& out, Fetch fetch, Cells cells, const std::vector<std::string>& header) {
    std::size_t rows = 0;
    if (format == ExportFormat::csv) write_csv_row(out, header);
    for (const auto& s : sleepers) {
        for (const auto& rec : fetch(s)) {
            const auto named = cells(s, rec);
            if (format == ExportFormat::csv) {
                std::vector<std::string> row;
                for (const auto& c : named) row.push_back(r.csv(c.value));
                write_csv_row(out, row);
            } else {
                out << r.json_object(named) << '\n';
            }
            ++rows;
        }
    }
    return rows;
}

template <typename Cells, typename T>
std::vector<std::string> header_of(Cells cells, const T& sample) {
    std::vector<std::string> h;
    for (const auto& c : cells("", sample)) h.push_back(c.name);
    return h;
}


}  // namespace

std::optional<ExportWhat> export_what_from_string(std::string_view s) {
    if (s == "nights") return ExportWhat::nights;
    if (s == "events") return ExportWhat::events;
    if (s == "factors") return ExportWhat::factors;
    return std::nullopt;
}

std::optional<ExportFormat> export_format_from_string(std::string_view s) {
    if (s == "csv") return ExportFormat::csv;
    if (s == "json") return ExportFormat::json;
    return std::nullopt;
}

std::optional<ExportTime> export_time_from_string(std::string_view s) {
    if (s == "iso") return ExportTime::iso;
    if (s == "unix") return ExportTime::unix_s;
    return std::nullopt;
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + '"';
}

std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

std::size_t write_export(const SqliteHistory& h, const ExportQuery& q, const Zone& zone, std::ostream& out) {
    const Renderer r(q, zone);
    const std::vector<std::string> sleepers = q.sleeper.empty() ? h.sleepers() : std::vector<std::string>{q.sleeper};
    switch (q.what) {
        case ExportWhat::nights:
            return export_nights(h, sleepers, r, q.format, out);
        case ExportWhat::events:
            return export_flat(
                sleepers, r, q.format, out,
                [&](const std::string& s) { return h.events_between(s, ALL_TIME_FROM, ALL_TIME_TO); }, event_cells,
                header_of(event_cells, MovementEvent{}));
        case ExportWhat::factors:
        default:
            return export_flat(
                sleepers, r, q.format, out,
                [&](const std::string& s) { return h.factors_between(s, ALL_TIME_FROM, ALL_TIME_TO); },
                factor_log_cells, header_of(factor_log_cells, FactorLog{}));
    }
}

}  // namespace hypnic
