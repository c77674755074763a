// Captured accel batches: the decoder's event-parser fast path against a plain tree-walking reference and against its complete decoder, value for value and bit for bit.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "adapters/decoders/accel_hypnic.hpp"
#include "adapters/decoders/decoder.hpp"
#include "adapters/decoders/registry.hpp"
#include "test_capture_support.hpp"

using namespace hypnic;

namespace {

constexpr UnixS ARRIVAL = 1795649852.5;

/// What a batch must decode to, computed the plain way: parse the whole tree, convert each number
/// to double, scale, round to float. Only for payloads of the documented valid shape.
AccelBatch reference(const std::string& payload, const std::string& configured_unit) {
    const boost::json::object o = boost::json::parse(payload).as_object();
    const auto num = [](const boost::json::value& v) {
        if (v.is_int64()) return static_cast<double>(v.get_int64());
        if (v.is_uint64()) return static_cast<double>(v.get_uint64());
        return v.get_double();
    };
    std::string unit = configured_unit;
    if (const auto* u = o.if_contains("unit")) unit = std::string(u->as_string());
    const double scale = unit == "m/s2" ? 1 / STANDARD_GRAVITY : 1;
    AccelBatch b;
    b.hz = num(o.at("hz"));
    for (const auto& row : o.at("xyz").as_array()) {
        std::array<float, 3> s{};
        for (std::size_t k = 0; k < 3; ++k) s[k] = static_cast<float>(num(row.as_array()[k]) * scale);
        b.xyz_g.push_back(s);
    }
    const auto* t0 = o.if_contains("t0");
    b.t0 = t0 != nullptr ? num(*t0) : ARRIVAL - static_cast<double>(b.xyz_g.size() - 1) / b.hz;
    return b;
}

std::uint64_t bits(double x) {
    std::uint64_t b = 0;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

void check_same(const std::string& payload, const std::string& unit = "g") {
    INFO(payload.substr(0, 200));
    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    spec.unit = unit;
    const DecodeResult r = decode_payload(spec, payload, ARRIVAL);
    REQUIRE(r.ok());
    REQUIRE(r.readings.size() == 1);
    const auto& got = std::get<AccelBatch>(r.readings[0]);
    const AccelBatch want = reference(payload, unit);
    CHECK(bits(got.t0) == bits(want.t0));
    CHECK(bits(got.hz) == bits(want.hz));
    REQUIRE(got.xyz_g.size() == want.xyz_g.size());
    CHECK(std::memcmp(got.xyz_g.data(), want.xyz_g.data(), got.xyz_g.size() * sizeof got.xyz_g[0]) == 0);
}

/// A number in one of JSON's spellings: integer, fraction, exponent, negative zero.
std::string spell(std::mt19937_64& rng, double g) {
    char buf[64];
    switch (rng() % 6) {
        case 0: return std::to_string(static_cast<long long>(std::round(g)));
        case 1: std::snprintf(buf, sizeof buf, "%.17g", g); break;
        case 2: std::snprintf(buf, sizeof buf, "%.4f", g); break;
        case 3: std::snprintf(buf, sizeof buf, "%.6e", g); break;
        case 4: std::snprintf(buf, sizeof buf, "%.3fe-3", g * 1000); break;
        default: return g == 0 || rng() % 2 ? "-0" : "-0.0";
    }
    return buf;
}

}  // namespace

TEST_CASE("accel batches decode exactly as the tree-walking reference", "[capture][accel]") {
    std::mt19937_64 rng(9);
    std::normal_distribution<double> noise(0, 0.8);
    for (int round = 0; round < 400; ++round) {
        const std::size_t n = 1 + rng() % 120;
        std::string xyz = "[";
        for (std::size_t i = 0; i < n; ++i) {
            xyz += i ? ", [" : "[";
            for (int k = 0; k < 3; ++k) xyz += (k ? "," : "") + spell(rng, std::clamp(noise(rng), -15.9, 15.9));
            xyz += "]";
        }
        xyz += "]";
        // Fields in any order, t0 and unit present or not, whitespace around everything.
        std::vector<std::string> fields{"\"hz\": " + std::string(rng() % 2 ? "100" : "50.0"), "\"xyz\":" + xyz};
        if (rng() % 2) fields.push_back("\"t0\": " + std::to_string(ARRIVAL - 2));
        const bool m_s2 = rng() % 3 == 0;
        if (rng() % 2) fields.push_back(std::string("\"unit\" : ") + (m_s2 ? "\"m/s2\"" : "\"g\""));
        std::shuffle(fields.begin(), fields.end(), rng);
        std::string payload = rng() % 2 ? " {" : "{\n";
        for (std::size_t i = 0; i < fields.size(); ++i) payload += (i ? " ,\t" : "") + fields[i];
        payload += "}\r\n";
        check_same(payload, rng() % 4 == 0 ? "m/s2" : "g");
    }
}

TEST_CASE("accel batches with escaped keys, big integers and range edges decode as the reference", "[capture][accel]") {
    // An escaped key is the same key; a 20-digit integer is a uint64, a huge negative one a double.
    check_same(R"({"\u0068z": 50, "xyz": [[0, 0, 1]], "t\u0030": 1795649850})");
    check_same(R"({"hz": 50, "xyz": [[16, -16, 0.0], [1e1, -1E1, 4.9e-324]]})");
    check_same(R"({"hz": 18446744073709551615e-18, "xyz": [[0,0,1]]})");
    check_same(R"({"hz": 50, "xyz": [[156.9064, -156.9064, 9.80665]], "unit": "m/s2"})");
    check_same(R"({"hz": 50, "unit": "m/s2", "xyz": [[156.9064, -156.9064, 9.80665]]})");
}

TEST_CASE("accel batches the fast path refuses still get the complete decoder's answer", "[capture][accel][hostile]") {
    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    const auto fails = [&](const std::string& payload, const std::string& reason, const std::string& mention) {
        INFO(payload.substr(0, 200));
        const DecodeResult r = decode_payload(spec, payload, ARRIVAL);
        REQUIRE_FALSE(r.ok());
        CHECK(r.failure->reason == reason);
        INFO(r.failure->detail);
        CHECK(r.failure->detail.find(mention) != std::string::npos);
    };
    // Each stops the event parser at a different place; the error is the complete decoder's.
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "hz": 60, "t0": "x"})", "type", "\"t0\"");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "xyz": [[0,0,1],[0,0,17]]})", "range", "outside -16..16 g");
    fails(R"({"hz": 50, "xyz": [[0,0,1], null]})", "type", "\"xyz\"[1]");
    fails(R"({"hz": 50, "xyz": [[0,0,true]]})", "type", "\"xyz\"[0][2]");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "unit": "furlongs"})", "range", "furlongs");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "unit": "an unusually long unit name"})", "range", "not supported");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "t0": 1, "extra": 2, "more": 3})", "field", "extra");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "a_very_long_field_name": 1})", "field", "a_very_long_field_name");
    fails(R"({"hz": 50, "xyz": [[0,0,1]]}{})", "json", "invalid JSON");
    fails(R"({"hz": 50, "xyz": [[0,0,1]]}   x)", "json", "invalid JSON");
    fails(R"({"hz": 50, "xyz": [[0,0,1]] /* note */})", "json", "invalid JSON");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "t0": 1e999})", "range", "\"t0\"");
    fails(R"({"hz": 50, "xyz": [[0,0,1]], "t0": 1795649852.5e3})", "range", "more than a day after");
    fails(R"({"hz": 0.5, "xyz": [[0,0,1]]})", "range", "\"hz\"");
    fails(R"("just a string")", "type", "expected an object");
    fails("42", "type", "expected an object");
}

namespace {

// decode_payload (the event-parser fast path first) against the complete decoder alone: the same failure
// reason and text, or the same batch bit for bit.
void check_paths_agree(const std::string& payload, const SensorSpec& spec) {
    INFO(payload.substr(0, 300));
    const DecodeResult fast = decode_payload(spec, payload, ARRIVAL);
    const DecodeResult complete = decode_accel_complete(spec, payload, ARRIVAL);
    REQUIRE(fast.ok() == complete.ok());
    if (!fast.ok()) {
        CHECK(fast.failure->reason == complete.failure->reason);
        CHECK(fast.failure->detail == complete.failure->detail);
        return;
    }
    REQUIRE(fast.readings.size() == 1);
    REQUIRE(complete.readings.size() == 1);
    const auto& a = std::get<AccelBatch>(fast.readings[0]);
    const auto& b = std::get<AccelBatch>(complete.readings[0]);
    CHECK(bits(a.t0) == bits(b.t0));
    CHECK(bits(a.hz) == bits(b.hz));
    REQUIRE(a.xyz_g.size() == b.xyz_g.size());
    CHECK(std::memcmp(a.xyz_g.data(), b.xyz_g.data(), a.xyz_g.size() * sizeof a.xyz_g[0]) == 0);
}

}  // namespace

TEST_CASE("accel fast path and complete decoder agree on mutated batches", "[capture][accel][hostile]") {
    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    spec.unit = "g";
    std::mt19937_64 rng(2026);
    const std::vector<std::string> seeds = {
        R"({"t0":1795649851.51,"hz":100,"xyz":[[0.0123,-0.0045,0.9981],[0.0121,-0.0047,0.9979],[0,0,1]]})",
        R"({"hz": 50, "unit": "m/s2", "xyz": [[0.1, -0.2, 9.81], [0.12, -0.19, 9.8]]})",
        R"({"xyz":[[1e-3,-2E-3,1]],"hz":25.5,"t0":1795649850})",
    };
    for (int round = 0; round < 20000; ++round) {
        std::string p = seeds[rng() % seeds.size()];
        test::mutate(p, 1 + static_cast<int>(rng() % 3), rng);
        check_paths_agree(p, spec);
    }
}

TEST_CASE("accel fast path: long and extreme numbers get the complete decoder's value", "[capture][accel]") {
    // Numbers of more than 19 digits (simdjson 3.0.1 misreads this first one as 0.000129) and a
    // zero with a huge exponent (NaN to Boost.JSON 1.81, refused) read as the complete decoder
    // reads them.
    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    const std::string p = R"({"hz": 50, "xyz": [[0.03333333333333333333330, 1.0000000000000000000001, 1]]})";
    const DecodeResult r = decode_payload(spec, p, ARRIVAL);
    REQUIRE(r.ok());
    CHECK(std::get<AccelBatch>(r.readings[0]).xyz_g[0][0] == 0.0333333351F);
    check_paths_agree(p, spec);
    check_paths_agree(R"({"hz": 50, "xyz": [[0e400, 0, 1]]})", spec);
    CHECK_FALSE(decode_payload(spec, R"({"hz": 50, "xyz": [[0e400, 0, 1]]})", ARRIVAL).ok());
}

TEST_CASE("accel fast path: unusual shapes go to the complete decoder", "[capture][accel][hostile]") {
    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    for (const std::string& p : std::vector<std::string>{
             R"({"hz": 50, "xyz": [[0,0,1]], "hz": 50})",                    // repeated field
             R"({"hz": 50, "xyz": [[0,0,1]], "unit": "g", "unit": "g"})",
             R"({"hz": 50, "xyz": [[0,0,1,2]]})",                             // 4 values
             R"({"hz": 50, "xyz": [[0,0]]})",                                 // 2 values
             R"({"hz": 50, "xyz": []})",                                      // no rows
             R"({"hz": 50, "xyz": [[0,0,1]], "unit": 1})",
             R"({"hz": 50, "xyz": [[0,0,184467440737095516150]]})",          // beyond uint64
             R"({"hz": 50, "xyz": [[0,0,-0]], "t0": -0})",                    // -0 is the integer 0
             R"({"hz": 50, "xyz": [[0,0,1]]})" "\n\n  ",                       // trailing whitespace
             R"({"hz": 50, "xyz": [[0,0,1]]} x)",
             R"({"hz": 50, "xyz": [[0,0,1]]}])",
             R"({"hz": 50, "xyz": [[0,0,"1"]]})",
             R"({"hz": "50", "xyz": [[0,0,1]]})",
             R"({"hz": 50, "xyz": [[0,0,1]], "t0": null})",
             R"({"hz": 50, "xyz": [[0,0,1e400]]})",
             R"({"hz": 50, "xyz": [[0,0,16.000000000000001]]})",              // rounds to 16
             R"({"hz": 50, "xyz": [[0,0,16.00000000000001]]})",               // just above 16
             "{\"hz\": 50, \"xyz\": [[0,0,1]], \"unit\": \"g\xff\"}",
             std::string(R"({"hz": 50, "xyz": [[0,0,1]]})") + std::string(1, '\0'),
             std::string(20000, '[') + std::string(20000, ']'),
         })
        check_paths_agree(p, spec);
}
