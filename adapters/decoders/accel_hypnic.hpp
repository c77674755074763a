// The accel/hypnic decoder's complete path on its own, for the tests and fuzzers that compare it with the fast path.
#pragma once

#include <string_view>

#include "adapters/decoders/decoder.hpp"

namespace hypnic {

/// accel/hypnic decoded by the complete decoder alone (a Boost.JSON tree, every error named),
/// without the simdjson fast path that decode_payload tries first. On every payload the fast
/// path accepts, this accepts the same batch, except that a double read by Boost.JSON 1.81 may be
/// 1 ULP off the nearest (the fast path rounds to the nearest); on every other payload
/// decode_payload gives exactly this result. Arguments as DecodeFn (arrival in Unix s).
DecodeResult decode_accel_complete(const SensorSpec& spec, std::string_view payload, UnixS arrival);

}  // namespace hypnic
