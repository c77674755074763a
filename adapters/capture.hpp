// JSON Lines captures (input of `replay`, output of `record`/`simulate`) and publication lines.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "plugin/types.hpp"

namespace hypnic {

/// One captured MQTT message: `{"ts": 1764104523.25, "topic": "...", "payload": "..."}`
/// (or `"payload_b64"` for binary payloads, decoded into `payload`).
struct CaptureLine {
    UnixS ts = 0;
    std::string topic;
    std::string payload;
};

/// Reads a capture line by line. Malformed lines are reported with their line number and skipped.
class CaptureReader {
public:
    CaptureReader(std::istream& in, std::string name);
    ~CaptureReader();
    /// The next good line; nullopt at the end. `error` receives "file:line:col: message" for a bad
    /// line (the call then returns that line as skipped and the caller may go on).
    enum class Status { ok, bad_line, end };
    Status next(CaptureLine& line, std::string& error);
    std::size_t line_number() const { return line_no_; }
    /// Plain valid lines are read by a fast simdjson reader first; false reads every line with the
    /// complete Boost.JSON reader alone (same results), for the tests and fuzzers that compare them.
    void use_fast_path(bool on) { fast_enabled_ = on; }

private:
    std::istream& in_;
    std::string name_;
    std::size_t line_no_ = 0;
    std::string buf_;
    std::string chunk_;           // bytes read from the stream ahead of the current line
    std::size_t chunk_pos_ = 0;   // first unconsumed byte of chunk_
    struct Fast;                  // the On-Demand parser of the plain valid line (capture.cpp)
    std::unique_ptr<Fast> fast_;
    bool fast_enabled_ = true;
    void release_if_huge();
};

/// Writes `{"ts":..., "topic":..., "payload":...}` (payload_b64 when not valid UTF-8) and a newline.
void write_capture_line(std::ostream& out, const CaptureLine& line);
/// Writes `{"ts":..., "topic":..., "payload":..., "retain":..., "qos":...}` and a newline.
void write_publication_line(std::ostream& out, const Publication& p);

}  // namespace hypnic
