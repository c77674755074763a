// The malformed-payload corpus under tests/data/fuzz/<decoder>/ (also the libFuzzer seeds) as Catch2 cases.
//
// A file's name says what its decoder must make of it: `<expect>--<what>.<ext>`, where expect is
// `ok` (readings), `ignore` (understood, deliberately nothing), `any` (anything but a crash or an
// exception; a refusal must still use a known reason) or a failure reason ("json", "range", ...).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "adapters/decoders/registry.hpp"

using namespace hypnic;
namespace fs = std::filesystem;

namespace {

const fs::path CORPUS = HYPNIC_TEST_DATA "/fuzz";
constexpr UnixS ARRIVAL = 1764104600;  // 2025-11-25, just after the corpus's timestamps

const std::set<std::string> REASONS = {"json", "type", "range", "missing", "too_large", "depth", "field", "format"};

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The corpus directory of a decoder: "<kind>_<format>".
std::string corpus_name(const DecoderDescriptor& d) { return std::string(to_string(d.kind)) + "_" + std::string(d.format); }

/// How the corpus configures a sensor of this decoder: JSON source and mask values sit at /power.
SensorSpec spec_for(const DecoderDescriptor& d) {
    SensorSpec s;
    s.kind = d.kind;
    s.format = std::string(d.format);
    s.topic = "corpus/" + corpus_name(d);
    if ((d.kind == SensorKind::source || d.kind == SensorKind::mask) && d.format == "json") s.value_pointer = "/power";
    return s;
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> v;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

/// Checks one decode against the expectation in the file's name.
void check_outcome(const fs::path& file, const DecodeResult& r) {
    const std::string name = file.filename().string();
    const auto sep = name.find("--");
    REQUIRE(sep != std::string::npos);  // every corpus file states its expectation
    const std::string expect = name.substr(0, sep);
    INFO(file.parent_path().filename().string() << "/" << name << ": "
                                                << (r.failure ? r.failure->reason + ": " + r.failure->detail : "accepted"));
    if (r.failure) {
        // Every refusal names a reason from the closed set and says what was wrong.
        CHECK(REASONS.count(r.failure->reason) == 1);
        CHECK_FALSE(r.failure->detail.empty());
    }
    if (expect == "any") return;
    if (expect == "ok") {
        CHECK(r.ok());
        CHECK_FALSE(r.readings.empty());
    } else if (expect == "ignore") {
        CHECK(r.ok());
        CHECK(r.readings.empty());
        CHECK_FALSE(r.ignored.empty());
    } else {
        REQUIRE(REASONS.count(expect) == 1);
        REQUIRE_FALSE(r.ok());
        CHECK(r.failure->reason == expect);
    }
}

}  // namespace

TEST_CASE("every decoder has a hostile corpus, and each file decodes as its name says", "[hostile][corpus]") {
    std::size_t files = 0;
    for (const DecoderDescriptor* d : all_decoders()) {
        const fs::path dir = CORPUS / corpus_name(*d);
        INFO("corpus " << dir.string());
        REQUIRE(fs::is_directory(dir));
        const auto list = files_in(dir);
        CHECK(list.size() >= 5);
        const SensorSpec spec = spec_for(*d);
        for (const auto& f : list) {
            const std::string payload = read_bytes(f);
            DecodeResult r;
            REQUIRE_NOTHROW(r = decode_payload(spec, payload, ARRIVAL));
            check_outcome(f, r);
            ++files;
        }
    }
    CHECK(files > 100);
}

TEST_CASE("the factor log corpus decodes as its names say", "[hostile][corpus][log]") {
    const auto list = files_in(CORPUS / "factor_log");
    REQUIRE(list.size() >= 5);
    for (const auto& f : list) {
        DecodeResult r;
        REQUIRE_NOTHROW(r = decode_factor_log(Factor::caffeine, read_bytes(f), ARRIVAL));
        check_outcome(f, r);
    }
}

TEST_CASE("every prefix of every corpus file is refused or decoded, never a crash", "[hostile][corpus][truncation]") {
    // Truncation is the commonest damage on a flaky link: try every cut of the small files.
    std::size_t tried = 0;
    for (const DecoderDescriptor* d : all_decoders()) {
        const SensorSpec spec = spec_for(*d);
        for (const auto& f : files_in(CORPUS / corpus_name(*d))) {
            const std::string payload = read_bytes(f);
            if (payload.size() > 2048) continue;
            for (std::size_t n = 0; n < payload.size(); ++n) {
                DecodeResult r;
                REQUIRE_NOTHROW(r = decode_payload(spec, std::string_view(payload).substr(0, n), ARRIVAL));
                if (r.failure) CHECK(REASONS.count(r.failure->reason) == 1);
                ++tried;
            }
        }
    }
    CHECK(tried > 1000);
}

TEST_CASE("batches beyond the sample limit are refused as too large", "[hostile][size]") {
    const DecoderDescriptor* accel = find_decoder(SensorKind::accel, "hypnic");
    REQUIRE(accel != nullptr);
    std::string payload = "{\"t0\": 1764104523, \"hz\": 1000, \"xyz\": [";
    for (std::size_t i = 0; i <= MAX_SAMPLES; ++i) payload += i ? ",[0,0,1]" : "[0,0,1]";
    payload += "]}";
    const auto r = decode_payload(spec_for(*accel), payload, ARRIVAL);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->reason == "too_large");
    CHECK(r.failure->detail.find("xyz") != std::string::npos);
}
