// Decoder activity/hypnic: epoch activity counts from a wearable or bed sensor, batch or single.
#include <cmath>

#include "adapters/decoders/json_util.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
constexpr std::string_view WHO = "activity/hypnic";
constexpr double MIN_EPOCH_S = 1;
constexpr double MAX_EPOCH_S = 3600;
constexpr double MAX_COUNT = 1e9;

// Two forms: a batch {"t0", "epoch_s", "counts": [...]} and a single epoch {"t", "epoch_s", "count"}.
// In both the time is the START of the (first) epoch; without it the last epoch is taken to end at
// arrival, which is when a device publishes a finished epoch.
DecodeResult decode_activity(const SensorSpec&, std::string_view payload, UnixS arrival) {
    DecodeResult err;
    auto doc = decode::parse_json(WHO, payload, err);
    if (!doc) return err;
    if (!doc->is_object())
        return DecodeResult::fail("type", std::string(WHO) + ": payload is " + std::string(decode::type_name(*doc)) +
                                              ", expected an object with \"counts\" or \"count\"");
    const json::object& o = doc->get_object();
    if (!decode::only_fields(WHO, o, {"t0", "t", "epoch_s", "counts", "count"}, err)) return err;
    const bool batch = o.contains("counts");
    const bool single = o.contains("count");
    if (batch == single)
        return DecodeResult::fail(batch ? "field" : "missing",
                                  std::string(WHO) + ": exactly one of \"counts\" (batch) or \"count\" (one epoch) is required");
    const std::string_view time_key = batch ? "t0" : "t";
    if (o.contains(batch ? "t" : "t0"))
        return DecodeResult::fail("field", std::string(WHO) + ": use \"" + std::string(time_key) + "\" with \"" +
                                               (batch ? "counts" : "count") + "\"");

    std::optional<double> epoch_s, t;
    if (!decode::number_field(WHO, o, "epoch_s", false, epoch_s, err)) return err;
    ActivityEpochs e;
    e.epoch_s = epoch_s.value_or(60);
    if (!(e.epoch_s >= MIN_EPOCH_S && e.epoch_s <= MAX_EPOCH_S))
        return DecodeResult::fail("range", std::string(WHO) + ": \"epoch_s\" is " + decode::show(e.epoch_s) +
                                               " s, outside 1..3600");
    if (!decode::number_field(WHO, o, time_key, false, t, err)) return err;

    const auto take = [&](const json::value& v, const std::string& where) -> bool {
        const auto d = decode::as_number(v);
        if (!d) {
            err = DecodeResult::fail("type", where + " is " + std::string(decode::type_name(v)) + ", expected a count");
            return false;
        }
        if (!std::isfinite(*d) || *d < 0 || *d > MAX_COUNT) {
            err = DecodeResult::fail("range", where + " is " + decode::show(*d) + ", outside 0..1e9");
            return false;
        }
        e.counts.push_back(*d);
        return true;
    };
    if (batch) {
        const json::value& c = o.at("counts");
        if (!c.is_array())
            return DecodeResult::fail("type", std::string(WHO) + ": field \"counts\" is " +
                                                  std::string(decode::type_name(c)) + ", expected an array");
        const json::array& a = c.get_array();
        if (a.empty()) return DecodeResult::fail("missing", std::string(WHO) + ": field \"counts\" has no epochs");
        if (a.size() > MAX_SAMPLES)
            return DecodeResult::fail("too_large", std::string(WHO) + ": field \"counts\" has " +
                                                       std::to_string(a.size()) + " epochs, more than " +
                                                       std::to_string(MAX_SAMPLES));
        e.counts.reserve(a.size());
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!take(a[i], std::string(WHO) + ": \"counts\"[" + std::to_string(i) + "]")) return err;
    } else if (!take(o.at("count"), std::string(WHO) + ": field \"count\"")) {
        return err;
    }
    e.t0 = t ? *t : arrival - static_cast<double>(e.counts.size()) * e.epoch_s;
    if (!decode::check_time(WHO, t ? time_key : "arrival", e.t0, arrival, err)) return err;
    return DecodeResult::one(std::move(e));
}
}  // namespace

extern const DecoderDescriptor ACTIVITY_HYPNIC;
const DecoderDescriptor ACTIVITY_HYPNIC{
    SensorKind::activity, "hypnic",
    "epoch activity counts: a batch {t0, epoch_s, counts[]} or one epoch {t, epoch_s, count}; times are epoch starts",
    R"({"t0": 1764104400, "epoch_s": 15, "counts": [0, 3, 41, 0]})", decode_activity};

}  // namespace hypnic
