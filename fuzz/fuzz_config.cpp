// libFuzzer target for the YAML configuration loader: any text gives a Config or errors, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const hypnic::ConfigResult r = hypnic::load_config_text(text, "fuzz.yaml");
    // A refused file always says why.
    for (const auto& e : r.errors)
        if (e.to_string().empty()) std::abort();
    return 0;
}
