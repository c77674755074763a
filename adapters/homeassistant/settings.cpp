// Renders the settings JSON and validates the commands Home Assistant sends on `set/<name>`.
#include "adapters/homeassistant/settings.hpp"

#include <charconv>
#include <cmath>

#include "adapters/homeassistant/entities.hpp"
#include "adapters/json_out.hpp"

namespace hypnic::ha {

namespace {

constexpr std::size_t MAX_COMMAND_BYTES = 64;

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
        if (x != y) return false;
    }
    return true;
}

std::string shown(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

SettingCommandResult fail(std::string_view name, std::string reason, std::string why) {
    SettingCommandResult r;
    r.error = "setting " + shown(name) + ": " + std::move(why);
    r.reason = std::move(reason);
    return r;
}

}  // namespace

std::string render_settings(const WinddownSettings& s) {
    JsonWriter w;
    w.begin_object();
    w.key("winddown").value(s.winddown);
    w.key("winddown_profile").value(s.profile);
    w.key("caffeine_cutoff_h").number(s.caffeine_cutoff_h, 2);
    w.end_object();
    return w.take();
}

SettingCommandResult apply_setting_command(const WinddownSettings& current, std::string_view name,
                                           std::string_view payload, bool retained) {
    if (retained) return fail(name, "retained", "retained command ignored (a replayed command must not change settings)");
    if (payload.size() > MAX_COMMAND_BYTES)
        return fail(name, "too_large", "payload of " + std::to_string(payload.size()) + " bytes is longer than " +
                              std::to_string(MAX_COMMAND_BYTES));
    const std::string_view value = trim(payload);
    WinddownSettings next = current;
    if (name == "winddown") {
        if (iequals(value, "ON")) {
            next.winddown = true;
        } else if (iequals(value, "OFF")) {
            next.winddown = false;
        } else {
            return fail(name, "format", shown(value) + " is not ON or OFF");
        }
    } else if (name == "winddown_profile") {
        bool known = false;
        for (std::string_view p : WINDDOWN_PROFILES) known = known || p == value;
        if (!known) return fail(name, "format", shown(value) + " is not adaptive, standard, extended or reminders_only");
        next.profile = std::string(value);
    } else if (name == "caffeine_cutoff_h") {
        double h = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), h);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !std::isfinite(h))
            return fail(name, "format", shown(value) + " is not a number of hours");
        if (h < CAFFEINE_CUTOFF_MIN_H || h > CAFFEINE_CUTOFF_MAX_H)
            return fail(name, "range", shown(value) + " is outside 0..16 hours before bedtime");
        next.caffeine_cutoff_h = h;
    } else {
        return fail(name, "topic", "unknown setting (expected winddown, winddown_profile or caffeine_cutoff_h)");
    }
    SettingCommandResult r;
    r.settings = std::move(next);
    return r;
}

}  // namespace hypnic::ha
