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
/// +0.0), then a double. A decimal is rounded to the nearest double: with a significand up to
/// 2^53 and a power of ten of at most 22 by one exact division or multiplication (Clinger's fast
/// path), else by std::from_chars (also correctly rounded). Boost.JSON 1.81 does not always round
/// to the nearest (it may be 1 ULP off); where it is off, this is the correct value. False for
/// text that is not a JSON number, for integers of more than 19 digits, for a value that
/// overflows or underflows, and for a zero with a huge exponent: the callers leave those to their
/// complete Boost.JSON path, as before.
inline bool parse_number(std::string_view token, double& out) {
    static constexpr double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char* p = token.data();
    const char* const end = p + token.size();
    const auto digit = [&](const char* q) { return q < end && *q >= '0' && *q <= '9'; };
    const bool negative = p < end && *p == '-';
    if (negative) ++p;
    std::uint64_t mantissa = 0;
    int digits = 0;     // significant digits seen
    bool exact = true;  // all of them are in `mantissa`
    const char* const first = p - (negative ? 1 : 0);
    const auto take = [&](char c) {
        if (mantissa == 0 && c == '0') return;  // leading zeros of a fraction add nothing
        if (++digits > 19) {
            exact = false;
            return;
        }
        mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
    };
    if (!digit(p)) return false;
    if (*p == '0') {
        ++p;  // JSON allows no other digit after a leading zero
    } else {
        while (digit(p)) take(*p++);
    }
    bool integer = true;
    int exponent = 0;
    if (p < end && *p == '.') {
        integer = false;
        ++p;
        if (!digit(p)) return false;
        while (digit(p)) {
            take(*p++);
            if (exact) --exponent;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        ++p;
        const bool exp_negative = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+')) ++p;
        if (!digit(p)) return false;
        int e = 0;
        while (digit(p)) {
            if (e > 1000) return false;
            e = e * 10 + (*p++ - '0');
        }
        exponent += exp_negative ? -e : e;
    }
    const char* const last = p;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    if (p != end) return false;
    if (integer) {
        if (!exact) return false;
        if (negative && mantissa > (std::uint64_t{1} << 63)) return false;  // below int64
        // As Boost.JSON: an integer is an int64 (so "-0" is 0) or a uint64, then a double.
        if (negative) out = mantissa == 0 ? 0.0 : -static_cast<double>(mantissa);
        else out = static_cast<double>(mantissa);
        return true;
    }
    // A zero with a huge exponent (0e400) also goes to the complete path: Boost.JSON 1.81 reads it
    // as NaN, refused there as before.
    if (mantissa == 0) {
        if (exponent < -22 || exponent > 22) return false;
        out = negative ? -0.0 : 0.0;
        return true;
    }
    if (!exact || mantissa > (std::uint64_t{1} << 53) || exponent < -22 || exponent > 22) {
        // The digits dropped after the 19th shift the decimal point: from_chars reads the text.
        const auto r = std::from_chars(first, last, out);
        return r.ec == std::errc() && r.ptr == last;
    }
    double d = static_cast<double>(mantissa);
    d = exponent < 0 ? d / POW10[-exponent] : d * POW10[exponent];
    out = negative ? -d : d;
    return true;
}

/// The number at `v` (an On-Demand value) by parse_number, from its raw token. simdjson 3.0.1's
/// own number parsing (get_double, get_number) is not used: it returns wrong values for some
/// decimals of more than 19 digits (a 0.0333…30 of 24 digits reads as 0.000129).
template <class Value>
inline bool number(Value& v, double& out) {
    return parse_number(v.raw_json_token(), out);
}

}  // namespace hypnic::fastjson
