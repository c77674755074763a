// Reads actigraphy epoch CSV files (ActiLife and Actiware exports) into a regular series of counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/score/score.hpp"

namespace hypnic::adapters {

/// A bad input and where it is; what() is `file:line:col: message` (line and col are 1-based;
/// col counts bytes from the start of the line; 0 means "the file as a whole" / "the whole line").
class CsvError : public std::runtime_error {
public:
    CsvError(std::string file, std::size_t line, std::size_t col, const std::string& message);
    const std::string& file() const { return file_; }
    std::size_t line() const { return line_; }
    std::size_t col() const { return col_; }

private:
    std::string file_;
    std::size_t line_;
    std::size_t col_;
};

/// One CSV record: its fields (unquoted) and where each field starts.
struct CsvRecord {
    std::size_t line = 0;            ///< 1-based line of the record's first byte
    std::vector<std::string> fields;
    std::vector<std::size_t> cols;   ///< 1-based byte column where each field starts
};

/// Splits CSV text (RFC 4180: `,` separators, `"` quoting with `""` escapes, quoted newlines) into
/// records. Accepts LF or CRLF endings and a leading UTF-8 BOM; skips blank lines. Throws CsvError
/// (naming `name`) for NUL or other control bytes (binary data), an unterminated quote, or text
/// after a closing quote.
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& name);

/// How the file wrote its timestamps; used to write timestamps for epochs the file skipped.
enum class TimestampStyle {
    iso8601,         ///< 2012-06-27T10:54:00Z (also a space for T, fractions, no zone or +hh:mm)
    day_month_year,  ///< 01/01/2000 01:17:00 (DD/MM/YYYY, seconds optional), as Actiware exports
};

/// Parses one timestamp in either style to Unix milliseconds (a timestamp without a zone is taken
/// as UTC: only differences matter). nullopt if it is neither style or not a real date and time.
std::optional<std::int64_t> parse_timestamp_ms(std::string_view text, TimestampStyle* style = nullptr);
/// Writes Unix milliseconds in `style` (ISO in UTC with `Z`; fractions only when non-zero).
std::string format_timestamp(std::int64_t t_ms, TimestampStyle style);

struct ActigraphyCsvOptions {
    /// Count column; empty: the first of `axis1`, `count`, `activity`, `Actiwatch activity counts`
    /// (names match case-insensitively, surrounding blanks ignored).
    std::string column;
    /// Epoch length in seconds; nullopt: the smallest step between consecutive timestamps.
    std::optional<double> epoch_s;
};

/// A regular series of epochs: epoch k starts at t_ms[0] + k * epoch_s * 1000.
struct ActigraphySeries {
    std::string column;                   ///< the count column that was read
    double epoch_s = 0;                   ///< epoch length, seconds, > 0
    TimestampStyle style = TimestampStyle::iso8601;
    std::vector<std::int64_t> t_ms;       ///< Unix ms of each epoch's start, strictly increasing
    std::vector<std::string> timestamps;  ///< as written in the file; generated for skipped epochs
    score::Counts counts;                 ///< nullopt: `NA`, empty, or an epoch the file skipped
    std::vector<std::size_t> lines;       ///< source line of each epoch, 0 for a skipped one
};

/// Upper bound on a count (anything above is not an activity count) and on the series length
/// (a gap in the timestamps is filled with missing epochs, up to this many epochs in total).
inline constexpr double MAX_COUNT = 1e9;
inline constexpr std::size_t MAX_EPOCHS = 2'000'000;  // about a year of 15-s epochs

/// Parses an actigraphy CSV: a header row with a `timestamp` column and the count column, then one
/// row per epoch in increasing time. Epochs the file skips (a step that is a whole multiple of the
/// epoch) become missing epochs. Throws CsvError (`name:line:col: why`) for: binary or empty input,
/// no header/timestamp/count column, ragged rows, bad or non-increasing timestamps, a step that is
/// not a whole number of epochs, and counts that are not finite numbers in [0, MAX_COUNT].
ActigraphySeries parse_actigraphy_csv(std::string_view text, const std::string& name,
                                      const ActigraphyCsvOptions& options = {});
/// Reads `path` and parses it as above; a file that cannot be read is a CsvError at line 0.
ActigraphySeries read_actigraphy_csv(const std::string& path, const ActigraphyCsvOptions& options = {});

/// Sums consecutive epochs into epochs of `target_epoch_s` (which must be a whole multiple of
/// series.epoch_s), blocks aligned to the first epoch, as score::sum_epochs does; each new epoch
/// keeps the first timestamp of its block. Throws std::invalid_argument otherwise.
ActigraphySeries combine_epochs(const ActigraphySeries& series, double target_epoch_s);

}  // namespace hypnic::adapters
