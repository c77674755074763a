// The accel/hypnic decoder's complete path on its own, for the tests and fuzzers that compare it with the fast path.
#pragma once

#include <string_view>

#include "adapters/decoders/decoder.hpp"

namespace hypnic {

/// accel/hypnic decoded by the complete decoder alone (a Boost.JSON tree, every error named),
/// without the event-parser fast path that decode_payload tries first. On every payload both
/// give the same result, bit for bit (the fast path only skips building the tree). Arguments as
/// DecodeFn (arrival in Unix s).
DecodeResult decode_accel_complete(const SensorSpec& spec, std::string_view payload, UnixS arrival);

}  // namespace hypnic
