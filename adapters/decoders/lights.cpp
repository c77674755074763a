// Decoders lights/plain, lights/json (zigbee2mqtt, Tasmota and Shelly shapes): the bedroom light's state.
#include <cmath>

#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;

DecodeResult light_from_text(std::string_view who, std::string_view text, UnixS arrival) {
    if (decode::is_placeholder_state(text)) return DecodeResult::ignore("placeholder state " + decode::quote(decode::trim(text)));
    if (const auto b = decode::parse_on_off(text)) return DecodeResult::one(LightReading{arrival, *b, std::nullopt});
    return DecodeResult::fail("format", std::string(who) + ": " + decode::quote(decode::trim(text)) + " is not ON/OFF");
}

DecodeResult decode_lights_plain(const SensorSpec&, std::string_view payload, UnixS arrival) {
    return light_from_text("lights/plain", payload, arrival);
}

// Brightness from the state object: zigbee2mqtt "brightness" 0..254, Shelly "brightness" 0..100
// (`percent`: the object is a Shelly status) or Tasmota "Dimmer" 0..100.
bool brightness_of(std::string_view who, const json::object& o, bool percent, std::optional<double>& pct,
                   DecodeResult& err) {
    std::optional<double> b;
    if (!decode::number_field(who, o, "brightness", false, b, err)) return false;
    if (b) {
        const double top = percent ? 100 : 254;
        if (*b < 0 || *b > top) {
            err = DecodeResult::fail("range", std::string(who) + ": field \"brightness\" is " + decode::show(*b) +
                                                  ", outside 0.." + decode::show(top));
            return false;
        }
        pct = *b / top * 100.0;
        return true;
    }
    if (!decode::number_field(who, o, "Dimmer", false, b, err)) return false;
    if (b) {
        if (*b < 0 || *b > 100) {
            err = DecodeResult::fail("range", std::string(who) + ": field \"Dimmer\" is " + decode::show(*b) +
                                                  ", outside 0..100");
            return false;
        }
        pct = *b;
    }
    return true;
}

// One decoder serves the json, zigbee2mqtt and tasmota formats and Shelly status objects (Gen1
// {"ison", "brightness" 0..100}, Gen2 {"output", "brightness" 0..100}): the shapes do not overlap.
DecodeResult decode_lights_json(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    constexpr std::string_view WHO = "lights/json";
    DecodeResult err;
    auto doc = decode::parse_json(WHO, payload, err);
    if (!doc) return err;
    const json::object* root = doc->if_object();

    const json::value* state = nullptr;
    std::string at;
    if (!spec.value_pointer.empty()) {
        state = decode::resolve_pointer(WHO, *doc, spec.value_pointer, err);
        if (state == nullptr) return err;
        at = "value " + decode::quote(spec.value_pointer);
    } else if (root != nullptr) {
        for (const char* k : {"state", "POWER", "POWER1", "ison", "output"}) {
            if ((state = root->if_contains(k)) != nullptr) {
                at = std::string("field \"") + k + "\"";
                break;
            }
        }
    } else {
        state = &*doc;
        at = "the payload";
    }

    std::optional<double> pct;
    const bool shelly = root != nullptr && (root->contains("ison") || root->contains("output"));
    if (root != nullptr && !brightness_of(WHO, *root, shelly, pct, err)) return err;

    LightReading r;
    r.t = arrival;
    if (state == nullptr) {
        // Tasmota's RESULT topic also carries replies to unrelated commands ({"Fade":"ON"}):
        // without a power state there is nothing to say about the light, unless a dimmer level is set.
        if (!pct) return DecodeResult::ignore("no light state in this message");
        r.on = *pct > 0;
    } else if (state->is_null()) {
        return DecodeResult::ignore(at + " is null");
    } else if (state->is_string()) {
        DecodeResult t = light_from_text(WHO, std::string_view(state->get_string()), arrival);
        if (!t.ok() || t.readings.empty()) return t;
        r.on = std::get<LightReading>(t.readings.front()).on;
    } else if (const auto b = decode::json_on_off(*state)) {
        r.on = *b;
    } else {
        return DecodeResult::fail("type", std::string(WHO) + ": " + at + " is " +
                                              std::string(decode::type_name(*state)) + ", expected ON/OFF");
    }
    // zigbee2mqtt keeps the last brightness in the state of a light that is off; an off light has none.
    if (r.on) r.brightness_pct = pct;
    return DecodeResult::one(r);
}
}  // namespace

extern const DecoderDescriptor LIGHTS_PLAIN;
const DecoderDescriptor LIGHTS_PLAIN{SensorKind::lights, "plain",
                                     "light state as ON/OFF (Tasmota stat/<topic>/POWER, statestream)", "OFF",
                                     decode_lights_plain};

extern const DecoderDescriptor LIGHTS_JSON;
const DecoderDescriptor LIGHTS_JSON{
    SensorKind::lights, "json",
    "light state object: zigbee2mqtt {state, brightness 0..254}, Tasmota {POWER, Dimmer 0..100}, Shelly {ison or "
    "output, brightness 0..100}, or a value pointer",
    R"({"state": "ON", "brightness": 127, "color_temp": 370})", decode_lights_json};

extern const DecoderDescriptor LIGHTS_ZIGBEE2MQTT;
const DecoderDescriptor LIGHTS_ZIGBEE2MQTT{SensorKind::lights, "zigbee2mqtt",
                                           "zigbee2mqtt light state {state, brightness 0..254} (same as json)",
                                           R"({"brightness":254,"color_mode":"color_temp","color_temp":454,"linkquality":120,"state":"ON"})",
                                           decode_lights_json};

extern const DecoderDescriptor LIGHTS_TASMOTA;
const DecoderDescriptor LIGHTS_TASMOTA{SensorKind::lights, "tasmota",
                                       "Tasmota STATE/RESULT {POWER, Dimmer 0..100} (same as json)",
                                       R"({"POWER":"ON","Dimmer":40,"Fade":"OFF","Speed":1,"LedTable":"ON"})",
                                       decode_lights_json};

}  // namespace hypnic
