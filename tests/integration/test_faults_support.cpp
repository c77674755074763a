// Shared pieces of the fault and soak tests: a simulated night made ready for a live broker, the
// configuration they run hypnicd with, and the comparison of a live night with its replay.
#include "tests/integration/test_faults_support.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "adapters/capture.hpp"
#include "plugin/params.hpp"

namespace hypnic::test {

std::vector<CaptureLine> read_capture(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    CaptureReader reader(in, path);
    std::vector<CaptureLine> lines;
    CaptureLine l;
    std::string err;
    for (;;) {
        const auto st = reader.next(l, err);
        if (st == CaptureReader::Status::end) break;
        REQUIRE(st == CaptureReader::Status::ok);
        lines.push_back(l);
    }
    return lines;
}

namespace {

constexpr double BATCH_S = 30;            // samples per published message: a night in ~1100 messages
// Without a presence sensor the night ends on the bed sensor alone: a spell awake (movement in
// every minute for longer than the 10 wake minutes it takes), then an empty, still bed for longer
// than twice bathroom_trip_max_min (20 min).
constexpr double GETTING_UP_S = 12 * 60;
constexpr double EMPTY_BED_S = 45 * 60;
constexpr double BURST_EVERY_S = 20, BURST_S = 3, BURST_HZ = 3, BURST_G = 0.2;


std::string batch_payload(double t0, double hz, const std::vector<std::array<double, 3>>& rows) {
    boost::json::object o;
    o["t0"] = t0;
    o["hz"] = hz;
    boost::json::array xyz;
    xyz.reserve(rows.size());
    for (const auto& r : rows) xyz.push_back(boost::json::array{r[0], r[1], r[2]});
    o["xyz"] = std::move(xyz);
    return boost::json::serialize(o);
}

}  // namespace

double wall_clock_s() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double live_night_start(double earliest) {
    constexpr double DAY_S = 86400, NIGHT_MAX_S = 12 * 3600;
    const double EVENING_S = hypnic::NightParams{}.evening_start_hour * 3600.0;  // fault_config: the default, in UTC
    const double into_day = std::fmod(earliest, DAY_S);
    if (into_day < EVENING_S && into_day + NIGHT_MAX_S > EVENING_S) return earliest + (EVENING_S - into_day) + 60;
    return earliest;
}

LiveNight make_live_night(const TempDir& dir, unsigned seed, double start_at, const std::string& name) {
    const std::string raw = dir.path() + "/" + name + "-sim.jsonl";
    const auto sim = run_hypnicd({"simulate", "--nights", "1", "--seed", std::to_string(seed), "--hz", "10", "--out", raw},
                                 120s);
    INFO(sim.err);
    REQUIRE(sim.exit_code == 0);

    // Only the bed accelerometer: presence and lights carry no time of their own (they are stamped
    // on arrival), so a night passed in seconds must be told by sample times alone.
    double hz = 0, next_t = NAN, batch_t0 = NAN, shift = NAN;
    std::vector<std::array<double, 3>> rows;
    LiveNight night;
    const auto flush = [&] {
        if (rows.empty()) return;
        const double end = batch_t0 + static_cast<double>(rows.size()) / hz;
        night.lines.push_back(CaptureLine{end, "bed/alex/accel", batch_payload(batch_t0, hz, rows)});
        rows.clear();
    };
    for (const auto& line : read_capture(raw)) {
        if (line.topic != "bed/alex/accel") continue;
        const auto o = boost::json::parse(line.payload).as_object();
        const double t0 = o.at("t0").to_number<double>();
        hz = o.at("hz").to_number<double>();
        if (std::isnan(shift)) shift = start_at - t0;
        // A gap in the simulated stream ends the batch, so that sample times stay exact.
        if (!rows.empty() && std::abs(t0 + shift - next_t) > 0.5 / hz) flush();
        if (rows.empty()) batch_t0 = t0 + shift;
        for (const auto& r : o.at("xyz").as_array()) {
            const auto& a = r.as_array();
            rows.push_back({a[0].to_number<double>(), a[1].to_number<double>(), a[2].to_number<double>()});
            if (static_cast<double>(rows.size()) >= BATCH_S * hz) {
                const double t_next = batch_t0 + static_cast<double>(rows.size()) / hz;
                flush();
                batch_t0 = t_next;
            }
        }
        next_t = batch_t0 + static_cast<double>(rows.size()) / hz;
    }
    REQUIRE(hz > 0);
    // Getting up: 3-s bursts every 20 s on the last posture, then the bed empty and still.
    const std::array<double, 3> still = rows.empty() ? std::array<double, 3>{0, 0, 1} : rows.back();
    const double pad_t0 = next_t;
    flush();
    batch_t0 = pad_t0;
    const auto n_pad = static_cast<std::size_t>((GETTING_UP_S + EMPTY_BED_S) * hz);
    for (std::size_t i = 0; i < n_pad; ++i) {
        const double dt = static_cast<double>(i) / hz;
        auto row = still;
        if (dt < GETTING_UP_S && std::fmod(dt, BURST_EVERY_S) < BURST_S)
            row[0] += BURST_G * std::sin(2 * M_PI * BURST_HZ * dt);
        rows.push_back(row);
        if (static_cast<double>(rows.size()) >= BATCH_S * hz) {
            flush();
            batch_t0 = pad_t0 + static_cast<double>(i + 1) / hz;
        }
    }
    flush();

    night.capture = dir.path() + "/" + name + ".jsonl";
    std::ofstream out(night.capture, std::ios::binary);
    for (const auto& l : night.lines) write_capture_line(out, l);
    REQUIRE(out);
    return night;
}

std::string fault_config(const std::string& url, const std::string& state_dir, const std::string& extra_mqtt) {
    std::ostringstream c;
    c << "version: 1\n"
         "mqtt:\n"
         "  url: " << url << "\n"
         "  base_topic: hypnic\n"
         "  client_id: hypnic-faults-" << ::getpid() << "\n"
         "  keepalive_s: 5\n"
         "  reconnect_max_s: 2\n"
         "  diagnostics_interval_s: 1\n"
      << extra_mqtt
      << "homeassistant:\n"
         "  enabled: true\n"
         "  announce_delay_max_s: 0.2\n"
         "timezone: UTC\n"
         "state_dir: " << state_dir << "\n"
         "sleepers:\n"
         "  - id: alex\n"
         "    sensors:\n"
         "      - {kind: accel, topic: bed/alex/accel, format: hypnic}\n"
         "    winddown:\n"
         "      enabled: false\n";
    return c.str();
}

std::string closed_night(const std::string& payload) {
    try {
        const auto v = boost::json::parse(payload);
        if (v.is_object() && v.as_object().contains("out_of_bed") && !v.as_object().at("out_of_bed").is_null())
            return payload;
    } catch (const std::exception&) {
    }
    return {};
}

std::string replay_night(const std::string& config, const std::string& capture, const TempDir& dir) {
    const std::string out = dir.path() + "/replay-out.jsonl";
    const auto r = run_hypnicd({"replay", "--config", config, "--capture", capture, "--out", out}, 180s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::ifstream in(out);
    std::string night;
    for (std::string l; std::getline(in, l);) {
        const auto o = boost::json::parse(l).as_object();
        if (o.at("topic").as_string() != "hypnic/alex/night") continue;
        const std::string p(o.at("payload").as_string());
        if (!closed_night(p).empty()) night = p;
    }
    return night;
}

std::optional<std::string> wait_closed_night(TestClient& watch, std::chrono::milliseconds timeout) {
    const auto m = watch.wait_for([](const Received& r) { return r.topic == "hypnic/alex/night" && !closed_night(r.payload).empty(); },
                                  timeout);
    if (!m) return std::nullopt;
    return m->payload;
}

void check_same_night(const std::string& live, const std::string& reference, double tolerance) {
    INFO("live:      " << live << "\nreference: " << reference);
    REQUIRE_FALSE(reference.empty());
    REQUIRE_FALSE(live.empty());
    const auto a = boost::json::parse(live).as_object();
    const auto b = boost::json::parse(reference).as_object();
    // Counts, verdicts and instants are exact; the fields derived from the minutes asleep (the
    // detector's open epoch at a restart, see docs/reliability.md) may differ by `tolerance` (relative).
    static const std::set<std::string> derived = {"asleep_h", "coverage", "twitch_index", "plm_index"};
    CHECK(a.size() == b.size());
    for (const auto& [key, value] : b) {
        INFO("field " << key);
        REQUIRE(a.contains(key));
        const auto& got = a.at(key);
        if (derived.count(std::string(key)) && value.is_number() && got.is_number()) {
            const double want = value.to_number<double>();
            CHECK(std::abs(got.to_number<double>() - want) <= tolerance * std::max(1.0, std::abs(want)));
        } else {
            CHECK(boost::json::serialize(got) == boost::json::serialize(value));
        }
    }
}

std::optional<boost::json::object> latest_diagnostics(TestClient& watch, const std::function<bool(const boost::json::object&)>& pred,
                                                      std::chrono::milliseconds timeout) {
    std::optional<boost::json::object> found;
    watch.wait_for(
        [&](const Received& r) {
            if (r.topic != "hypnic/diagnostics") return false;
            try {
                auto o = boost::json::parse(r.payload).as_object();
                if (!pred(o)) return false;
                found = std::move(o);
                return true;
            } catch (const std::exception&) {
                return false;
            }
        },
        timeout);
    return found;
}

}  // namespace hypnic::test
