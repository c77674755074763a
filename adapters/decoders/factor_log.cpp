// Decoder of the built-in factor log topics <base>/<sleeper>/log/<factor>.
#include <cmath>

#include "adapters/decoders/json_util.hpp"
#include "adapters/decoders/registry.hpp"

namespace hypnic {

namespace {
namespace json = boost::json;
// A log may be entered afterwards ("coffee at 14:00"), but not weeks late or for the future
// beyond clock skew between the phone and the hub.
constexpr double LOG_MAX_PAST_S = 30.0 * 86400;
constexpr double LOG_MAX_FUTURE_S = 3600;

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

DecodeResult check_amount(const std::string& who, Factor f, double amount) {
    const auto [lo, hi] = factor_amount_range(f);
    if (!std::isfinite(amount) || amount < lo || amount > hi)
        return DecodeResult::fail("range", who + ": amount " + decode::show(amount) + " is outside " + decode::show(lo) +
                                               ".." + decode::show(hi) + " for " + std::string(to_string(f)));
    return {};
}
}  // namespace

std::pair<double, double> factor_amount_range(Factor f) {
    switch (f) {
        case Factor::caffeine: return {0, 2000};    // mg; ~400 mg/day is the usual adult ceiling (EFSA 2015)
        case Factor::exercise: return {0, 1440};    // minutes in a day
        case Factor::stress: return {0, 10};        // self-rated
        case Factor::magnesium: return {0, 5000};   // mg
        case Factor::discomfort: return {0, 10};    // self-rated
    }
    return {0, 0};
}

DecodeResult decode_factor_log(Factor factor, std::string_view payload, UnixS arrival) {
    const std::string who = "log/" + std::string(to_string(factor));
    FactorLog log;
    log.t = arrival;
    log.factor = factor;
    log.amount = 1;
    log.source = "log";
    const std::string_view text = decode::trim(payload);
    // Empty = "now, once"; "PRESS" is what a Home Assistant MQTT button sends by default.
    if (text.empty() || decode::iequals(text, "press")) return DecodeResult::one(log);
    if (text.front() != '{') {
        const auto d = decode::parse_plain_number(text);
        if (!d)
            return DecodeResult::fail("format", who + ": payload " + decode::quote(text) +
                                                    " is not empty, a number or a JSON object {ts, amount, note}");
        if (DecodeResult e = check_amount(who, factor, *d); !e.ok()) return e;
        log.amount = *d;
        return DecodeResult::one(log);
    }
    DecodeResult err;
    auto doc = decode::parse_json(who, payload, err);
    if (!doc) return err;
    if (!doc->is_object())
        return DecodeResult::fail("type", who + ": payload is " + std::string(decode::type_name(*doc)) + ", expected an object");
    const json::object& o = doc->get_object();
    if (!decode::only_fields(who, o, {"ts", "amount", "note"}, err)) return err;
    std::optional<double> ts, amount;
    if (!decode::number_field(who, o, "ts", false, ts, err)) return err;
    if (!decode::number_field(who, o, "amount", false, amount, err)) return err;
    if (ts) {
        if (*ts < arrival - LOG_MAX_PAST_S || *ts > arrival + LOG_MAX_FUTURE_S)
            return DecodeResult::fail("range", who + ": \"ts\" " + decode::show(*ts) +
                                                   " is more than 30 days before or an hour after the arrival time " +
                                                   decode::show(arrival));
        log.t = *ts;
    }
    if (amount) {
        if (DecodeResult e = check_amount(who, factor, *amount); !e.ok()) return e;
        log.amount = *amount;
    }
    if (const json::value* note = o.if_contains("note")) {
        if (!note->is_string() && !note->is_null())
            return DecodeResult::fail("type", who + ": field \"note\" is " + std::string(decode::type_name(*note)) +
                                                  ", expected a string");
        if (note->is_string()) {
            const std::string_view n(note->get_string().data(), note->get_string().size());
            if (code_points(n) > MAX_NOTE_CHARS)
                return DecodeResult::fail("too_large", who + ": field \"note\" has " + std::to_string(code_points(n)) +
                                                           " characters, more than " + std::to_string(MAX_NOTE_CHARS));
            log.note = std::string(n);
        }
    }
    return DecodeResult::one(log);
}

}  // namespace hypnic
