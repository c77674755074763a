// Decoder scalar/hypnic: one-channel raw batches (piezo, load cell, pressure) in device units.
#include <cmath>

#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::string_view WHO = "scalar/hypnic";
// Larger magnitudes would overflow the float the core stores the samples in.
constexpr double MAX_ABS_VALUE = 1e30;

DecodeResult decode_scalar(const SensorSpec&, std::string_view payload, UnixS arrival) {
    DecodeResult err;
    auto doc = decode::parse_json(WHO, payload, err);
    if (!doc) return err;
    if (!doc->is_object())
        return DecodeResult::fail("type", std::string(WHO) + ": payload is " + std::string(decode::type_name(*doc)) +
                                              ", expected an object {\"t0\", \"hz\", \"v\"}");
    const json::object& o = doc->get_object();
    if (!decode::only_fields(WHO, o, {"t0", "hz", "v", "unit"}, err)) return err;
    if (const json::value* u = o.if_contains("unit"); u != nullptr && !u->is_string())
        return DecodeResult::fail("type", std::string(WHO) + ": field \"unit\" is " +
                                              std::string(decode::type_name(*u)) + ", expected a string");

    std::optional<double> hz, t0;
    if (!decode::number_field(WHO, o, "hz", true, hz, err)) return err;
    if (!decode::check_rate(WHO, "hz", *hz, err)) return err;
    if (!decode::number_field(WHO, o, "t0", false, t0, err)) return err;

    const json::value* v = o.if_contains("v");
    if (v == nullptr) return DecodeResult::fail("missing", std::string(WHO) + ": field \"v\" is required");
    if (!v->is_array())
        return DecodeResult::fail("type", std::string(WHO) + ": field \"v\" is " + std::string(decode::type_name(*v)) +
                                              ", expected an array of numbers");
    const json::array& a = v->get_array();
    if (a.empty()) return DecodeResult::fail("missing", std::string(WHO) + ": field \"v\" has no samples");
    if (a.size() > MAX_SAMPLES)
        return DecodeResult::fail("too_large", std::string(WHO) + ": field \"v\" has " + std::to_string(a.size()) +
                                                   " samples, more than " + std::to_string(MAX_SAMPLES));
    ScalarBatch b;
    b.hz = *hz;
    b.v.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto d = decode::as_number(a[i]);
        const auto where = [i] { return std::string(WHO) + ": \"v\"[" + std::to_string(i) + "]"; };
        if (!d) return DecodeResult::fail("type", where() + " is " + std::string(decode::type_name(a[i])) + ", expected a number");
        if (!std::isfinite(*d) || std::fabs(*d) > MAX_ABS_VALUE)
            return DecodeResult::fail("range", where() + " is " + decode::show(*d) + ", not a finite value within ±1e30");
        b.v.push_back(static_cast<float>(*d));
    }
    b.t0 = t0 ? *t0 : arrival - static_cast<double>(a.size() - 1) / b.hz;
    if (!decode::check_time(WHO, t0 ? "t0" : "arrival", b.t0, arrival, err)) return err;
    return DecodeResult::one(std::move(b));
}
}  // namespace

extern const DecoderDescriptor SCALAR_HYPNIC;
const DecoderDescriptor SCALAR_HYPNIC{
    SensorKind::scalar, "hypnic",
    "one-channel raw batch (piezo, load cell, pressure) in device units, evenly spaced at hz from t0",
    R"({"t0": 1764104523.0, "hz": 25, "v": [512, 518, 509, 530]})", decode_scalar};

}  // namespace hypnic
