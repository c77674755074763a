// Bounded JSON parsing and the small typed accessors every decoder uses for clear errors.
#include "adapters/decoders/json_util.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace hypnic::decode {

namespace json = boost::json;

std::optional<json::value> parse_json(std::string_view who, std::string_view payload, DecodeResult& err,
                                      json::storage_ptr storage) {
    json::parse_options opts;
    opts.max_depth = MAX_JSON_DEPTH;
    opts.allow_invalid_utf8 = false;
    // The parser's own stack starts in this buffer: no allocation for an ordinary payload.
    unsigned char temp[4096];
    json::parser p(json::storage_ptr(), opts, temp);
    p.reset(std::move(storage));
    boost::system::error_code ec;
    const std::size_t used = p.write(payload.data(), payload.size(), ec);
    if (ec) {
        const bool depth = ec == json::error::too_deep;
        err = DecodeResult::fail(depth ? "depth" : "json",
                                 std::string(who) + ": " +
                                     (depth ? "JSON nested deeper than " + std::to_string(MAX_JSON_DEPTH) + " levels"
                                            : "invalid JSON (" + ec.message() + ")") +
                                     " at byte " + std::to_string(used) + " of " + std::to_string(payload.size()));
        return std::nullopt;
    }
    return p.release();
}

std::string quote(std::string_view s) {
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out = "\"";
    const std::size_t n = s.size() < 40 ? s.size() : 40;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
        } else {
            out += "\\x";
            out.push_back(HEX[c >> 4]);
            out.push_back(HEX[c & 0xF]);
        }
    }
    out.push_back('"');
    if (s.size() > n) out += "...";
    return out;
}

std::string show(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string_view type_name(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: return "a number";
        case json::kind::string: return "a string";
        case json::kind::array: return "an array";
        case json::kind::object: return "an object";
    }
    return "unknown";
}

std::string_view trim(std::string_view s) {
    const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::optional<double> as_number(const json::value& v) {
    switch (v.kind()) {
        case json::kind::int64: return static_cast<double>(v.get_int64());
        case json::kind::uint64: return static_cast<double>(v.get_uint64());
        case json::kind::double_: return v.get_double();
        default: return std::nullopt;
    }
}

bool number_field(std::string_view who, const json::object& o, std::string_view key, bool required,
                  std::optional<double>& out, DecodeResult& err) {
    out.reset();
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
        if (!required) return true;
        err = DecodeResult::fail("missing", std::string(who) + ": field \"" + std::string(key) + "\" is required");
        return false;
    }
    const auto d = as_number(*v);
    if (!d) {
        err = DecodeResult::fail("type", std::string(who) + ": field \"" + std::string(key) + "\" is " +
                                             std::string(type_name(*v)) + ", expected a number");
        return false;
    }
    if (!std::isfinite(*d)) {
        err = DecodeResult::fail("range", std::string(who) + ": field \"" + std::string(key) + "\" is not finite");
        return false;
    }
    out = *d;
    return true;
}

std::optional<bool> parse_on_off(std::string_view text) {
    const std::string_view t = trim(text);
    for (std::string_view on : {"on", "true", "1", "occupied"})
        if (iequals(t, on)) return true;
    for (std::string_view off : {"off", "false", "0", "vacant"})
        if (iequals(t, off)) return false;
    return std::nullopt;
}

std::optional<bool> json_on_off(const json::value& v) {
    if (v.is_bool()) return v.get_bool();
    if (v.is_string()) return parse_on_off(std::string_view(v.get_string()));
    if (const auto d = as_number(v)) {
        if (*d == 1) return true;
        if (*d == 0) return false;
    }
    return std::nullopt;
}

std::optional<double> parse_plain_number(std::string_view text) {
    std::string_view t = trim(text);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);  // "+3" is a number to a person
    if (t.empty()) return std::nullopt;
    double v = 0;
    const auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    if (res.ec == std::errc::result_out_of_range) {
        // from_chars refuses to round 1e999 to infinity; report it as a non-finite number instead.
        return t.front() == '-' ? -HUGE_VAL : HUGE_VAL;
    }
    if (res.ec != std::errc() || res.ptr != t.data() + t.size()) return std::nullopt;
    return v;
}

const json::value* resolve_pointer(std::string_view who, const json::value& root, std::string_view pointer,
                                   DecodeResult& err) {
    if (pointer.empty()) return &root;
    if (pointer.front() != '/') {
        err = DecodeResult::fail("format", std::string(who) + ": value pointer " + quote(pointer) +
                                               " must be empty or start with '/'");
        return nullptr;
    }
    boost::system::error_code ec;
    const json::value* v = root.find_pointer(json::string_view(pointer.data(), pointer.size()), ec);
    if (v == nullptr) {
        err = DecodeResult::fail("missing", std::string(who) + ": nothing at value pointer " + quote(pointer) +
                                                (ec ? " (" + ec.message() + ")" : std::string()));
        return nullptr;
    }
    return v;
}

bool check_time(std::string_view who, std::string_view field, double t, UnixS arrival, DecodeResult& err) {
    if (t < arrival - MAX_PAST_S) {
        err = DecodeResult::fail("range", std::string(who) + ": \"" + std::string(field) + "\" " + show(t) +
                                              " is more than a year before the arrival time " + show(arrival));
        return false;
    }
    if (t > arrival + MAX_FUTURE_S) {
        err = DecodeResult::fail("range", std::string(who) + ": \"" + std::string(field) + "\" " + show(t) +
                                              " is more than a day after the arrival time " + show(arrival));
        return false;
    }
    return true;
}

bool check_rate(std::string_view who, std::string_view field, double hz, DecodeResult& err) {
    if (!(hz >= MIN_RATE_HZ && hz <= MAX_RATE_HZ)) {
        err = DecodeResult::fail("range", std::string(who) + ": \"" + std::string(field) + "\" is " + show(hz) +
                                              " Hz, outside " + show(MIN_RATE_HZ) + ".." + show(MAX_RATE_HZ));
        return false;
    }
    return true;
}

bool only_fields(std::string_view who, const json::object& o, std::initializer_list<std::string_view> allowed,
                 DecodeResult& err) {
    for (const auto& kv : o) {
        const std::string_view k(kv.key().data(), kv.key().size());
        bool known = false;
        for (const auto a : allowed) known = known || a == k;
        if (!known) {
            err = DecodeResult::fail("field", std::string(who) + ": unknown field " + quote(k));
            return false;
        }
    }
    return true;
}

}  // namespace hypnic::decode

namespace hypnic::decode {

bool is_placeholder_state(std::string_view text) {
    const std::string_view t = trim(text);
    return t.empty() || iequals(t, "unavailable") || iequals(t, "unknown") || iequals(t, "none");
}

namespace {
DecodeResult numeric_from_text(std::string_view who, std::string_view text, UnixS arrival) {
    if (is_placeholder_state(text)) return DecodeResult::ignore("placeholder state " + quote(trim(text)));
    if (const auto d = parse_plain_number(text)) {
        if (!std::isfinite(*d))
            return DecodeResult::fail("range", std::string(who) + ": value " + quote(trim(text)) + " is not finite");
        return DecodeResult::one(SourceValue{arrival, *d});
    }
    if (const auto b = parse_on_off(text)) return DecodeResult::one(SourceValue{arrival, *b ? 1.0 : 0.0});
    return DecodeResult::fail("format", std::string(who) + ": value " + quote(trim(text)) +
                                            " is neither a number nor ON/OFF");
}
}  // namespace

DecodeResult decode_numeric_value(std::string_view who, const SensorSpec& spec, std::string_view payload,
                                  UnixS arrival, bool json) {
    if (!json) return numeric_from_text(who, payload, arrival);
    DecodeResult err;
    auto doc = parse_json(who, payload, err);
    if (!doc) return err;
    const boost::json::value* v = resolve_pointer(who, *doc, spec.value_pointer, err);
    if (v == nullptr) return err;
    const std::string at = spec.value_pointer.empty() ? "the payload" : "value " + quote(spec.value_pointer);
    if (v->is_null()) return DecodeResult::ignore(at + " is null");
    if (v->is_bool()) return DecodeResult::one(SourceValue{arrival, v->get_bool() ? 1.0 : 0.0});
    if (const auto d = as_number(*v)) {
        if (!std::isfinite(*d)) return DecodeResult::fail("range", std::string(who) + ": " + at + " is not finite");
        return DecodeResult::one(SourceValue{arrival, *d});
    }
    if (v->is_string()) return numeric_from_text(who, std::string_view(v->get_string()), arrival);
    return DecodeResult::fail("type", std::string(who) + ": " + at + " is " + std::string(type_name(*v)) +
                                          ", expected a number, boolean or string");
}

}  // namespace hypnic::decode
