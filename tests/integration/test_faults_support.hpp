// Shared pieces of the fault and soak tests (test_faults*.cpp, test_soak*.cpp).
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/capture.hpp"
#include "tests/integration/broker.hpp"

namespace hypnic::test {

/// One simulated night (`hypnicd simulate --hz 10`, bed accelerometer only) re-cut into 30-s
/// batches whose sample times start at `start_at`, followed by 12 min of getting up (movement every
/// minute) and 45 min of an empty, still bed, so that the night closes on sample time alone. `capture` holds the same lines (ts = end of each
/// batch) for `hypnicd replay`.
struct LiveNight {
    std::vector<CaptureLine> lines;
    std::string capture;
};
LiveNight make_live_night(const TempDir& dir, unsigned seed, double start_at, const std::string& name = "night");

/// Seconds since the Unix epoch, now.
double wall_clock_s();

/// The first moment from `earliest` on at which a test night (at most 12 h of sample time) fits
/// inside one evening's span of the fault configuration (UTC, the default evening_start_hour). hypnicd
/// closes an open night at the next evening's start by its own clock, which a night passed in
/// seconds never reaches, while `hypnicd replay` reaches it on sample time: a night that crossed it
/// would be closed there by the replay only.
double live_night_start(double earliest);

/// hypnicd's configuration for the fault tests: one sleeper with a bed accelerometer, keep-alive 5 s,
/// reconnect back-off at most 2 s, diagnostics every second; `extra_mqtt` adds lines under `mqtt:`.
/// Every line of a capture file (JSON Lines); a bad line fails the test.
std::vector<CaptureLine> read_capture(const std::string& path);

std::string fault_config(const std::string& url, const std::string& state_dir, const std::string& extra_mqtt = "");

/// `payload` when it is a closed night summary (out_of_bed set), else empty.
std::string closed_night(const std::string& payload);
/// The closed night summary `hypnicd replay` of `capture` publishes last (empty: none).
std::string replay_night(const std::string& config, const std::string& capture, const TempDir& dir);
/// Waits for a closed night summary on hypnic/alex/night.
std::optional<std::string> wait_closed_night(TestClient& watch, std::chrono::milliseconds timeout);
/// Every field equal, except the ones derived from the minutes asleep, which may differ by the
/// relative `tolerance`.
void check_same_night(const std::string& live, const std::string& reference, double tolerance);
/// The first hypnic/diagnostics payload received that satisfies `pred`.
std::optional<boost::json::object> latest_diagnostics(TestClient& watch,
                                                      const std::function<bool(const boost::json::object&)>& pred,
                                                      std::chrono::milliseconds timeout);

}  // namespace hypnic::test
