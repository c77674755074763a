// Decoder accel/hypnic: raw three-axis accelerometer batches from a bed sensor.
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "adapters/decoders/accel_hypnic.hpp"
#include "adapters/decoders/json_util.hpp"

#include <boost/json/basic_parser_impl.hpp>

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::string_view WHO = "accel/hypnic";

// The complete decoder: builds the JSON tree and names exactly what is wrong with a bad payload.
DecodeResult decode_accel_checked(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    DecodeResult err;
    // A 1-s batch at 100 Hz is a few hundred JSON values: build them in one stack buffer (more
    // spills to the heap) instead of one allocation each.
    unsigned char arena[16384];
    json::monotonic_resource mr(arena, sizeof arena);
    auto doc = decode::parse_json(WHO, payload, err, &mr);
    if (!doc) return err;
    if (!doc->is_object())
        return DecodeResult::fail("type", std::string(WHO) + ": payload is " + std::string(decode::type_name(*doc)) +
                                              ", expected an object {\"t0\", \"hz\", \"xyz\"}");
    const json::object& o = doc->get_object();
    if (!decode::only_fields(WHO, o, {"t0", "hz", "xyz", "unit"}, err)) return err;

    // The unit in the payload wins over the configured one: the device knows what it sends.
    std::string unit = spec.unit.empty() ? "g" : spec.unit;
    if (const json::value* u = o.if_contains("unit")) {
        if (!u->is_string())
            return DecodeResult::fail("type", std::string(WHO) + ": field \"unit\" is " +
                                                  std::string(decode::type_name(*u)) + ", expected \"g\" or \"m/s2\"");
        unit = std::string(u->get_string());
    }
    double scale = 1;
    if (unit == "m/s2")
        scale = 1 / STANDARD_GRAVITY;
    else if (unit != "g")
        return DecodeResult::fail("range", std::string(WHO) + ": unit " + decode::quote(unit) +
                                               " is not supported, expected \"g\" or \"m/s2\"");

    std::optional<double> hz, t0;
    if (!decode::number_field(WHO, o, "hz", true, hz, err)) return err;
    if (!decode::check_rate(WHO, "hz", *hz, err)) return err;
    if (!decode::number_field(WHO, o, "t0", false, t0, err)) return err;

    const json::value* xyz = o.if_contains("xyz");
    if (xyz == nullptr) return DecodeResult::fail("missing", std::string(WHO) + ": field \"xyz\" is required");
    if (!xyz->is_array())
        return DecodeResult::fail("type", std::string(WHO) + ": field \"xyz\" is " +
                                              std::string(decode::type_name(*xyz)) + ", expected an array of [x,y,z]");
    const json::array& rows = xyz->get_array();
    if (rows.empty()) return DecodeResult::fail("missing", std::string(WHO) + ": field \"xyz\" has no samples");
    if (rows.size() > MAX_SAMPLES)
        return DecodeResult::fail("too_large", std::string(WHO) + ": field \"xyz\" has " + std::to_string(rows.size()) +
                                                   " samples, more than " + std::to_string(MAX_SAMPLES));

    AccelBatch b;
    b.hz = *hz;
    b.xyz_g.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const json::value& row = rows[i];
        // Built only on failure: this loop runs for every sample of every batch.
        const auto where = [i] { return std::string(WHO) + ": \"xyz\"[" + std::to_string(i) + "]"; };
        if (!row.is_array())
            return DecodeResult::fail("type", where() + " is " + std::string(decode::type_name(row)) +
                                                  ", expected [x,y,z]");
        const json::array& a = row.get_array();
        if (a.size() != 3)
            return DecodeResult::fail("type", where() + " has " + std::to_string(a.size()) +
                                                  " values, expected 3 (x, y, z)");
        std::array<float, 3> s{};
        for (std::size_t k = 0; k < 3; ++k) {
            const auto d = decode::as_number(a[k]);
            if (!d)
                return DecodeResult::fail("type", where() + "[" + std::to_string(k) + "] is " +
                                                      std::string(decode::type_name(a[k])) + ", expected a number");
            const double g = *d * scale;
            if (!std::isfinite(g) || std::fabs(g) > MAX_ACCEL_G)
                return DecodeResult::fail("range", where() + "[" + std::to_string(k) + "] is " + decode::show(g) +
                                                       " g, outside -16..16 g");
            s[k] = static_cast<float>(g);
        }
        b.xyz_g.push_back(s);
    }
    // Without t0 the sender is assumed to publish right after its last sample.
    b.t0 = t0 ? *t0 : arrival - static_cast<double>(rows.size() - 1) / b.hz;
    if (!decode::check_time(WHO, t0 ? "t0" : "arrival", b.t0, arrival, err)) return err;
    return DecodeResult::one(std::move(b));
}
// The fast path: Boost.JSON's event parser straight into the samples, no tree. (A simdjson
// On-Demand fast path was measured against it on the 100 Hz night's batches and was slower,
// 7.4 against 5.8 µs per batch: the time is in the 300 numbers, and rounding them to the nearest
// double costs a division each where Boost.JSON multiplies; docs/performance.md.) It accepts only
// the plain, valid shape of a batch; on anything else (an unknown or repeated field, a wrong
// type, a row that is not 3 numbers, a value out of range, invalid JSON) it gives up and the
// complete decoder above runs instead, so the result and every error stay exactly those of the
// complete decoder. Numbers come from the same parser with the same options, converted the same
// way (int64, uint64 or double to double, times the unit's scale, to float).
class FastBatch {
public:
    static constexpr std::size_t max_object_size = 4;
    static constexpr std::size_t max_array_size = MAX_SAMPLES;
    static constexpr std::size_t max_key_size = 8;
    static constexpr std::size_t max_string_size = 16;

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code& ec) { return ++depth_ == 1 || give_up(ec); }
    bool on_object_end(std::size_t, boost::system::error_code&) {
        --depth_;
        return true;
    }
    bool on_array_begin(boost::system::error_code& ec) {
        ++depth_;
        if (depth_ == 2 && field_ == Field::xyz && !seen_xyz_) return true;
        if (depth_ == 3) {
            n_in_row_ = 0;
            return true;
        }
        return give_up(ec);
    }
    bool on_array_end(std::size_t, boost::system::error_code& ec) {
        if (depth_ == 3) {
            if (n_in_row_ != 3) return give_up(ec);
            ++rows_;
        } else if (depth_ == 2) {
            seen_xyz_ = true;
            field_ = Field::none;
        }
        --depth_;
        return true;
    }
    bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(std::string_view s, std::size_t, boost::system::error_code& ec) {
        key_.append(s.data(), s.size());
        const std::string_view k = key_;
        field_ = k == "t0" ? Field::t0 : k == "hz" ? Field::hz : k == "xyz" ? Field::xyz : k == "unit" ? Field::unit : Field::none;
        key_.clear();
        if (depth_ != 1 || field_ == Field::none) return give_up(ec);
        // A repeated field: the complete decoder decides what that means.
        const bool again = (field_ == Field::t0 && t0_) || (field_ == Field::hz && hz_) ||
                           (field_ == Field::xyz && seen_xyz_) || (field_ == Field::unit && unit_);
        return !again || give_up(ec);
    }
    bool on_string_part(std::string_view s, std::size_t, boost::system::error_code&) {
        str_.append(s.data(), s.size());
        return true;
    }
    bool on_string(std::string_view s, std::size_t, boost::system::error_code& ec) {
        str_.append(s.data(), s.size());
        if (depth_ != 1 || field_ != Field::unit) return give_up(ec);
        unit_ = str_;
        str_.clear();
        return true;
    }
    bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
    bool on_int64(std::int64_t v, std::string_view, boost::system::error_code& ec) { return number(static_cast<double>(v), ec); }
    bool on_uint64(std::uint64_t v, std::string_view, boost::system::error_code& ec) { return number(static_cast<double>(v), ec); }
    bool on_double(double v, std::string_view, boost::system::error_code& ec) { return number(v, ec); }
    bool on_bool(bool, boost::system::error_code& ec) { return give_up(ec); }
    bool on_null(boost::system::error_code& ec) { return give_up(ec); }
    bool on_comment_part(std::string_view, boost::system::error_code& ec) { return give_up(ec); }
    bool on_comment(std::string_view, boost::system::error_code& ec) { return give_up(ec); }

    /// The batch when the payload had the plain valid shape; nullopt sends it to the complete decoder.
    std::optional<AccelBatch> batch(const SensorSpec& spec, UnixS arrival) const {
        if (!seen_xyz_ || rows_ == 0 || !hz_) return std::nullopt;
        const std::string unit = unit_ ? *unit_ : (spec.unit.empty() ? "g" : spec.unit);
        double scale = 1;
        if (unit == "m/s2")
            scale = 1 / STANDARD_GRAVITY;
        else if (unit != "g")
            return std::nullopt;
        DecodeResult err;
        if (!std::isfinite(*hz_) || !decode::check_rate(WHO, "hz", *hz_, err)) return std::nullopt;
        if (t0_ && !std::isfinite(*t0_)) return std::nullopt;
        AccelBatch b;
        b.hz = *hz_;
        b.xyz_g.resize(rows_);
        for (std::size_t i = 0; i < rows_; ++i)
            for (std::size_t k = 0; k < 3; ++k) {
                const double g = values_[3 * i + k] * scale;
                if (!std::isfinite(g) || std::fabs(g) > MAX_ACCEL_G) return std::nullopt;
                b.xyz_g[i][k] = static_cast<float>(g);
            }
        b.t0 = t0_ ? *t0_ : arrival - static_cast<double>(rows_ - 1) / b.hz;
        if (!decode::check_time(WHO, t0_ ? "t0" : "arrival", b.t0, arrival, err)) return std::nullopt;
        return b;
    }

private:
    enum class Field { none, t0, hz, xyz, unit };

    bool give_up(boost::system::error_code& ec) {
        ec = boost::json::error::syntax;  // any error stops the parser; the reason is not used
        return false;
    }
    bool number(double v, boost::system::error_code& ec) {
        if (depth_ == 3) {
            if (n_in_row_ == 3 || rows_ >= MAX_SAMPLES) return give_up(ec);
            ++n_in_row_;
            values_.push_back(v);
            return true;
        }
        if (depth_ != 1) return give_up(ec);
        if (field_ == Field::t0) {
            t0_ = v;
            return true;
        }
        if (field_ == Field::hz) {
            hz_ = v;
            return true;
        }
        return give_up(ec);
    }

    int depth_ = 0;
    Field field_ = Field::none;
    std::string key_, str_;
    std::optional<double> t0_, hz_;
    std::optional<std::string> unit_;
    bool seen_xyz_ = false;
    std::size_t rows_ = 0;
    std::size_t n_in_row_ = 0;
    std::vector<double> values_;
};

DecodeResult decode_accel(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    json::parse_options opts;
    opts.max_depth = MAX_JSON_DEPTH;
    opts.allow_invalid_utf8 = false;
    json::basic_parser<FastBatch> p(opts);
    boost::system::error_code ec;
    // Stopping before the end is trailing data, an error to the complete decoder too.
    const std::size_t used = p.write_some(false, payload.data(), payload.size(), ec);
    if (!ec && p.done() && used == payload.size())
        if (auto b = p.handler().batch(spec, arrival)) return DecodeResult::one(std::move(*b));
    return decode_accel_checked(spec, payload, arrival);
}
}  // namespace

DecodeResult decode_accel_complete(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    return decode_accel_checked(spec, payload, arrival);
}

extern const DecoderDescriptor ACCEL_HYPNIC;
const DecoderDescriptor ACCEL_HYPNIC{
    SensorKind::accel, "hypnic",
    "raw 3-axis accelerometer batch in g (or m/s2), evenly spaced at hz, first sample at t0",
    R"({"t0": 1764104523.0, "hz": 50, "xyz": [[0.012, -0.004, 0.998], [0.015, -0.002, 1.003]]})", decode_accel};

}  // namespace hypnic
