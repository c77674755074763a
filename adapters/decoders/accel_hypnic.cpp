// Decoder accel/hypnic: raw three-axis accelerometer batches from a bed sensor.
#include <cmath>

#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::string_view WHO = "accel/hypnic";

DecodeResult decode_accel(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
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
}  // namespace

extern const DecoderDescriptor ACCEL_HYPNIC;
const DecoderDescriptor ACCEL_HYPNIC{
    SensorKind::accel, "hypnic",
    "raw 3-axis accelerometer batch in g (or m/s2), evenly spaced at hz, first sample at t0",
    R"({"t0": 1764104523.0, "hz": 50, "xyz": [[0.012, -0.004, 0.998], [0.015, -0.002, 1.003]]})", decode_accel};

}  // namespace hypnic
