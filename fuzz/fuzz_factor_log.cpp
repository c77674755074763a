// libFuzzer target for the built-in log topics' decoder (`<base>/<sleeper>/log/<factor>`).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/decoders/registry.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks the factor, so that every amount range is exercised.
    constexpr hypnic::Factor factors[] = {hypnic::Factor::caffeine, hypnic::Factor::exercise, hypnic::Factor::stress,
                                          hypnic::Factor::magnesium, hypnic::Factor::discomfort};
    const hypnic::Factor f = factors[data[0] % 5];
    const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
    hypnic::fuzz::check(hypnic::decode_factor_log(f, payload, 1764104600.0));
    return 0;
}
