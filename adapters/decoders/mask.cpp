// Decoders mask/plain and mask/json: an actuator that shakes the bed (massage, adjustable base) on/off.
#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
DecodeResult decode_mask_plain(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    return decode::decode_numeric_value("mask/plain", spec, payload, arrival, false);
}
DecodeResult decode_mask_json(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    return decode::decode_numeric_value("mask/json", spec, payload, arrival, true);
}
}  // namespace

extern const DecoderDescriptor MASK_PLAIN;
const DecoderDescriptor MASK_PLAIN{
    SensorKind::mask, "plain", "a plain number or ON/OFF (1/0): the core masks movements while it is above the level",
    "ON", decode_mask_plain};

extern const DecoderDescriptor MASK_JSON;
const DecoderDescriptor MASK_JSON{
    SensorKind::mask, "json", "a number, boolean or ON/OFF string picked from JSON by the sensor's value pointer",
    R"({"state": "ON", "power": 35.5})", decode_mask_json};

}  // namespace hypnic
