// Decoder vibration/zigbee2mqtt: the Aqara DJT11LM vibration sensor's state object from zigbee2mqtt.
#include <cmath>

#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::string_view WHO = "vibration/zigbee2mqtt";

// zigbee2mqtt publishes the whole device state on every change (battery, link quality, angles),
// so only the `action` field says that something happened now. "vibration" and "tilt" both mean
// the mattress moved the sensor; "drop" means the sensor itself fell and says nothing about the
// sleeper, so it is ignored. An empty/null/absent action is zigbee2mqtt clearing the last one.
DecodeResult decode_vibration(const SensorSpec&, std::string_view payload, UnixS arrival) {
    DecodeResult err;
    auto doc = decode::parse_json(WHO, payload, err);
    if (!doc) return err;
    if (!doc->is_object())
        return DecodeResult::fail("type", std::string(WHO) + ": payload is " + std::string(decode::type_name(*doc)) +
                                              ", expected the zigbee2mqtt state object");
    const json::object& o = doc->get_object();
    const json::value* action = o.if_contains("action");
    if (action == nullptr || action->is_null()) return DecodeResult::ignore("no action (state update or reset)");
    if (!action->is_string())
        return DecodeResult::fail("type", std::string(WHO) + ": field \"action\" is " +
                                              std::string(decode::type_name(*action)) + ", expected a string");
    const std::string_view a(action->get_string().data(), action->get_string().size());
    if (a.empty()) return DecodeResult::ignore("action reset");
    if (a == "drop") return DecodeResult::ignore("the sensor was dropped; not a movement of the sleeper");
    if (a != "vibration" && a != "tilt")
        return DecodeResult::fail("range", std::string(WHO) + ": action " + decode::quote(a) +
                                               " is not one the DJT11LM sends (vibration, tilt, drop)");
    VibrationReport r;
    r.t = arrival;  // the device carries no timestamp of its own
    std::optional<double> strength;
    if (!decode::number_field(WHO, o, "strength", false, strength, err)) return err;
    if (strength) {
        if (*strength < 0 || *strength > 65535)
            return DecodeResult::fail("range", std::string(WHO) + ": field \"strength\" is " + decode::show(*strength) +
                                                   ", outside 0..65535");
        r.strength = *strength;
    }
    return DecodeResult::one(r);
}
}  // namespace

extern const DecoderDescriptor VIBRATION_ZIGBEE2MQTT;
const DecoderDescriptor VIBRATION_ZIGBEE2MQTT{
    SensorKind::vibration, "zigbee2mqtt",
    "Aqara DJT11LM state object: one coarse report per action \"vibration\" or \"tilt\" (at most one a minute)",
    R"({"action":"vibration","angle_x":2,"angle_y":-1,"angle_z":87,"battery":97,"linkquality":72,"strength":12,"vibration":true,"voltage":3015})",
    decode_vibration};

}  // namespace hypnic
