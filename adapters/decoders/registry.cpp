// The table of decoders: adding a sensor is one file plus one line here.
#include "adapters/decoders/registry.hpp"

#include <array>
#include <exception>

namespace hypnic {

extern const DecoderDescriptor ACCEL_HYPNIC;
extern const DecoderDescriptor SCALAR_HYPNIC;
extern const DecoderDescriptor VIBRATION_ZIGBEE2MQTT;
extern const DecoderDescriptor ACTIVITY_HYPNIC;
extern const DecoderDescriptor PRESENCE_PLAIN;
extern const DecoderDescriptor PRESENCE_JSON;
extern const DecoderDescriptor LIGHTS_PLAIN;
extern const DecoderDescriptor LIGHTS_JSON;
extern const DecoderDescriptor LIGHTS_ZIGBEE2MQTT;
extern const DecoderDescriptor LIGHTS_TASMOTA;
extern const DecoderDescriptor SLEEP_AS_ANDROID_SAA;
extern const DecoderDescriptor SOURCE_PLAIN;
extern const DecoderDescriptor SOURCE_JSON;
extern const DecoderDescriptor MASK_PLAIN;
extern const DecoderDescriptor MASK_JSON;

namespace {
const std::array<const DecoderDescriptor*, 15> DECODERS = {
    &ACCEL_HYPNIC,   &SCALAR_HYPNIC, &VIBRATION_ZIGBEE2MQTT, &ACTIVITY_HYPNIC,    &PRESENCE_PLAIN,
    &PRESENCE_JSON,  &LIGHTS_PLAIN,  &LIGHTS_JSON,           &LIGHTS_ZIGBEE2MQTT, &LIGHTS_TASMOTA,
    &SLEEP_AS_ANDROID_SAA, &SOURCE_PLAIN, &SOURCE_JSON,     &MASK_PLAIN,         &MASK_JSON,
};
}  // namespace

std::span<const DecoderDescriptor* const> all_decoders() { return DECODERS; }

const DecoderDescriptor* find_decoder(SensorKind kind, std::string_view format) {
    for (const DecoderDescriptor* d : DECODERS)
        if (d->kind == kind && d->format == format) return d;
    return nullptr;
}

DecodeResult decode_payload(const SensorSpec& spec, std::string_view payload, UnixS arrival) {
    const DecoderDescriptor* d = find_decoder(spec.kind, spec.format);
    if (d == nullptr)
        return DecodeResult::fail("format", "no decoder for kind " + std::string(to_string(spec.kind)) + " with format \"" +
                                                spec.format + "\"");
    // Decoders do not throw by design; this keeps a bug (e.g. bad_alloc on a huge payload) from
    // taking the daemon down with it.
    try {
        return d->decode(spec, payload, arrival);
    } catch (const std::exception& e) {
        return DecodeResult::fail("internal", std::string(to_string(spec.kind)) + "/" + spec.format + ": " + e.what());
    }
}

}  // namespace hypnic
