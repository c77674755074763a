// The decoder registry: (sensor kind, format) → descriptor, plus the built-in factor log decoder.
#pragma once

#include <span>
#include <string_view>
#include <utility>

#include "adapters/decoders/decoder.hpp"

namespace hypnic {

/// Every registered decoder, in documentation order.
std::span<const DecoderDescriptor* const> all_decoders();

/// The decoder for (kind, format), or nullptr when that combination does not exist.
const DecoderDescriptor* find_decoder(SensorKind kind, std::string_view format);

/// Decodes one payload with the decoder the sensor's (kind, format) names; a sensor whose
/// combination is unknown fails with reason "format". Never throws.
DecodeResult decode_payload(const SensorSpec& spec, std::string_view payload, UnixS arrival);

/// The built-in log topics' payloads: empty or "PRESS" (now, amount 1), a plain number (the
/// amount), or {"ts": unix s, "amount": number, "note": "≤ 200 characters"}. Source is "log".
DecodeResult decode_factor_log(Factor factor, std::string_view payload, UnixS arrival);

/// Accepted amount range per factor (caffeine mg, exercise min, stress 0..10, magnesium mg, discomfort 0..10).
std::pair<double, double> factor_amount_range(Factor f);

}  // namespace hypnic
