// What every decoder fuzz target asserts beyond "no crash": a refusal uses the closed set of reasons.
#pragma once

#include <cstdlib>
#include <string>

#include "adapters/decoders/decoder.hpp"

namespace hypnic::fuzz {

/// Aborts (a finding for libFuzzer) when a failure has an unknown reason or no detail.
inline void check(const DecodeResult& r) {
    if (!r.failure) return;
    static const char* const reasons[] = {"json", "type", "range", "missing", "too_large", "depth", "field", "format"};
    for (const char* known : reasons)
        if (r.failure->reason == known) {
            if (r.failure->detail.empty()) std::abort();
            return;
        }
    std::abort();
}

}  // namespace hypnic::fuzz
