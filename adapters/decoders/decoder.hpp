// What every payload decoder is: a const descriptor plus a pure function with typed failures.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/params.hpp"
#include "plugin/types.hpp"

namespace hypnic {

/// Why a payload was refused. `reason` is a short code from a closed set:
/// "json" (not JSON / truncated / not UTF-8), "type" (a field has the wrong JSON type),
/// "range" (a value is out of its allowed range, NaN or infinite), "missing" (a required field is
/// absent), "too_large" (too many samples / bytes), "depth" (JSON nested too deeply),
/// "field" (an unknown field where the payload is strict), "format" (plain text not understood,
/// or no decoder for the sensor's kind and format), "internal" (a decoder threw: a bug, reported
/// rather than crashing).
struct DecodeFailure {
    std::string reason;
    std::string detail;  ///< names the field, where it is and why it was refused
};

/// The outcome of one decode: either readings (possibly none: a reset or an "unavailable" state
/// that is understood and deliberately ignored) or a failure.
struct DecodeResult {
    std::vector<Reading> readings;
    std::optional<DecodeFailure> failure;
    std::string ignored;  ///< non-empty when the payload was understood and deliberately produced nothing

    bool ok() const { return !failure.has_value(); }
    static DecodeResult fail(std::string reason, std::string detail) {
        DecodeResult r;
        r.failure = DecodeFailure{std::move(reason), std::move(detail)};
        return r;
    }
    static DecodeResult ignore(std::string why) {
        DecodeResult r;
        r.ignored = std::move(why);
        return r;
    }
    static DecodeResult one(Reading reading) {
        DecodeResult r;
        r.readings.push_back(std::move(reading));
        return r;
    }
};

/// A pure decode function: the sensor's configuration, the raw MQTT payload and its arrival time
/// (Unix s). It must never throw, never read a clock, never crash on any byte sequence.
using DecodeFn = DecodeResult (*)(const SensorSpec& spec, std::string_view payload, UnixS arrival);

/// One decoder, rtl_433 style: data describing it plus its function.
struct DecoderDescriptor {
    SensorKind kind;
    std::string_view format;       ///< the SensorSpec::format it serves
    std::string_view description;  ///< one line for docs and `--help`
    std::string_view example;      ///< a documented example payload that decodes successfully
    DecodeFn decode;
};

// Limits shared by the decoders (reliability.md: bad input).
inline constexpr std::size_t MAX_JSON_DEPTH = 16;
inline constexpr std::size_t MAX_SAMPLES = 100000;       ///< per raw batch
inline constexpr double MAX_ACCEL_G = 16;                ///< |a| above this is not a bed movement
inline constexpr double MIN_RATE_HZ = 1;
inline constexpr double MAX_RATE_HZ = 1000;
inline constexpr double MAX_PAST_S = 365.0 * 86400;      ///< t0 older than arrival minus a year
inline constexpr double MAX_FUTURE_S = 86400;            ///< t0 later than arrival plus a day
inline constexpr double STANDARD_GRAVITY = 9.80665;      ///< m/s² per g (CGPM 1901)
inline constexpr std::size_t MAX_NOTE_CHARS = 200;       ///< factor log notes, in code points

}  // namespace hypnic
