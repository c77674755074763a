// Value checks used by the configuration loader: names, topics, times, URLs, time zones, key suggestions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hypnic::config_detail {

/// An empty result means the value is valid; otherwise the reason, without the word "error".
using Problem = std::optional<std::string>;

/// Damerau-Levenshtein distance (adjacent transpositions cost 1), in edits.
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The closest of `candidates` to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

/// Sleeper ids: 1..32 characters of [a-z0-9_-].
Problem check_id(std::string_view id);
/// Topics hypnic subscribes to or publishes to directly: non-empty, at most 65535 bytes, no NUL,
/// and (when `allow_wildcards` is false) no '+' or '#'.
Problem check_topic(std::string_view topic, bool allow_wildcards = false);
/// Topic prefixes such as base_topic and discovery_prefix: a topic without wildcards and without a
/// leading or trailing '/'.
Problem check_topic_prefix(std::string_view topic);
/// "HH:MM", 00:00..23:59; on success `minutes` is the minute of the day.
Problem check_clock_time(std::string_view s, int* minutes = nullptr);
/// A JSON pointer (RFC 6901): "" or "/..." where '~' is followed by '0' or '1'.
Problem check_json_pointer(std::string_view s);
/// Broker URL: tcp|ssl|mqtt|mqtts|ws|wss://host[:port][/path], port 1..65535, no "user:pass@".
/// Messages never repeat the URL's user-info part.
Problem check_broker_url(std::string_view url);
/// True for ssl://, mqtts:// and wss://.
bool is_secure_url(std::string_view url);
/// An IANA zone name that exists as a TZif file under `zoneinfo_dir`; "" means the system's zone.
Problem check_timezone(std::string_view name, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
/// Names of environment variables: [A-Za-z_][A-Za-z0-9_]*.
Problem check_env_name(std::string_view name);

/// The text with a `user:pass@` part of a URL replaced by `***@`, safe to put in a message.
std::string mask_url_credentials(std::string_view url);

}  // namespace hypnic::config_detail
