// Decoder sleep_as_android/saa: events the Sleep as Android app publishes over MQTT.
#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::string_view WHO = "sleep_as_android/saa";
constexpr std::size_t MAX_EVENT_CHARS = 64;

// Unknown event names pass through (the app adds events over time), but only as a short
// lower-case word, so that nothing odd reaches logs or the core.
DecodeResult decode_saa(const SensorSpec&, std::string_view payload, UnixS arrival) {
    DecodeResult err;
    auto doc = decode::parse_json(WHO, payload, err);
    if (!doc) return err;
    if (!doc->is_object())
        return DecodeResult::fail("type", std::string(WHO) + ": payload is " + std::string(decode::type_name(*doc)) +
                                              ", expected {\"event\": ...}");
    const json::object& o = doc->get_object();
    const json::value* ev = o.if_contains("event");
    if (ev == nullptr) return DecodeResult::fail("missing", std::string(WHO) + ": field \"event\" is required");
    if (!ev->is_string())
        return DecodeResult::fail("type", std::string(WHO) + ": field \"event\" is " + std::string(decode::type_name(*ev)) +
                                              ", expected a string");
    const std::string_view name(ev->get_string().data(), ev->get_string().size());
    bool word = !name.empty() && name.size() <= MAX_EVENT_CHARS;
    for (const char c : name) word = word && ((c >= 'a' && c <= 'z') || c == '_');
    if (!word)
        return DecodeResult::fail("format", std::string(WHO) + ": event " + decode::quote(name) +
                                                " is not a word of 1..64 characters a-z and _");
    for (const char* k : {"value1", "value2", "value3"}) {
        const json::value* v = o.if_contains(k);
        if (v != nullptr && !(v->is_null() || v->is_string() || decode::as_number(*v)))
            return DecodeResult::fail("type", std::string(WHO) + ": field \"" + k + "\" is " +
                                                  std::string(decode::type_name(*v)) + ", expected a string or number");
    }
    return DecodeResult::one(SleepAppEvent{arrival, std::string(name)});
}
}  // namespace

extern const DecoderDescriptor SLEEP_AS_ANDROID_SAA;
const DecoderDescriptor SLEEP_AS_ANDROID_SAA{
    SensorKind::sleep_as_android, "saa",
    "Sleep as Android MQTT event {event, value1..3}; unknown events pass through as their name",
    R"({"event":"sleep_tracking_started"})", decode_saa};

}  // namespace hypnic
