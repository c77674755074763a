// hypnic_parse_only: the parsing half of a replay on its own — every capture line read and every accel payload decoded as `hypnicd replay` does, nothing detected.
//
//   hypnic_parse_only <capture.jsonl> [accel topic suffix, default "/accel"]
//
// The replay benchmark runs it beside `hypnicd replay` and the Python peer, so that the share of
// the replay's time spent parsing is measured in the same run rather than inferred from
// micro-benchmarks. It prints "lines N samples M" like bench/peer_parse.py, so the benchmark can
// check that both did the same work; a line or payload that does not decode is counted and named
// on stderr, and the exit status is then 1.
#include <fstream>
#include <iostream>
#include <string>
#include <variant>

#include "adapters/capture.hpp"
#include "adapters/decoders/registry.hpp"

using namespace hypnic;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: hypnic_parse_only <capture.jsonl> [accel topic suffix]\n";
        return 2;
    }
    const std::string path = argv[1];
    const std::string suffix = argc > 2 ? argv[2] : "/accel";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << path << ": cannot open\n";
        return 2;
    }
    CaptureReader reader(in, path);
    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    spec.unit = "g";
    std::size_t lines = 0, samples = 0, failures = 0;
    CaptureLine line;
    std::string err;
    for (;;) {
        const auto st = reader.next(line, err);
        if (st == CaptureReader::Status::end) break;
        ++lines;
        if (st != CaptureReader::Status::ok) {
            if (failures++ < 10) std::cerr << err << "\n";
            continue;
        }
        if (line.topic.size() < suffix.size() ||
            line.topic.compare(line.topic.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        // Each batch arrives at its capture time, as in replay.
        const DecodeResult r = decode_payload(spec, line.payload, line.ts);
        if (!r.ok()) {
            if (failures++ < 10) std::cerr << path << ": line " << lines << ": " << r.failure->detail << "\n";
            continue;
        }
        for (const auto& reading : r.readings)
            if (const auto* b = std::get_if<AccelBatch>(&reading)) samples += b->xyz_g.size();
    }
    std::cout << "lines " << lines << " samples " << samples << "\n";
    return failures == 0 ? 0 : 1;
}
