// Decoders source/plain and source/json: smart-home values (plug power, steps, HRV) for factor rules.
#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
DecodeResult decode_source_plain(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    return decode::decode_numeric_value("source/plain", spec, payload, arrival, false);
}
DecodeResult decode_source_json(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    return decode::decode_numeric_value("source/json", spec, payload, arrival, true);
}
}  // namespace

extern const DecoderDescriptor SOURCE_PLAIN;
const DecoderDescriptor SOURCE_PLAIN{
    SensorKind::source, "plain",
    "a plain number or ON/OFF (1/0), e.g. Home Assistant mqtt_statestream; unavailable/unknown are ignored",
    "1234.5", decode_source_plain};

extern const DecoderDescriptor SOURCE_JSON;
const DecoderDescriptor SOURCE_JSON{
    SensorKind::source, "json", "a number, boolean or ON/OFF string picked from JSON by the sensor's value pointer",
    R"({"power": 1480.2, "energy": 0.31})", decode_source_json};

}  // namespace hypnic
