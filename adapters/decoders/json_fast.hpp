// simdjson On-Demand helpers shared by the capture reader and the accel decoder's fast path.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace hypnic::fastjson {

namespace od = simdjson::ondemand;

/// A reusable copy of one JSON text with SIMDJSON_PADDING readable bytes after it, as simdjson
/// requires. The storage grows to the largest text seen and is reused, so a stream of texts of
/// similar size costs no allocation per text; `release()` gives a huge one back.
class PaddedText {
public:
    /// Copies `text` in and returns a view of the copy; `capacity()` then covers the padding.
    std::string_view assign(std::string_view text) {
        buf_.reserve(text.size() + simdjson::SIMDJSON_PADDING);
        buf_.assign(text.data(), text.size());
        return buf_;
    }
    /// Starts On-Demand parsing of the text last assigned.
    simdjson::simdjson_result<od::document> iterate(od::parser& parser) {
        return parser.iterate(buf_.data(), buf_.size(), buf_.capacity());
    }
    std::size_t capacity() const { return buf_.capacity(); }
    void release() {
        buf_.clear();
        buf_.shrink_to_fit();
    }

private:
    std::string buf_;
};

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

/// A JSON number as a double, typed the way Boost.JSON types it so that both parsers agree on
/// what a number is: an integer that fits int64 or uint64 is converted from that integer (so
/// "-0" is +0.0, as Boost.JSON reads it as the integer 0); anything else is parsed as a double
/// (correctly rounded by simdjson). False for a non-number or an integer beyond uint64, which the
/// callers leave to the complete Boost.JSON path.
template <class Value>
inline bool number_as_boost(Value&& v, double& out) {
    od::number n;
    if (v.get_number().get(n) != simdjson::SUCCESS) return false;
    switch (n.get_number_type()) {
        case od::number_type::signed_integer: out = static_cast<double>(n.get_int64()); return true;
        case od::number_type::unsigned_integer: out = static_cast<double>(n.get_uint64()); return true;
        case od::number_type::floating_point_number: out = n.get_double(); return true;
    }
    return false;
}

}  // namespace hypnic::fastjson
