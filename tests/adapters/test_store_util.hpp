// Shared helpers for the history store tests: a temporary directory and exact value comparison.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "plugin/types.hpp"

namespace hypnic::test {

/// A fresh directory under the system's temp dir, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        for (int attempt = 0; attempt < 100; ++attempt) {
            path_ = std::filesystem::temp_directory_path() / ("hypnic-store-" + std::to_string(rd()));
            if (std::filesystem::create_directory(path_)) return;
        }
        FAIL("cannot create a temporary directory");
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

/// Same bits (so NaN equals NaN and 0.1 must come back as exactly 0.1).
inline bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }
inline bool same(const std::optional<double>& a, const std::optional<double>& b) {
    return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

inline void require_same(const NightSummary& a, const NightSummary& b) {
    INFO("night " << a.night);
    CHECK(a.night == b.night);
    CHECK(same(a.in_bed, b.in_bed));
    CHECK(same(a.lights_out, b.lights_out));
    CHECK(same(a.sleep_onset, b.sleep_onset));
    CHECK(same(a.out_of_bed, b.out_of_bed));
    CHECK(same(a.onset_latency_min, b.onset_latency_min));
    CHECK(a.onset_twitches == b.onset_twitches);
    CHECK(a.twitches == b.twitches);
    CHECK(same(a.twitch_index, b.twitch_index));
    CHECK(a.limb_movements == b.limb_movements);
    CHECK(a.plm_series == b.plm_series);
    CHECK(same(a.plm_index, b.plm_index));
    CHECK(same(a.plm_periodicity, b.plm_periodicity));
    CHECK(a.large_movements == b.large_movements);
    CHECK(a.twitch_heavy == b.twitch_heavy);
    CHECK(a.heavy_reason == b.heavy_reason);
    CHECK(a.baseline.nights == b.baseline.nights);
    CHECK(same(a.baseline.onset_twitches_median, b.baseline.onset_twitches_median));
    CHECK(same(a.baseline.onset_twitches_mad, b.baseline.onset_twitches_mad));
    CHECK(same(a.baseline.twitch_index_median, b.baseline.twitch_index_median));
    CHECK(same(a.baseline.twitch_index_mad, b.baseline.twitch_index_mad));
    CHECK(same(a.baseline.threshold, b.baseline.threshold));
    CHECK(a.sensor_resolution == b.sensor_resolution);
    CHECK(same(a.coverage, b.coverage));
    CHECK(same(a.asleep_h, b.asleep_h));
    REQUIRE(a.factors.size() == b.factors.size());
    for (std::size_t i = 0; i < a.factors.size(); ++i) {
        INFO("factor " << i);
        CHECK(a.factors[i].factor == b.factors[i].factor);
        CHECK(a.factors[i].count == b.factors[i].count);
        CHECK(same(a.factors[i].amount, b.factors[i].amount));
        CHECK(same(a.factors[i].last, b.factors[i].last));
        CHECK(same(a.factors[i].hours_before_bed, b.factors[i].hours_before_bed));
        CHECK(a.factors[i].late == b.factors[i].late);
    }
}

inline void require_same(const MovementEvent& a, const MovementEvent& b) {
    CHECK(a.type == b.type);
    CHECK(same(a.start, b.start));
    CHECK(same(a.duration_s, b.duration_s));
    CHECK(same(a.peak_g, b.peak_g));
    CHECK(a.phase == b.phase);
    CHECK(a.onset_window == b.onset_window);
    CHECK(a.count == b.count);
    CHECK(same(a.end, b.end));
    CHECK(a.gravity_shift == b.gravity_shift);
}

inline void require_same(const FactorLog& a, const FactorLog& b) {
    CHECK(same(a.t, b.t));
    CHECK(a.factor == b.factor);
    CHECK(same(a.amount, b.amount));
    CHECK(a.note == b.note);
    CHECK(a.source == b.source);
}

/// A night with every field set to a value that is not a round number.
inline NightSummary full_night(const std::string& date, double t0) {
    NightSummary n;
    n.night = date;
    n.in_bed = t0 + 0.1;
    n.lights_out = t0 + 600.123456789;
    n.sleep_onset = t0 + 1470.3;
    n.out_of_bed = t0 + 8 * 3600 + 1.0 / 3.0;
    n.onset_latency_min = 14.5 + 1e-9;
    n.onset_twitches = 7;
    n.twitches = 23;
    n.twitch_index = 3.0 / 7.0;
    n.limb_movements = 41;
    n.plm_series = 2;
    n.plm_index = 5.123;
    n.plm_periodicity = 0.71;
    n.large_movements = 9;
    n.twitch_heavy = true;
    n.heavy_reason = "7 onset twitches \"above\" threshold, 5.5";
    n.baseline = {14, 3.5, 1.4826, 2.25, 0.9, 5.5 + 1e-12};
    FactorSummary caffeine;
    caffeine.factor = Factor::caffeine;
    caffeine.count = 2;
    caffeine.amount = 180.5;
    caffeine.last = t0 - 5.75 * 3600;
    caffeine.hours_before_bed = 5.75;
    caffeine.late = true;
    FactorSummary stress;
    stress.factor = Factor::stress;
    stress.count = 1;
    stress.amount = 0.1 + 0.2;  // 0.30000000000000004 must survive
    n.factors = {caffeine, stress};
    n.sensor_resolution = "coarse vibration (≤1/min)";
    n.coverage = 0.987654321;
    n.asleep_h = 7.0 + 1.0 / 7.0;
    return n;
}

}  // namespace hypnic::test
