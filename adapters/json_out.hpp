// A tiny deterministic JSON writer for everything hypnic publishes (byte-for-byte stable output).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hypnic {

/// Appends `s` to `out` as a JSON string literal (with quotes). `"`, `\` and control characters are
/// escaped; bytes that are not valid UTF-8 become U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

/// Formats `v` rounded to `decimals` places (0..9) in the shortest form that reads back to the
/// rounded value: 0.0831 with 3 decimals is "0.083", 2.0 is "2", -0.0004 with 3 is "0".
/// Non-finite values give "null" (JSON has no NaN/Inf).
std::string format_json_number(double v, int decimals);

/// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

/// Builds one JSON text. Calls must nest correctly (begin/end pairs, a key before every value inside
/// an object); the writer inserts commas and never adds whitespace.
class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// The next member's name (inside an object only).
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b);
    JsonWriter& value(std::int64_t i);
    JsonWriter& value(int i) { return value(static_cast<std::int64_t>(i)); }
    JsonWriter& value(std::uint64_t u);
    /// A double rounded to `decimals` places (see format_json_number); non-finite gives null.
    JsonWriter& number(double v, int decimals);
    JsonWriter& null();
    /// Inserts an already-serialised JSON value verbatim (caller guarantees it is valid).
    JsonWriter& raw(std::string_view json);

    const std::string& str() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void before_value();
    std::string out_;
    std::vector<bool> first_;  // one entry per open container: no member written yet
    bool after_key_ = false;
};

}  // namespace hypnic
