// The settings Home Assistant can change: their retained JSON and the parser of `set/<name>` commands.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "plugin/types.hpp"

namespace hypnic::ha {

/// A sleeper's settings as published on `<base>/<sleeper>/settings` (retained); the core's type.
/// profile is one of WINDDOWN_PROFILES, caffeine_cutoff_h within CAFFEINE_CUTOFF_MIN_H..MAX_H.
using WinddownSettings = hypnic::WinddownSettings;

/// `{"winddown":true,"winddown_profile":"adaptive","caffeine_cutoff_h":8}`.
std::string render_settings(const WinddownSettings& s);

/// The outcome of one command: the new settings, or an error naming the topic level and the reason.
struct SettingCommandResult {
    std::optional<WinddownSettings> settings;
    std::string error;
    /// Short code of a refusal, for the rejection counters: "retained", "too_large", "topic"
    /// (unknown setting name), "format" (not a value of the setting) or "range" (out of bounds).
    std::string reason;
};

/// Applies one command received on `<base>/<sleeper>/set/<name>` to `current`.
/// name: winddown (payload ON/OFF, any case), winddown_profile (a profile), caffeine_cutoff_h (a
/// decimal number of hours within the bounds). Surrounding whitespace is ignored; payloads over
/// 64 bytes, retained messages (a replayed command must not change anything) and unknown names
/// are refused.
SettingCommandResult apply_setting_command(const WinddownSettings& current, std::string_view name,
                                           std::string_view payload, bool retained);

}  // namespace hypnic::ha
