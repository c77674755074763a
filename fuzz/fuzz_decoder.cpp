// libFuzzer target for one payload decoder, chosen at build time by HYPNIC_FUZZ_DECODER ("<kind>_<format>").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

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
    hypnic::fuzz::check(hypnic::decode_payload(spec, payload, 1764104600.0));
    return 0;
}
