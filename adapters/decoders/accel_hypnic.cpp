// Decoder accel/hypnic: raw three-axis accelerometer batches from a bed sensor.
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "adapters/decoders/accel_hypnic.hpp"
#include "adapters/decoders/json_fast.hpp"
#include "adapters/decoders/json_util.hpp"

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
// The fast path: simdjson On-Demand straight into the samples, no tree. It accepts only the
// plain, valid shape of a batch (the fields t0, hz, xyz, unit, each at most once, rows of exactly
// 3 short numbers, nothing after the object); on anything else it gives up and the complete
// decoder above runs instead, so every error stays exactly the complete decoder's. Numbers are
// typed as Boost.JSON types them and correctly rounded (fastjson::parse_number), then
// converted the same way (to double, times the unit's scale, to float).
struct FastScratch {
    fastjson::PaddedText text;
    fastjson::od::parser parser;
    std::vector<double> values;  // x, y, z of each row, before the unit is known
};

// One per thread: the decoder is a pure function called from any thread, and the buffers are
// reused from batch to batch instead of allocated for each.
FastScratch& scratch() {
    thread_local FastScratch s;
    return s;
}

std::optional<AccelBatch> decode_accel_fast(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    namespace od = fastjson::od;
    constexpr std::size_t HUGE_BYTES = std::size_t{1} << 20;
    FastScratch& s = scratch();
    // A huge batch's buffers are given back after it rather than kept for the thread's life.
    struct Release {
        FastScratch& s;
        ~Release() {
            if (s.text.capacity() > HUGE_BYTES) {
                s.text.release();
                s.parser = od::parser();
                s.values = {};
            }
        }
    } release{s};
    s.text.assign(payload);
    s.values.clear();
    od::document doc;
    if (s.text.iterate(s.parser).get(doc) != simdjson::SUCCESS) return std::nullopt;
    od::object o;
    if (doc.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
    std::optional<double> t0, hz;
    std::optional<std::string_view> unit_field;
    bool seen_xyz = false;
    std::size_t rows = 0;
    for (auto field : o) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) return std::nullopt;
        od::value v;
        if (field.value().get(v) != simdjson::SUCCESS) return std::nullopt;
        if (key == "t0" || key == "hz") {
            std::optional<double>& slot = key == "t0" ? t0 : hz;
            double d = 0;
            if (slot || !fastjson::number(v, d)) return std::nullopt;
            slot = d;
        } else if (key == "unit") {
            std::string_view u;
            if (unit_field || v.get_string().get(u) != simdjson::SUCCESS) return std::nullopt;
            unit_field = u;
        } else if (key == "xyz") {
            od::array xyz;
            if (seen_xyz || v.get_array().get(xyz) != simdjson::SUCCESS) return std::nullopt;
            seen_xyz = true;
            for (auto row_value : xyz) {
                od::array row;
                if (row_value.get_array().get(row) != simdjson::SUCCESS || rows == MAX_SAMPLES) return std::nullopt;
                std::size_t n = 0;
                for (auto x : row) {
                    od::value xv;
                    double d = 0;
                    if (n == 3 || x.get(xv) != simdjson::SUCCESS) return std::nullopt;
                    if (!fastjson::number(xv, d)) return std::nullopt;
                    s.values.push_back(d);
                    ++n;
                }
                if (n != 3) return std::nullopt;
                ++rows;
            }
        } else {
            return std::nullopt;
        }
    }
    if (!seen_xyz || rows == 0 || !hz || !fastjson::at_end(doc)) return std::nullopt;

    const std::string_view unit = unit_field ? *unit_field : (spec.unit.empty() ? std::string_view("g") : spec.unit);
    double scale = 1;
    if (unit == "m/s2")
        scale = 1 / STANDARD_GRAVITY;
    else if (unit != "g")
        return std::nullopt;
    DecodeResult err;
    if (!std::isfinite(*hz) || !decode::check_rate(WHO, "hz", *hz, err)) return std::nullopt;
    if (t0 && !std::isfinite(*t0)) return std::nullopt;
    AccelBatch b;
    b.hz = *hz;
    b.xyz_g.resize(rows);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = 0; k < 3; ++k) {
            const double g = s.values[3 * i + k] * scale;
            if (!std::isfinite(g) || std::fabs(g) > MAX_ACCEL_G) return std::nullopt;
            b.xyz_g[i][k] = static_cast<float>(g);
        }
    b.t0 = t0 ? *t0 : arrival - static_cast<double>(rows - 1) / b.hz;
    if (!decode::check_time(WHO, t0 ? "t0" : "arrival", b.t0, arrival, err)) return std::nullopt;
    return b;
}

DecodeResult decode_accel(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    if (auto b = decode_accel_fast(spec, payload, arrival)) return DecodeResult::one(std::move(*b));
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
