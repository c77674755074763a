// libFuzzer target for the capture reader (JSON Lines of recorded MQTT traffic, read by `replay`).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "adapters/capture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    hypnic::CaptureReader reader(in, "fuzz.jsonl");
    hypnic::CaptureLine line;
    std::string error;
    for (std::size_t guard = 0; guard <= size + 1; ++guard) {
        const auto st = reader.next(line, error);
        if (st == hypnic::CaptureReader::Status::end) return 0;
        // A bad line is reported with its place; a good one has a topic.
        if (st == hypnic::CaptureReader::Status::bad_line && error.empty()) std::abort();
    }
    std::abort();  // more lines than bytes: the reader does not advance
}
