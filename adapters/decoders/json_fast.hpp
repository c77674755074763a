// simdjson On-Demand helpers for the capture reader's fast path: padding, the end of a document, numbers.
#pragma once

#include <simdjson.h>

#include <charconv>
#include <cstddef>
#include <system_error>
#include <cstdint>
#include <string>
#include <string_view>

namespace hypnic::fastjson {

namespace od = simdjson::ondemand;

/// Starts On-Demand parsing of `text` in place, first making room for the padding after it
/// (a reserve: no copy once the string has grown to its working size).
inline simdjson::simdjson_result<od::document> iterate_in_place(od::parser& parser, std::string& text) {
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    return parser.iterate(text.data(), text.size(), text.capacity());
}

/// True when nothing but whitespace follows what was read of `doc` (simdjson 3.0 has no
/// document::at_end: past the last token its current location is out of bounds).
inline bool at_end(od::document& doc) {
    const char* where = nullptr;
    return doc.current_location().get(where) == simdjson::OUT_OF_BOUNDS;
}

/// A JSON number token (`token`: raw JSON, possibly followed by whitespace) as a double, typed as
/// Boost.JSON types it: an integer of up to 19 digits is an int64 or uint64 first (so "-0" is
/// +0.0), then a double; a decimal is std::from_chars's correctly rounded double. Boost.JSON 1.81
/// does not always round to the nearest (it may be 1 ULP off); where it is off, this is the
/// correct value. False for text that is not a JSON number (std::from_chars alone would take "01",
/// "inf" or "1."), for integers of more than 19 digits, for a value that overflows or underflows,
/// and for a zero with a power of ten beyond ±22: the callers leave those to their complete
/// Boost.JSON path (which reads 0e400 as NaN and refuses it).
inline bool parse_number(std::string_view token, double& out) {
    const char* p = token.data();
    const char* const end = p + token.size();
    const auto digit = [&](const char* q) { return q < end && *q >= '0' && *q <= '9'; };
    const char* const first = p;
    const bool negative = p < end && *p == '-';
    if (negative) ++p;
    const char* const int_first = p;
    bool nonzero = false;  // a digit other than 0 anywhere in the significand
    if (!digit(p)) return false;
    if (*p == '0') {
        ++p;  // JSON allows no other digit after a leading zero
    } else {
        nonzero = true;
        while (digit(p)) ++p;
    }
    const char* const int_last = p;
    int fraction_digits = 0;
    bool integer = true;
    if (p < end && *p == '.') {
        integer = false;
        ++p;
        if (!digit(p)) return false;
        for (; digit(p); ++p, ++fraction_digits) nonzero = nonzero || *p != '0';
    }
    int exponent = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        ++p;
        const bool exp_negative = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+')) ++p;
        if (!digit(p)) return false;
        while (digit(p)) {
            if (exponent > 1000) return false;
            exponent = exponent * 10 + (*p++ - '0');
        }
        if (exp_negative) exponent = -exponent;
    }
    const char* const last = p;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    if (p != end) return false;
    if (integer) {
        if (int_last - int_first > 19) return false;
        std::uint64_t magnitude = 0;  // 19 digits always fit
        std::from_chars(int_first, int_last, magnitude);
        if (negative && magnitude > (std::uint64_t{1} << 63)) return false;  // below int64
        out = negative && magnitude != 0 ? -static_cast<double>(magnitude) : static_cast<double>(magnitude);
        return true;
    }
    if (!nonzero) {
        if (exponent - fraction_digits < -22 || exponent - fraction_digits > 22) return false;
        out = negative ? -0.0 : 0.0;
        return true;
    }
    const auto r = std::from_chars(first, last, out);
    return r.ec == std::errc() && r.ptr == last;
}

/// The number at `v` (an On-Demand value) by parse_number, from its raw token. simdjson 3.0.1's
/// own number parsing (get_double, get_number) is not used: it returns wrong values for some
/// decimals of more than 19 digits (a 0.0333…30 of 24 digits reads as 0.000129).
template <class Value>
inline bool number(Value& v, double& out) {
    return parse_number(v.raw_json_token(), out);
}

}  // namespace hypnic::fastjson
