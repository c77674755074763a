// libFuzzer target for the capture reader (JSON Lines of recorded MQTT traffic, read by `replay`): its fast and complete paths must agree.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/capture.hpp"

namespace {

struct Read {
    std::vector<hypnic::CaptureReader::Status> status;
    std::vector<hypnic::CaptureLine> good;
    std::vector<std::string> errors;
};

Read read(const std::string& text, bool fast) {
    std::istringstream in(text);
    hypnic::CaptureReader reader(in, "fuzz.jsonl");
    reader.use_fast_path(fast);
    Read out;
    hypnic::CaptureLine line;
    std::string error;
    for (std::size_t guard = 0; guard <= text.size() + 1; ++guard) {
        const auto st = reader.next(line, error);
        if (st == hypnic::CaptureReader::Status::end) return out;
        out.status.push_back(st);
        // A bad line is reported with its place; a good one has a topic.
        if (st == hypnic::CaptureReader::Status::bad_line) {
            if (error.empty()) std::abort();
            out.errors.push_back(error);
        } else {
            if (line.topic.empty()) std::abort();
            out.good.push_back(line);
        }
    }
    std::abort();  // more lines than bytes: the reader does not advance
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const Read fast = read(text, true);
    const Read complete = read(text, false);
    // The same lines refused with the same words, the same lines read; a time stamp may differ
    // by 1 ULP, where Boost.JSON 1.81 does not round a long decimal to the nearest double.
    if (fast.status != complete.status || fast.errors != complete.errors) std::abort();
    for (std::size_t i = 0; i < fast.good.size(); ++i) {
        const auto& a = fast.good[i];
        const auto& b = complete.good[i];
        if (a.topic != b.topic || a.payload != b.payload) std::abort();
        if (a.ts != b.ts && std::nextafter(a.ts, b.ts) != b.ts) std::abort();
    }
    return 0;
}
