// Helpers shared by the decoders: bounded JSON parsing, typed field access, JSON pointers, wording.
#pragma once

#include <boost/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/decoders/decoder.hpp"

namespace hypnic::decode {

/// Parses `payload` as one JSON text with depth MAX_JSON_DEPTH and strict UTF-8. On failure
/// returns nullopt and sets `err` (reason "json" or "depth", detail with the byte offset).
/// `storage` holds the value (default: the heap); a monotonic resource on the caller's stack saves
/// the allocation per element of a large batch, and must outlive the returned value.
std::optional<boost::json::value> parse_json(std::string_view who, std::string_view payload, DecodeResult& err,
                                             boost::json::storage_ptr storage = {});

/// `s` for an error message: at most 40 bytes, non-printable bytes as \xNN, in quotes.
std::string quote(std::string_view s);
/// A number for an error message ("5000", "0.25", "1e+300").
std::string show(double v);
/// The JSON type of `v` in words ("a string", "an array", ...).
std::string_view type_name(const boost::json::value& v);

/// Leading and trailing ASCII whitespace removed.
std::string_view trim(std::string_view s);
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

/// `v` as a double when it is a JSON number (integer or not); nullopt for other types.
/// 1e999 parses to infinity, so callers still check finiteness.
std::optional<double> as_number(const boost::json::value& v);

/// Reads number field `key` of `o` (absent: nullopt, no error unless `required`). Fails with "type"
/// for a non-number, "range" for NaN/Inf, "missing" when required and absent.
bool number_field(std::string_view who, const boost::json::object& o, std::string_view key, bool required,
                  std::optional<double>& out, DecodeResult& err);

/// ON/OFF, true/false, 1/0, occupied/vacant (case-insensitive, surrounding whitespace ignored).
std::optional<bool> parse_on_off(std::string_view text);
/// A JSON scalar as on/off: bool, number 0/1, or a string accepted by parse_on_off.
std::optional<bool> json_on_off(const boost::json::value& v);

/// Plain-text number (trimmed, whole text, decimal or exponent form); nullopt when not a number.
/// NaN and infinities come back as such: callers reject them with a "range" failure.
std::optional<double> parse_plain_number(std::string_view text);

/// Resolves a JSON pointer ("" = the whole document, "/a/0/b"). Fails with "missing" when the
/// pointer names nothing, "format" when the pointer itself is malformed.
const boost::json::value* resolve_pointer(std::string_view who, const boost::json::value& root,
                                          std::string_view pointer, DecodeResult& err);

/// Checks a batch start time against arrival: not more than MAX_PAST_S before, MAX_FUTURE_S after.
bool check_time(std::string_view who, std::string_view field, double t, UnixS arrival, DecodeResult& err);

/// Checks a sample rate is within MIN_RATE_HZ..MAX_RATE_HZ.
bool check_rate(std::string_view who, std::string_view field, double hz, DecodeResult& err);

/// Rejects fields of `o` whose names are not in `allowed`, reason "field".
bool only_fields(std::string_view who, const boost::json::object& o, std::initializer_list<std::string_view> allowed,
                 DecodeResult& err);

}  // namespace hypnic::decode

namespace hypnic::decode {

/// Shared by source and mask: a plain number, ON/OFF-style words (1/0), or with `json` a JSON value
/// at spec.value_pointer (number, bool, numeric or ON/OFF string). Home Assistant's placeholders
/// "unavailable", "unknown", "none" and an empty state are understood and ignored, not errors.
DecodeResult decode_numeric_value(std::string_view who, const SensorSpec& spec, std::string_view payload,
                                  UnixS arrival, bool json);

/// True for Home Assistant's placeholder states (unavailable, unknown, none, empty), case-insensitive.
bool is_placeholder_state(std::string_view text);

}  // namespace hypnic::decode
