// Spellings of sensor kinds and light types.
#include "plugin/params.hpp"

namespace hypnic {

namespace {
constexpr std::array<std::string_view, 9> KINDS = {"accel",    "scalar", "vibration",        "activity", "presence",
                                                   "lights",   "sleep_as_android", "source", "mask"};
constexpr std::array<std::string_view, 5> LIGHTS = {"zigbee2mqtt", "tasmota", "shelly_gen1", "shelly_rpc", "template"};
}  // namespace

std::string_view to_string(SensorKind k) { return KINDS[static_cast<std::size_t>(k)]; }
std::optional<SensorKind> sensor_kind_from_string(std::string_view s) {
    for (std::size_t i = 0; i < KINDS.size(); ++i)
        if (KINDS[i] == s) return static_cast<SensorKind>(i);
    return std::nullopt;
}
std::string_view to_string(LightType t) { return LIGHTS[static_cast<std::size_t>(t)]; }
std::optional<LightType> light_type_from_string(std::string_view s) {
    for (std::size_t i = 0; i < LIGHTS.size(); ++i)
        if (LIGHTS[i] == s) return static_cast<LightType>(i);
    return std::nullopt;
}

}  // namespace hypnic
