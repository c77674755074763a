// libFuzzer target for one payload decoder, chosen at build time by HYPNIC_FUZZ_DECODER ("<kind>_<format>").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "adapters/decoders/accel_hypnic.hpp"
#include "adapters/decoders/registry.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

const hypnic::DecoderDescriptor* decoder() {
    static const hypnic::DecoderDescriptor* found = [] {
        for (const hypnic::DecoderDescriptor* d : hypnic::all_decoders())
            if (std::string(hypnic::to_string(d->kind)) + "_" + std::string(d->format) == HYPNIC_FUZZ_DECODER) return d;
        std::abort();  // the CMake list names a decoder that does not exist
    }();
    return found;
}

// accel/hypnic: what the event-parser fast path accepted, the complete decoder accepts with the
// same batch, bit for bit.
void check_accel_paths(const hypnic::SensorSpec& spec, std::string_view payload, const hypnic::DecodeResult& r) {
    if (!r.ok()) return;  // a refusal is the complete decoder's own answer
    const hypnic::DecodeResult c = hypnic::decode_accel_complete(spec, payload, 1764104600.0);
    if (!c.ok()) std::abort();
    const auto& a = std::get<hypnic::AccelBatch>(r.readings.at(0));
    const auto& b = std::get<hypnic::AccelBatch>(c.readings.at(0));
    const auto near = [](auto x, auto y) { return std::memcmp(&x, &y, sizeof x) == 0; };
    if (!near(a.t0, b.t0) || !near(a.hz, b.hz) || a.xyz_g.size() != b.xyz_g.size()) std::abort();
    for (std::size_t i = 0; i < a.xyz_g.size(); ++i)
        for (std::size_t k = 0; k < 3; ++k)
            if (!near(a.xyz_g[i][k], b.xyz_g[i][k])) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const hypnic::DecoderDescriptor* d = decoder();
    hypnic::SensorSpec spec;
    spec.kind = d->kind;
    spec.format = std::string(d->format);
    spec.topic = "fuzz";
    // The same value pointer as the Catch2 corpus test (tests/adapters/test_hostile_corpus.cpp).
    if ((d->kind == hypnic::SensorKind::source || d->kind == hypnic::SensorKind::mask) && d->format == "json")
        spec.value_pointer = "/power";
    const std::string_view payload(reinterpret_cast<const char*>(data), size);
    const hypnic::DecodeResult r = hypnic::decode_payload(spec, payload, 1764104600.0);
    hypnic::fuzz::check(r);
    if (d->kind == hypnic::SensorKind::accel && d->format == "hypnic") check_accel_paths(spec, payload, r);
    return 0;
}
