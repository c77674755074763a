// Golden payload tests (tests/data/payloads/<kind>/cases.json) and hostile input for every decoder.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/decoders/registry.hpp"

using namespace hypnic;
namespace json = boost::json;

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The decoded reading as JSON, in the vocabulary of the cases.json files.
json::value to_json(const Reading& r) {
    json::object o;
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, AccelBatch>) {
                o["type"] = "accel";
                o["t0"] = x.t0;
                o["hz"] = x.hz;
                json::array rows;
                for (const auto& s : x.xyz_g) rows.push_back(json::array{s[0], s[1], s[2]});
                o["xyz"] = rows;
            } else if constexpr (std::is_same_v<T, ScalarBatch>) {
                o["type"] = "scalar";
                o["t0"] = x.t0;
                o["hz"] = x.hz;
                json::array v;
                for (float f : x.v) v.push_back(f);
                o["v"] = v;
            } else if constexpr (std::is_same_v<T, VibrationReport>) {
                o["type"] = "vibration";
                o["t"] = x.t;
                o["strength"] = x.strength;
            } else if constexpr (std::is_same_v<T, ActivityEpochs>) {
                o["type"] = "activity";
                o["t0"] = x.t0;
                o["epoch_s"] = x.epoch_s;
                json::array c;
                for (double d : x.counts) c.push_back(d);
                o["counts"] = c;
            } else if constexpr (std::is_same_v<T, PresenceReading>) {
                o["type"] = "presence";
                o["t"] = x.t;
                o["in_bed"] = x.in_bed;
            } else if constexpr (std::is_same_v<T, LightReading>) {
                o["type"] = "lights";
                o["t"] = x.t;
                o["on"] = x.on;
                if (x.brightness_pct)
                    o["brightness_pct"] = *x.brightness_pct;
                else
                    o["brightness_pct"] = nullptr;
            } else if constexpr (std::is_same_v<T, SleepAppEvent>) {
                o["type"] = "sleep_app";
                o["t"] = x.t;
                o["event"] = x.event;
            } else if constexpr (std::is_same_v<T, FactorLog>) {
                o["type"] = "factor";
                o["t"] = x.t;
                o["factor"] = std::string(to_string(x.factor));
                o["amount"] = x.amount;
                o["note"] = x.note;
                o["source"] = x.source;
            } else {
                o["type"] = "source";
                o["t"] = x.t;
                o["value"] = x.value;
            }
        },
        r);
    return o;
}

double num(const json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    FAIL("not a number: " << json::serialize(v));
    return 0;
}

// Structural equality with a relative tolerance on numbers (samples are stored as float).
void check_same(const json::value& actual, const json::value& expected, const std::string& path) {
    INFO("at " << path << ": actual " << json::serialize(actual) << ", expected " << json::serialize(expected));
    if (expected.is_number()) {
        REQUIRE(actual.is_number());
        const double a = num(actual), e = num(expected);
        CHECK(std::fabs(a - e) <= 1e-6 * std::max(1.0, std::fabs(e)));
    } else if (expected.is_array()) {
        REQUIRE(actual.is_array());
        REQUIRE(actual.get_array().size() == expected.get_array().size());
        for (std::size_t i = 0; i < expected.get_array().size(); ++i)
            check_same(actual.get_array()[i], expected.get_array()[i], path + "[" + std::to_string(i) + "]");
    } else if (expected.is_object()) {
        REQUIRE(actual.is_object());
        REQUIRE(actual.get_object().size() == expected.get_object().size());
        for (const auto& kv : expected.get_object()) {
            const json::value* a = actual.get_object().if_contains(kv.key());
            REQUIRE(a != nullptr);
            check_same(*a, kv.value(), path + "." + std::string(kv.key()));
        }
    } else {
        CHECK(actual == expected);
    }
}

SensorSpec spec_of(SensorKind kind, std::string format, std::string pointer = "", std::string unit = "g") {
    SensorSpec s;
    s.kind = kind;
    s.topic = "test/topic";
    s.format = std::move(format);
    s.value_pointer = std::move(pointer);
    s.unit = std::move(unit);
    return s;
}

constexpr UnixS ARRIVAL = 1764104523.25;

}  // namespace

TEST_CASE("golden payloads decode to the recorded readings", "[decoders][golden]") {
    const std::filesystem::path root = std::filesystem::path(HYPNIC_TEST_DATA) / "payloads";
    std::size_t cases = 0;
    for (const std::string kind_name : {"accel", "scalar", "vibration", "activity", "presence", "lights",
                                        "sleep_as_android", "source", "mask", "log"}) {
        const auto dir = root / kind_name;
        const json::value doc = json::parse(read_file(dir / "cases.json"));
        for (const json::value& c : doc.at("cases").as_array()) {
            const json::object& co = c.as_object();
            const std::string name(co.at("name").as_string());
            INFO(kind_name << ": " << name);
            const std::string payload = co.contains("file") ? read_file(dir / std::string(co.at("file").as_string()))
                                                            : std::string(co.at("payload").as_string());
            const double arrival = num(co.at("arrival"));
            DecodeResult r;
            if (kind_name == "log") {
                const auto f = factor_from_string(std::string(co.at("factor").as_string()));
                REQUIRE(f);
                r = decode_factor_log(*f, payload, arrival);
            } else {
                const auto kind = sensor_kind_from_string(kind_name);
                REQUIRE(kind);
                const auto str = [&](const char* k, const char* dflt) {
                    return co.contains(k) ? std::string(co.at(k).as_string()) : std::string(dflt);
                };
                r = decode_payload(spec_of(*kind, str("format", ""), str("value", ""), str("unit", "g")), payload,
                                   arrival);
            }
            const json::object& expect = co.at("expect").as_object();
            if (expect.contains("failure")) {
                REQUIRE_FALSE(r.ok());
                CHECK(r.failure->reason == std::string(expect.at("failure").as_string()));
                CHECK_FALSE(r.failure->detail.empty());
            } else if (expect.contains("ignored")) {
                INFO((r.failure ? r.failure->detail : std::string()));
                REQUIRE(r.ok());
                CHECK(r.readings.empty());
                CHECK_FALSE(r.ignored.empty());
            } else {
                INFO((r.failure ? r.failure->detail : std::string()));
                REQUIRE(r.ok());
                const json::array& want = expect.at("readings").as_array();
                REQUIRE(r.readings.size() == want.size());
                for (std::size_t i = 0; i < want.size(); ++i) check_same(to_json(r.readings[i]), want[i], "readings");
            }
            ++cases;
        }
    }
    CHECK(cases >= 70);
}

TEST_CASE("every registered decoder decodes its documented example", "[decoders][registry]") {
    REQUIRE(all_decoders().size() >= 13);
    for (const DecoderDescriptor* d : all_decoders()) {
        INFO(to_string(d->kind) << "/" << d->format);
        CHECK_FALSE(d->description.empty());
        CHECK(find_decoder(d->kind, d->format) == d);
        SensorSpec s = spec_of(d->kind, std::string(d->format));
        if (d->format == "json" && (d->kind == SensorKind::source || d->kind == SensorKind::mask))
            s.value_pointer = d->kind == SensorKind::source ? "/power" : "/state";
        const DecodeResult r = d->decode(s, d->example, 1764104524.0);
        INFO((r.failure ? r.failure->detail : std::string()));
        REQUIRE(r.ok());
        CHECK(r.readings.size() == 1);
    }
    CHECK(find_decoder(SensorKind::accel, "zigbee2mqtt") == nullptr);
    const DecodeResult r = decode_payload(spec_of(SensorKind::accel, "csv"), "1,2,3", ARRIVAL);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->reason == "format");
    CHECK(r.failure->detail.find("csv") != std::string::npos);
}

TEST_CASE("accel rejects hostile batches with the field named", "[decoders][hostile][accel]") {
    const SensorSpec s = spec_of(SensorKind::accel, "hypnic");
    const auto fails = [&](const std::string& payload, const std::string& reason, const std::string& mention) {
        INFO(payload.substr(0, 120));
        const DecodeResult r = decode_payload(s, payload, ARRIVAL);
        REQUIRE_FALSE(r.ok());
        CHECK(r.failure->reason == reason);
        INFO(r.failure->detail);
        CHECK(r.failure->detail.find(mention) != std::string::npos);
        CHECK(r.readings.empty());
    };
    fails("", "json", "accel/hypnic");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]", "json", "invalid JSON");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]]} trailing", "json", "invalid JSON");
    fails("[1,2,3]", "type", "expected an object");
    fails("{\"xyz\": [[0,0,1]]}", "missing", "\"hz\"");
    fails("{\"hz\": \"50\", \"xyz\": [[0,0,1]]}", "type", "\"hz\"");
    fails("{\"hz\": 5000, \"xyz\": [[0,0,1]]}", "range", "\"hz\"");
    fails("{\"hz\": 0.5, \"xyz\": [[0,0,1]]}", "range", "\"hz\"");
    fails("{\"hz\": 1e999, \"xyz\": [[0,0,1]]}", "range", "\"hz\"");
    fails("{\"hz\": -1e999, \"xyz\": [[0,0,1]]}", "range", "\"hz\"");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1e999]]}", "range", "\"xyz\"[0][2]");
    fails("{\"hz\": 50, \"xyz\": [[0,0,\"NaN\"]]}", "type", "\"xyz\"[0][2]");
    fails("{\"hz\": 50, \"xyz\": [[0,0,NaN]]}", "json", "invalid JSON");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1],[0,0,\"Infinity\"]]}", "type", "\"xyz\"[1][2]");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1],[0,0,-16.5]]}", "range", "\"xyz\"[1][2]");
    fails("{\"hz\": 50, \"xyz\": []}", "missing", "no samples");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1],[0,0]]}", "type", "\"xyz\"[1]");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1,1]]}", "type", "expected 3");
    fails("{\"hz\": 50, \"xyz\": [1,2,3]}", "type", "\"xyz\"[0]");
    fails("{\"hz\": 50, \"xyz\": {\"x\":1}}", "type", "\"xyz\"");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]], \"t0\": 1}", "range", "more than a year before");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]], \"t0\": 1764104523.25e3}", "range", "more than a day after");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]], \"t0\": \"now\"}", "type", "\"t0\"");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]], \"unit\": 9.81}", "type", "\"unit\"");
    fails("{\"hz\": 50, \"xyz\": [[0,0,1]], \"extra\": 1}", "field", "extra");
    fails(std::string(40, '[') + std::string(40, ']'), "depth", "nested deeper");
    fails("{\"hz\": 50, \"xyz\": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}", "depth", "nested deeper");
    fails(std::string("{\"hz\": 50, \"xyz\": [[0,0,1]], \"unit\": \"\xff\xfe\"}"), "json", "invalid JSON");
    fails(std::string("\x00\x01\x02\x03", 4), "json", "invalid JSON");

    // One more sample than allowed is refused as too large, before any value is converted.
    std::string huge = "{\"hz\": 1000, \"xyz\": [";
    for (std::size_t i = 0; i <= MAX_SAMPLES; ++i) huge += i ? ",[0,0,1]" : "[0,0,1]";
    huge += "]}";
    fails(huge, "too_large", "100000");

    // Exactly the limit is fine.
    std::string max = "{\"hz\": 1000, \"xyz\": [";
    for (std::size_t i = 0; i < MAX_SAMPLES; ++i) max += i ? ",[0,0,1]" : "[0,0,1]";
    max += "]}";
    const DecodeResult ok = decode_payload(s, max, ARRIVAL);
    REQUIRE(ok.ok());
    CHECK(std::get<AccelBatch>(ok.readings[0]).xyz_g.size() == MAX_SAMPLES);
}

TEST_CASE("decoders never crash on arbitrary bytes or truncations", "[decoders][hostile]") {
    // Every prefix of every example, and byte-flipped copies, must give a result, never a throw.
    std::uint32_t rng = 12345;
    const auto next = [&] {
        rng = rng * 1664525u + 1013904223u;
        return rng >> 8;
    };
    for (const DecoderDescriptor* d : all_decoders()) {
        SensorSpec s = spec_of(d->kind, std::string(d->format), d->format == "json" ? "/state" : "");
        const std::string ex(d->example);
        for (std::size_t n = 0; n < ex.size(); ++n) {
            const DecodeResult r = decode_payload(s, std::string_view(ex).substr(0, n), ARRIVAL);
            CHECK((r.ok() || !r.failure->detail.empty()));
            if (!r.ok()) CHECK(r.failure->reason != "internal");
        }
        for (int k = 0; k < 200; ++k) {
            std::string mutated = ex;
            for (int j = 0; j < 3 && !mutated.empty(); ++j)
                mutated[next() % mutated.size()] = static_cast<char>(next() & 0xFF);
            const DecodeResult r = decode_payload(s, mutated, ARRIVAL);
            if (!r.ok()) {
                CHECK_FALSE(r.failure->detail.empty());
                CHECK(r.failure->reason != "internal");
            }
        }
    }
    const DecodeResult deep = decode_payload(spec_of(SensorKind::presence, "json"), std::string(100000, '['), ARRIVAL);
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.failure->reason == "depth");
}

TEST_CASE("empty and binary payloads are refused or ignored per kind", "[decoders][hostile]") {
    const std::string binary("\x89PNG\r\n\x1a\n\x00\x00", 10);
    for (const DecoderDescriptor* d : all_decoders()) {
        INFO(to_string(d->kind) << "/" << d->format);
        const SensorSpec s = spec_of(d->kind, std::string(d->format));
        const DecodeResult empty = decode_payload(s, "", ARRIVAL);
        const bool plain = d->format == "plain";
        // An empty plain state is Home Assistant's "no state"; an empty JSON payload is broken.
        if (plain) {
            CHECK(empty.ok());
            CHECK(empty.readings.empty());
        } else {
            REQUIRE_FALSE(empty.ok());
            CHECK(empty.failure->reason == "json");
        }
        const DecodeResult bin = decode_payload(s, binary, ARRIVAL);
        REQUIRE_FALSE(bin.ok());
        CHECK(bin.failure->reason == (plain ? "format" : "json"));
        // The detail quotes bytes safely (no raw control bytes end up in a log line).
        for (const char c : bin.failure->detail) CHECK(static_cast<unsigned char>(c) >= 0x20);
    }
}

TEST_CASE("scalar and activity refuse absurd rates, times and values", "[decoders][hostile]") {
    const SensorSpec sc = spec_of(SensorKind::scalar, "hypnic");
    const auto reason = [&](const SensorSpec& s, const std::string& p) {
        const DecodeResult r = decode_payload(s, p, ARRIVAL);
        return r.ok() ? std::string("ok") : r.failure->reason;
    };
    CHECK(reason(sc, "{\"hz\": 1001, \"v\": [1]}") == "range");
    CHECK(reason(sc, "{\"hz\": 25, \"v\": [1e999]}") == "range");
    CHECK(reason(sc, "{\"hz\": 25, \"v\": [1e300]}") == "range");
    CHECK(reason(sc, "{\"hz\": 25, \"v\": []}") == "missing");
    CHECK(reason(sc, "{\"hz\": 25, \"v\": [1], \"t0\": -5}") == "range");
    CHECK(reason(sc, "{\"hz\": 25, \"v\": \"1,2,3\"}") == "type");
    CHECK(reason(sc, "{\"hz\": 25}") == "missing");
    CHECK(reason(sc, "{\"hz\": 25, \"v\": [1], \"unit\": [\"kg\"]}") == "type");

    const SensorSpec ac = spec_of(SensorKind::activity, "hypnic");
    CHECK(reason(ac, "{\"epoch_s\": 0, \"count\": 1}") == "range");
    CHECK(reason(ac, "{\"epoch_s\": 86400, \"count\": 1}") == "range");
    CHECK(reason(ac, "{\"count\": 1e999}") == "range");
    CHECK(reason(ac, "{\"count\": \"12\"}") == "type");
    CHECK(reason(ac, "{\"t\": 1e15, \"count\": 1}") == "range");
    CHECK(reason(ac, "{\"t0\": 1764104400, \"count\": 1}") == "field");
    CHECK(reason(ac, "{\"counts\": []}") == "missing");
    std::string many = "{\"counts\": [0";
    for (std::size_t i = 0; i < MAX_SAMPLES; ++i) many += ",0";
    many += "]}";
    CHECK(reason(ac, many) == "too_large");
}

TEST_CASE("state-like decoders refuse wrong types and odd values", "[decoders][hostile]") {
    const auto reason = [](const SensorSpec& s, const std::string& p) {
        const DecodeResult r = decode_payload(s, p, ARRIVAL);
        return r.ok() ? (r.readings.empty() ? std::string("ignored") : std::string("ok")) : r.failure->reason;
    };
    const SensorSpec vib = spec_of(SensorKind::vibration, "zigbee2mqtt");
    CHECK(reason(vib, "{\"action\": 1}") == "type");
    CHECK(reason(vib, "{\"action\": \"vibration\", \"strength\": \"high\"}") == "type");
    CHECK(reason(vib, "{\"action\": \"vibration\", \"strength\": -3}") == "range");
    CHECK(reason(vib, "{\"action\": \"vibration\", \"strength\": 1e999}") == "range");
    CHECK(reason(vib, "\"vibration\"") == "type");
    CHECK(reason(vib, "{\"action\": \"vibration\"") == "json");

    const SensorSpec pj = spec_of(SensorKind::presence, "json", "occupancy");  // pointer without '/'
    CHECK(reason(pj, "{\"occupancy\": true}") == "format");
    const SensorSpec pj2 = spec_of(SensorKind::presence, "json", "/occupancy");
    CHECK(reason(pj2, "{\"occupancy\": [true]}") == "type");
    CHECK(reason(pj2, "{\"occupancy\": null}") == "ignored");
    CHECK(reason(pj2, "{\"occupancy\": \"ON\"}") == "ok");

    const SensorSpec lj = spec_of(SensorKind::lights, "json");
    CHECK(reason(lj, "{\"state\": {\"on\": true}}") == "type");
    CHECK(reason(lj, "{\"POWER\": \"ON\", \"Dimmer\": 101}") == "range");
    CHECK(reason(lj, "{\"state\": \"ON\", \"brightness\": \"max\"}") == "type");
    CHECK(reason(lj, "{\"state\": \"ON\", \"brightness\": -1}") == "range");
    CHECK(reason(lj, "{\"Dimmer\": 30}") == "ok");  // a RESULT of a Dimmer command alone

    const SensorSpec saa = spec_of(SensorKind::sleep_as_android, "saa");
    CHECK(reason(saa, "{\"event\": 5}") == "type");
    CHECK(reason(saa, "{\"event\": \"\"}") == "format");
    CHECK(reason(saa, "{\"event\": \"Awake\"}") == "format");
    CHECK(reason(saa, "{\"event\": \"awake\", \"value1\": {\"x\": 1}}") == "type");

    const SensorSpec src = spec_of(SensorKind::source, "plain");
    CHECK(reason(src, "inf") == "range");
    CHECK(reason(src, "-Infinity") == "range");
    CHECK(reason(src, "1e999") == "range");
    CHECK(reason(src, "12abc") == "format");
    CHECK(reason(src, "0x10") == "format");
    CHECK(reason(src, "+3") == "ok");
    const SensorSpec srcj = spec_of(SensorKind::source, "json", "/v");
    CHECK(reason(srcj, "{\"v\": \"NaN\"}") == "range");
    CHECK(reason(srcj, "{\"v\": \"unavailable\"}") == "ignored");
    CHECK(reason(srcj, "{\"v\": true}") == "ok");
}

TEST_CASE("factor logs refuse hostile payloads", "[decoders][hostile][log]") {
    const auto reason = [](Factor f, const std::string& p) {
        const DecodeResult r = decode_factor_log(f, p, ARRIVAL);
        return r.ok() ? std::string("ok") : r.failure->reason;
    };
    CHECK(reason(Factor::caffeine, "{\"amount\": 1e999}") == "range");
    CHECK(reason(Factor::caffeine, "{\"amount\": -5}") == "range");
    CHECK(reason(Factor::caffeine, "{\"amount\": 2001}") == "range");
    CHECK(reason(Factor::caffeine, "{\"amount\": \"lots\"}") == "type");
    CHECK(reason(Factor::caffeine, "{\"ts\": 0}") == "range");
    CHECK(reason(Factor::caffeine, "{\"ts\": \"yesterday\"}") == "type");
    CHECK(reason(Factor::caffeine, "{\"amount\": 80") == "json");
    CHECK(reason(Factor::caffeine, "[80]") == "format");  // neither a number nor an object
    CHECK(reason(Factor::caffeine, "nan") == "range");
    CHECK(reason(Factor::caffeine, "coffee") == "format");
    CHECK(reason(Factor::caffeine, "{\"note\": \"" + std::string(201, 'x') + "\"}") == "too_large");
    // 200 characters of a 3-byte script are 600 bytes and still fine.
    std::string note;
    for (int i = 0; i < 200; ++i) note += "\xe2\x98\x95";
    CHECK(reason(Factor::caffeine, "{\"note\": \"" + note + "\"}") == "ok");
    CHECK(reason(Factor::stress, std::string(20, '{')) == "json");
    CHECK(reason(Factor::stress, std::string("{\"note\": \"\xc3\x28\"}")) == "json");
}
