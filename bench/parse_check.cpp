// hypnic_parse_check: reads a capture with the fast (simdjson) and the complete (Boost.JSON) paths and reports every difference.
//
//   hypnic_parse_check <capture.jsonl> [accel topic suffix, default "/accel"]
//
// For each line: status, error text, time stamp (bits), topic and payload of both capture readers.
// For each payload on a topic ending in the suffix: the accel decoder through decode_payload (fast
// path first) and the complete decoder alone, batch for batch, bit for bit. Differences in doubles
// are counted in ULP. Exit status 0 when both paths agree everywhere.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "adapters/capture.hpp"
#include "adapters/decoders/accel_hypnic.hpp"
#include "adapters/decoders/registry.hpp"

using namespace hypnic;

namespace {

std::int64_t ulps(double a, double b) {
    std::int64_t x = 0, y = 0;
    std::memcpy(&x, &a, sizeof x);
    std::memcpy(&y, &b, sizeof y);
    return x > y ? x - y : y - x;
}

std::vector<std::pair<CaptureReader::Status, CaptureLine>> read(const std::string& path, bool fast,
                                                                 std::vector<std::string>& errors) {
    std::ifstream in(path, std::ios::binary);
    CaptureReader r(in, path);
    r.use_fast_path(fast);
    std::vector<std::pair<CaptureReader::Status, CaptureLine>> out;
    CaptureLine l;
    std::string err;
    for (;;) {
        const auto st = r.next(l, err);
        if (st == CaptureReader::Status::end) break;
        out.emplace_back(st, st == CaptureReader::Status::ok ? l : CaptureLine{});
        if (st != CaptureReader::Status::ok) errors.push_back(err);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: hypnic_parse_check <capture.jsonl> [accel topic suffix]\n";
        return 2;
    }
    const std::string path = argv[1];
    const std::string suffix = argc > 2 ? argv[2] : "/accel";
    std::vector<std::string> err_fast, err_complete;
    const auto fast = read(path, true, err_fast);
    const auto complete = read(path, false, err_complete);
    std::size_t line_diffs = 0, ts_diffs = 0;
    std::int64_t ts_max_ulp = 0;
    if (fast.size() != complete.size() || err_fast != err_complete) ++line_diffs;

    SensorSpec spec;
    spec.kind = SensorKind::accel;
    spec.format = "hypnic";
    spec.unit = "g";
    std::size_t payloads = 0, samples = 0, batch_diffs = 0, sample_diffs = 0, outcome_diffs = 0;
    std::int64_t double_max_ulp = 0;
    for (std::size_t i = 0; i < std::min(fast.size(), complete.size()); ++i) {
        const auto& [sa, a] = fast[i];
        const auto& [sb, b] = complete[i];
        if (sa != sb || a.topic != b.topic || a.payload != b.payload) ++line_diffs;
        if (const std::int64_t u = ulps(a.ts, b.ts); u != 0) {
            ++ts_diffs;
            ts_max_ulp = std::max(ts_max_ulp, u);
        }
        if (sa != CaptureReader::Status::ok || a.topic.size() < suffix.size() ||
            a.topic.compare(a.topic.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        ++payloads;
        // Each batch arrives at its capture time, as in replay.
        const DecodeResult x = decode_payload(spec, a.payload, a.ts);
        const DecodeResult y = decode_accel_complete(spec, a.payload, a.ts);
        if (x.ok() != y.ok() || (!x.ok() && x.failure->detail != y.failure->detail)) {
            ++outcome_diffs;
            continue;
        }
        if (!x.ok()) continue;
        const auto& p = std::get<AccelBatch>(x.readings[0]);
        const auto& q = std::get<AccelBatch>(y.readings[0]);
        const std::int64_t u = std::max(ulps(p.t0, q.t0), ulps(p.hz, q.hz));
        double_max_ulp = std::max(double_max_ulp, u);
        bool differ = u != 0 || p.xyz_g.size() != q.xyz_g.size();
        for (std::size_t k = 0; k < std::min(p.xyz_g.size(), q.xyz_g.size()); ++k) {
            ++samples;
            if (std::memcmp(&p.xyz_g[k], &q.xyz_g[k], sizeof p.xyz_g[k]) != 0) {
                ++sample_diffs;
                differ = true;
            }
        }
        batch_diffs += differ ? 1 : 0;
    }
    std::cout << "lines " << fast.size() << " (bad " << err_fast.size() << ")\n"
              << "line_differences " << line_diffs << "\n"
              << "ts_differences " << ts_diffs << " (max " << ts_max_ulp << " ULP)\n"
              << "accel_payloads " << payloads << ", samples " << samples << "\n"
              << "accel_outcome_differences " << outcome_diffs << "\n"
              << "accel_batch_differences " << batch_diffs << " (t0/hz max " << double_max_ulp << " ULP, samples "
              << sample_diffs << ")\n";
    return line_diffs + ts_diffs + outcome_diffs + batch_diffs == 0 ? 0 : 1;
}
