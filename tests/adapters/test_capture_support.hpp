// Shared by the capture tests: reading a whole capture text, and mutating JSON text at random.
#pragma once

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/capture.hpp"

namespace hypnic::test {

/// Everything a CaptureReader makes of `text`: each line's status, the good lines, the errors.
struct CaptureRead {
    std::vector<CaptureReader::Status> status;
    std::vector<CaptureLine> good;
    std::vector<std::string> errors;
};

/// Reads `text` as "night.jsonl" to the end, with the fast path on or off.
inline CaptureRead read_capture(const std::string& text, bool fast = true) {
    std::istringstream in(text);
    CaptureReader r(in, "night.jsonl");
    r.use_fast_path(fast);
    CaptureRead out;
    CaptureLine line;
    std::string err;
    for (;;) {
        const auto st = r.next(line, err);
        if (st == CaptureReader::Status::end) break;
        out.status.push_back(st);
        if (st == CaptureReader::Status::ok)
            out.good.push_back(line);
        else
            out.errors.push_back(err);
    }
    return out;
}

/// `edits` random one-byte replacements, short deletions or one-byte insertions from JSON's
/// structural characters, digits, letters of literals, whitespace, a control byte and UTF-8 bytes.
inline void mutate(std::string& text, int edits, std::mt19937_64& rng) {
    static const std::string alphabet = "{}[]\",:\\0123456789.eE+-tfnul \t\x01\x7f\xc3\xa9\xff";
    for (int e = 0; e < edits && !text.empty(); ++e) {
        const std::size_t at = rng() % text.size();
        switch (rng() % 3) {
            case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
            case 1: text.erase(at, 1 + rng() % 3); break;
            default: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        }
    }
}

}  // namespace hypnic::test
