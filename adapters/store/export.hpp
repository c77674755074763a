// Writes the stored history as CSV or JSON Lines for spreadsheets and scripts (`hypnicd export`).
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "adapters/store/sqlite_history.hpp"
#include "plugin/time.hpp"

namespace hypnic {

enum class ExportWhat { nights, events, factors };
enum class ExportFormat {
    csv,   ///< a header row, then one row per record; RFC 4180 quoting; LF line ends
    json,  ///< JSON Lines: one JSON object per record and line
};
enum class ExportTime {
    iso,   ///< "2026-11-25T22:41:03.120+01:00" in the export's zone (millisecond precision)
    unix_s,  ///< Unix seconds as a number, full precision
};

struct ExportQuery {
    ExportWhat what = ExportWhat::nights;
    ExportFormat format = ExportFormat::csv;
    ExportTime time = ExportTime::iso;
    std::string sleeper;  ///< empty: every sleeper in the store, sorted by id
};

std::optional<ExportWhat> export_what_from_string(std::string_view s);
std::optional<ExportFormat> export_format_from_string(std::string_view s);
std::optional<ExportTime> export_time_from_string(std::string_view s);

/// Writes the records `q` selects, oldest first per sleeper, to `out`; times in `zone` (iso).
/// Absent and non-finite values are empty cells (CSV) or null (JSON). Returns the record count
/// (the CSV header not counted). Throws StoreError when the store cannot be read.
std::size_t write_export(const SqliteHistory& history, const ExportQuery& q, const Zone& zone, std::ostream& out);

/// One CSV field, quoted when it holds a comma, a quote, CR or LF (quotes doubled).
std::string csv_field(std::string_view s);
/// A JSON string literal with quotes; control characters escaped, invalid UTF-8 replaced by U+FFFD.
std::string json_string(std::string_view s);

}  // namespace hypnic
