// Decoders presence/plain and presence/json: bed occupancy from any occupancy sensor.
#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;

DecodeResult presence_from_text(std::string_view who, std::string_view text, UnixS arrival) {
    if (decode::is_placeholder_state(text)) return DecodeResult::ignore("placeholder state " + decode::quote(decode::trim(text)));
    if (const auto b = decode::parse_on_off(text)) return DecodeResult::one(PresenceReading{arrival, *b});
    return DecodeResult::fail("format", std::string(who) + ": " + decode::quote(decode::trim(text)) +
                                            " is not ON/OFF, true/false, 1/0 or occupied/vacant");
}

DecodeResult decode_presence_plain(const SensorSpec&, std::string_view payload, UnixS arrival) {
    return presence_from_text("presence/plain", payload, arrival);
}

// Without a value pointer an object is searched for the usual occupancy keys (zigbee2mqtt's
// "occupancy", ESPHome-style "presence", HA-style "state"); a bare JSON scalar is used as is.
DecodeResult decode_presence_json(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    constexpr std::string_view WHO = "presence/json";
    DecodeResult err;
    auto doc = decode::parse_json(WHO, payload, err);
    if (!doc) return err;
    const json::value* v = nullptr;
    std::string at;
    if (spec.value_pointer.empty() && doc->is_object()) {
        for (const char* k : {"occupancy", "presence", "state"}) {
            if ((v = doc->get_object().if_contains(k)) != nullptr) {
                at = std::string("field \"") + k + "\"";
                break;
            }
        }
        if (v == nullptr)
            return DecodeResult::fail("missing", std::string(WHO) +
                                                     ": no \"occupancy\", \"presence\" or \"state\" field and no value pointer configured");
    } else {
        v = decode::resolve_pointer(WHO, *doc, spec.value_pointer, err);
        if (v == nullptr) return err;
        at = spec.value_pointer.empty() ? "the payload" : "value " + decode::quote(spec.value_pointer);
    }
    if (v->is_null()) return DecodeResult::ignore(at + " is null");
    if (v->is_string()) return presence_from_text(WHO, std::string_view(v->get_string()), arrival);
    if (const auto b = decode::json_on_off(*v)) return DecodeResult::one(PresenceReading{arrival, *b});
    return DecodeResult::fail(v->is_bool() || decode::as_number(*v) ? "range" : "type",
                              std::string(WHO) + ": " + at + " is " + std::string(decode::type_name(*v)) +
                                  ", expected true/false, 1/0 or an ON/OFF string");
}
}  // namespace

extern const DecoderDescriptor PRESENCE_PLAIN;
const DecoderDescriptor PRESENCE_PLAIN{
    SensorKind::presence, "plain", "bed occupancy as ON/OFF, true/false, 1/0 or occupied/vacant (any case)", "ON",
    decode_presence_plain};

extern const DecoderDescriptor PRESENCE_JSON;
const DecoderDescriptor PRESENCE_JSON{
    SensorKind::presence, "json",
    "bed occupancy from JSON: the value pointer, else \"occupancy\", \"presence\" or \"state\"",
    R"({"occupancy": true, "battery": 100, "illuminance": 3})", decode_presence_json};

}  // namespace hypnic
