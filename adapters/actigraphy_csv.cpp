// CSV tokenizer, timestamp parsing and the actigraphy epoch reader behind `hypnicd score`.
#include "adapters/actigraphy_csv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace hypnic::adapters {
namespace {

std::string place(const std::string& file, std::size_t line, std::size_t col) {
    std::string s = file;
    if (line > 0) {
        s += ':' + std::to_string(line);
        if (col > 0) s += ':' + std::to_string(col);
    }
    return s;
}

std::string lower_trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Shortens a cell for an error message so that hostile input cannot flood the terminal.
std::string quoted_cell(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    if (s.size() > 40) out += "...";
    return "'" + out + "'";
}

/// Reads exactly `n` digits at `pos` (advancing it); -1 if they are not all digits.
int digits(std::string_view s, std::size_t& pos, std::size_t n) {
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const char c = s[pos + k];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
}

/// Reads 1 or 2 digits at `pos`; -1 if there is none.
int one_or_two_digits(std::string_view s, std::size_t& pos) {
    int v = digits(s, pos, 1);
    if (v < 0) return -1;
    std::size_t probe = pos;
    const int second = digits(s, probe, 1);
    if (second >= 0) {
        v = v * 10 + second;
        pos = probe;
    }
    return v;
}

std::optional<std::int64_t> civil_ms(int y, int mo, int d, int h, int mi, int sec, int ms) {
    using namespace std::chrono;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    const auto days_since_epoch = sys_days{ymd}.time_since_epoch().count();
    return static_cast<std::int64_t>(days_since_epoch) * 86'400'000 +
           (static_cast<std::int64_t>(h) * 3600 + mi * 60 + sec) * 1000 + ms;
}

/// HH:MM[:SS[.fff]] at `pos`; returns false if malformed.
bool parse_clock(std::string_view s, std::size_t& pos, int& h, int& mi, int& sec, int& ms) {
    h = one_or_two_digits(s, pos);
    if (h < 0 || pos >= s.size() || s[pos] != ':') return false;
    ++pos;
    mi = digits(s, pos, 2);
    if (mi < 0) return false;
    sec = 0;
    ms = 0;
    if (pos < s.size() && s[pos] == ':') {
        ++pos;
        sec = digits(s, pos, 2);
        if (sec < 0) return false;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            int scale = 100;
            std::size_t n = 0;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (scale > 0) ms += (s[pos] - '0') * scale;
                scale /= 10;
                ++pos;
                ++n;
            }
            if (n == 0 || n > 9) return false;
        }
    }
    return true;
}

/// A number as short as it reads back exactly (10, 0.5, 1e+20), for messages.
std::string number(double v) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(v);
}

}  // namespace

CsvError::CsvError(std::string file, std::size_t line, std::size_t col, const std::string& message)
    : std::runtime_error(place(file, line, col) + ": " + message), file_(std::move(file)), line_(line), col_(col) {}

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& name) {
    std::vector<CsvRecord> records;
    std::size_t pos = 0;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
    std::size_t line = 1;
    std::size_t line_start = 0;  // offset of the current line's first byte
    auto col_of = [&](std::size_t at) { return at - line_start + 1; };

    while (pos < text.size()) {
        CsvRecord rec;
        rec.line = line;
        std::string field;
        std::size_t field_col = col_of(pos);
        bool in_quotes = false;
        bool was_quoted = false;
        bool after_quote = false;  // just closed a quoted field: only , or end of line may follow
        std::size_t quote_line = 0, quote_col = 0;
        bool record_done = false;
        while (pos < text.size() && !record_done) {
            const char c = text[pos];
            const auto uc = static_cast<unsigned char>(c);
            if (uc < 0x20 && c != '\t' && c != '\r' && c != '\n') {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(uc));
                throw CsvError(name, line, col_of(pos),
                               std::string("control byte ") + hex + ": this is binary data, not a CSV text file");
            }
            if (in_quotes) {
                if (c == '"') {
                    if (pos + 1 < text.size() && text[pos + 1] == '"') {
                        field += '"';
                        pos += 2;
                        continue;
                    }
                    in_quotes = false;
                    after_quote = true;
                    ++pos;
                    continue;
                }
                if (c == '\n') {
                    ++line;
                    line_start = pos + 1;
                }
                field += c;
                ++pos;
                continue;
            }
            if (c == ',') {
                rec.fields.push_back(std::move(field));
                rec.cols.push_back(field_col);
                field.clear();
                was_quoted = after_quote = false;
                ++pos;
                field_col = col_of(pos);
                continue;
            }
            if (c == '\n' || (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ||
                (c == '\r' && pos + 1 == text.size())) {
                pos += (c == '\r' && pos + 1 < text.size()) ? 2 : 1;
                ++line;
                line_start = pos;
                record_done = true;
                continue;
            }
            if (c == '\r')
                throw CsvError(name, line, col_of(pos), "a lone carriage return (CR without LF) inside a row");
            if (after_quote)
                throw CsvError(name, line, col_of(pos),
                               "text after the closing quote of a field (expected ',' or the end of the line)");
            if (c == '"') {
                if (!field.empty() || was_quoted)
                    throw CsvError(name, line, col_of(pos), "a quote inside an unquoted field (quote the whole field)");
                in_quotes = was_quoted = true;
                quote_line = line;
                quote_col = col_of(pos);
                ++pos;
                continue;
            }
            field += c;
            ++pos;
        }
        if (in_quotes) throw CsvError(name, quote_line, quote_col, "quoted field is never closed");
        rec.fields.push_back(std::move(field));
        rec.cols.push_back(field_col);
        // A blank line is a single empty unquoted field: skip it.
        if (rec.fields.size() == 1 && rec.fields[0].empty() && !was_quoted) continue;
        records.push_back(std::move(rec));
    }
    return records;
}

std::optional<std::int64_t> parse_timestamp_ms(std::string_view text, TimestampStyle* style) {
    const std::string_view s = trim(text);
    std::size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    TimestampStyle found;
    if (s.size() >= 10 && s[4] == '-') {
        found = TimestampStyle::iso8601;
        y = digits(s, pos, 4);
        if (y < 0 || s[pos++] != '-') return std::nullopt;
        mo = digits(s, pos, 2);
        if (mo < 0 || pos >= s.size() || s[pos++] != '-') return std::nullopt;
        d = digits(s, pos, 2);
        if (d < 0 || pos >= s.size() || (s[pos] != 'T' && s[pos] != ' ')) return std::nullopt;
        ++pos;
        if (!parse_clock(s, pos, h, mi, sec, ms)) return std::nullopt;
        std::int64_t offset_ms = 0;
        if (pos < s.size() && s[pos] == 'Z') {
            ++pos;
        } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
            const int sign = s[pos] == '+' ? 1 : -1;
            ++pos;
            const int oh = digits(s, pos, 2);
            if (oh < 0 || oh > 23) return std::nullopt;
            if (pos < s.size() && s[pos] == ':') ++pos;
            const int om = digits(s, pos, 2);
            if (om < 0 || om > 59) return std::nullopt;
            offset_ms = sign * (static_cast<std::int64_t>(oh) * 3600 + om * 60) * 1000;
        }
        if (pos != s.size()) return std::nullopt;
        const auto t = civil_ms(y, mo, d, h, mi, sec, ms);
        if (!t) return std::nullopt;
        if (style) *style = found;
        return *t - offset_ms;
    }
    found = TimestampStyle::day_month_year;
    d = one_or_two_digits(s, pos);
    if (d < 0 || pos >= s.size() || s[pos++] != '/') return std::nullopt;
    mo = one_or_two_digits(s, pos);
    if (mo < 0 || pos >= s.size() || s[pos++] != '/') return std::nullopt;
    y = digits(s, pos, 4);
    if (y < 0 || pos >= s.size() || s[pos++] != ' ') return std::nullopt;
    if (!parse_clock(s, pos, h, mi, sec, ms) || pos != s.size()) return std::nullopt;
    const auto t = civil_ms(y, mo, d, h, mi, sec, ms);
    if (!t) return std::nullopt;
    if (style) *style = found;
    return t;
}

std::string format_timestamp(std::int64_t t_ms, TimestampStyle style) {
    using namespace std::chrono;
    std::int64_t day_count = t_ms / 86'400'000;
    std::int64_t in_day = t_ms % 86'400'000;
    if (in_day < 0) {
        in_day += 86'400'000;
        --day_count;
    }
    const year_month_day ymd{sys_days{days{day_count}}};
    const auto h = in_day / 3'600'000, mi = in_day / 60'000 % 60, sec = in_day / 1000 % 60, ms = in_day % 1000;
    char buf[64];
    if (style == TimestampStyle::day_month_year) {
        std::snprintf(buf, sizeof buf, "%02u/%02u/%04d %02lld:%02lld:%02lld", static_cast<unsigned>(ymd.day()),
                      static_cast<unsigned>(ymd.month()), static_cast<int>(ymd.year()), static_cast<long long>(h),
                      static_cast<long long>(mi), static_cast<long long>(sec));
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long long>(h),
                      static_cast<long long>(mi), static_cast<long long>(sec));
    }
    std::string out = buf;
    if (ms != 0) {
        std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(ms));
        out += buf;
    }
    if (style == TimestampStyle::iso8601) out += 'Z';
    return out;
}

ActigraphySeries parse_actigraphy_csv(std::string_view text, const std::string& name,
                                      const ActigraphyCsvOptions& options) {
    const std::vector<CsvRecord> records = parse_csv(text, name);
    if (records.empty()) throw CsvError(name, 0, 0, "empty file: expected a header row with 'timestamp' and a count column");
    const CsvRecord& header = records.front();

    std::vector<std::string> names;
    for (const auto& f : header.fields) names.push_back(lower_trim(f));
    auto find = [&](const std::string& wanted) -> std::optional<std::size_t> {
        const std::string key = lower_trim(wanted);
        for (std::size_t k = 0; k < names.size(); ++k)
            if (names[k] == key) return k;
        return std::nullopt;
    };
    auto list_columns = [&] {
        std::string s;
        for (const auto& f : header.fields) s += (s.empty() ? "" : ", ") + quoted_cell(f);
        return s;
    };

    const auto ts_col = find("timestamp");
    if (!ts_col)
        throw CsvError(name, header.line, 0, "header has no 'timestamp' column (columns: " + list_columns() + ")");
    std::optional<std::size_t> count_col;
    ActigraphySeries out;
    if (!options.column.empty()) {
        count_col = find(options.column);
        if (!count_col)
            throw CsvError(name, header.line, 0,
                           "header has no column " + quoted_cell(options.column) + " (columns: " + list_columns() + ")");
    } else {
        for (const char* candidate : {"axis1", "count", "activity", "Actiwatch activity counts"}) {
            count_col = find(candidate);
            if (count_col) break;
        }
        if (!count_col)
            throw CsvError(name, header.line, 0,
                           "header has none of the count columns axis1, count, activity, 'Actiwatch activity "
                           "counts' (columns: " + list_columns() + "); name one with --column");
    }
    if (*count_col == *ts_col) throw CsvError(name, header.line, 0, "the count column cannot be the timestamp column");
    out.column = header.fields[*count_col];

    if (options.epoch_s && !(std::isfinite(*options.epoch_s) && *options.epoch_s >= 0.001 && *options.epoch_s <= 86'400))
        throw CsvError(name, 0, 0, "epoch length must be between 0.001 and 86400 s, got " + number(*options.epoch_s));

    struct Row {
        std::int64_t t_ms;
        std::string stamp;
        std::optional<double> count;
        std::size_t line;
        std::size_t ts_col;
    };
    std::vector<Row> rows;
    rows.reserve(records.size());
    bool style_set = false;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const CsvRecord& rec = records[r];
        if (rec.fields.size() != header.fields.size())
            throw CsvError(name, rec.line, 0,
                           "row has " + std::to_string(rec.fields.size()) + " fields, the header has " +
                               std::to_string(header.fields.size()));
        const std::string& stamp = rec.fields[*ts_col];
        TimestampStyle style{};
        const auto t = parse_timestamp_ms(stamp, &style);
        if (!t)
            throw CsvError(name, rec.line, rec.cols[*ts_col],
                           "timestamp " + quoted_cell(stamp) +
                               " is not a date and time (expected e.g. 2012-06-27T10:54:00Z or 01/01/2000 01:17:00)");
        if (!style_set) {
            out.style = style;
            style_set = true;
        }
        if (!rows.empty() && *t <= rows.back().t_ms)
            throw CsvError(name, rec.line, rec.cols[*ts_col],
                           "timestamp " + quoted_cell(stamp) + " is not after the previous row's (line " +
                               std::to_string(rows.back().line) + "); rows must be in increasing time without repeats");

        const std::string_view cell = trim(rec.fields[*count_col]);
        std::optional<double> count;
        if (!cell.empty() && cell != "NA") {
            double v = 0;
            const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
            if (ec == std::errc::result_out_of_range)
                throw CsvError(name, rec.line, rec.cols[*count_col],
                               "count " + quoted_cell(cell) + " is out of range (at most " + std::to_string(static_cast<long long>(MAX_COUNT)) + ")");
            if (ec != std::errc{} || end != cell.data() + cell.size())
                throw CsvError(name, rec.line, rec.cols[*count_col],
                               "count " + quoted_cell(cell) + " is not a number (write NA or leave it empty when missing)");
            if (!std::isfinite(v))
                throw CsvError(name, rec.line, rec.cols[*count_col],
                               "count " + quoted_cell(cell) + " is not a finite number (write NA when missing)");
            if (v < 0)
                throw CsvError(name, rec.line, rec.cols[*count_col], "count " + quoted_cell(cell) + " is negative");
            if (v > MAX_COUNT)
                throw CsvError(name, rec.line, rec.cols[*count_col],
                               "count " + quoted_cell(cell) + " is implausibly large (at most " + std::to_string(static_cast<long long>(MAX_COUNT)) + ")");
            count = v;
        }
        rows.push_back({*t, stamp, count, rec.line, rec.cols[*ts_col]});
    }
    if (rows.empty()) throw CsvError(name, header.line, 0, "no data rows after the header");

    std::int64_t epoch_ms = 0;
    if (options.epoch_s) {
        epoch_ms = static_cast<std::int64_t>(std::llround(*options.epoch_s * 1000));
    } else {
        if (rows.size() < 2)
            throw CsvError(name, rows.front().line, 0, "one data row: the epoch length cannot be inferred; give --epoch-s");
        epoch_ms = rows[1].t_ms - rows[0].t_ms;
        for (std::size_t k = 1; k < rows.size(); ++k) epoch_ms = std::min(epoch_ms, rows[k].t_ms - rows[k - 1].t_ms);
    }
    out.epoch_s = static_cast<double>(epoch_ms) / 1000.0;

    for (std::size_t k = 0; k < rows.size(); ++k) {
        if (k > 0) {
            const std::int64_t step = rows[k].t_ms - rows[k - 1].t_ms;
            if (step % epoch_ms != 0)
                throw CsvError(name, rows[k].line, rows[k].ts_col,
                               "timestamp " + quoted_cell(rows[k].stamp) + " is " + number(static_cast<double>(step) / 1000.0) +
                                   " s after the previous row, not a whole number of " + number(out.epoch_s) + "-s epochs");
            const std::int64_t skipped = step / epoch_ms - 1;
            if (static_cast<std::uint64_t>(skipped) + out.counts.size() > MAX_EPOCHS)
                throw CsvError(name, rows[k].line, rows[k].ts_col,
                               "gap before this row would make the series longer than " + std::to_string(MAX_EPOCHS) + " epochs");
            for (std::int64_t g = 1; g <= skipped; ++g) {
                const std::int64_t t = rows[k - 1].t_ms + g * epoch_ms;
                out.t_ms.push_back(t);
                out.timestamps.push_back(format_timestamp(t, out.style));
                out.counts.push_back(std::nullopt);
                out.lines.push_back(0);
            }
        }
        out.t_ms.push_back(rows[k].t_ms);
        out.timestamps.push_back(std::move(rows[k].stamp));
        out.counts.push_back(rows[k].count);
        out.lines.push_back(rows[k].line);
    }
    return out;
}

ActigraphySeries read_actigraphy_csv(const std::string& path, const ActigraphyCsvOptions& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CsvError(path, 0, 0, "cannot open the file for reading");
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) throw CsvError(path, 0, 0, "read error");
    return parse_actigraphy_csv(buf.str(), path, options);
}

ActigraphySeries combine_epochs(const ActigraphySeries& series, double target_epoch_s) {
    const double ratio = target_epoch_s / series.epoch_s;
    const double factor = std::round(ratio);
    if (!std::isfinite(ratio) || factor < 1 || std::abs(ratio - factor) > 1e-9)
        throw std::invalid_argument(number(target_epoch_s) + "-s epochs cannot be made from " +
                                    number(series.epoch_s) + "-s epochs (not a whole multiple)");
    const auto k = static_cast<std::size_t>(factor);
    ActigraphySeries out;
    out.column = series.column;
    out.epoch_s = target_epoch_s;
    out.style = series.style;
    out.counts = score::sum_epochs(series.counts, k);
    for (std::size_t i = 0; i < series.counts.size(); i += k) {
        out.t_ms.push_back(series.t_ms[i]);
        out.timestamps.push_back(series.timestamps[i]);
        out.lines.push_back(series.lines[i]);
    }
    return out;
}

}  // namespace hypnic::adapters
