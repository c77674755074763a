// Soak: a week of simulated nights through a real broker at full speed, with hypnicd's memory
// (VmRSS, VmHWM from /proc/<pid>/status) checked not to grow once it has warmed up.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "tests/integration/test_faults_support.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

constexpr int NIGHTS = 7;

/// A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM"); -1 when unreadable.
long proc_status_kib(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

/// The local date (UTC) `days` days before today, as YYYY-MM-DD.
std::string date_days_ago(int days) {
    const std::time_t t = std::time(nullptr) - static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

}  // namespace

TEST_CASE("soak: a week of nights at full speed through the broker, memory flat after warm-up", "[soak][broker]") {
    // At full speed hypnicd may lag the publisher by more than mosquitto's default queue of 1000
    // messages per client, beyond which the broker drops QoS 1 messages (docs/reliability.md).
    BrokerOptions bo;
    bo.listener_extra = "max_queued_messages 0\n";
    Broker broker(bo);
    TempDir dir;
    const auto cfg = dir.write("hypnic.yaml", fault_config(broker.url(), dir.path() + "/state"));

    // The week ends a day before today, so every sample lies in the past the decoders accept, and
    // each batch keeps the simulator's own 1-s shape: ~30 000 messages a night.
    const std::string capture = dir.path() + "/week.jsonl";
    const auto sim = run_hypnicd({"simulate", "--nights", std::to_string(NIGHTS), "--seed", "5", "--hz", "10", "--start",
                                  date_days_ago(NIGHTS + 2), "--out", capture},
                                 300s);
    INFO(sim.err);
    REQUIRE(sim.exit_code == 0);
    std::vector<CaptureLine> lines;
    {
        std::ifstream in(capture, std::ios::binary);
        CaptureReader reader(in, capture);
        CaptureLine l;
        std::string err;
        while (reader.next(l, err) != CaptureReader::Status::end)
            if (l.topic == "bed/alex/accel") lines.push_back(l);
    }
    REQUIRE(lines.size() > NIGHTS * 20000);

    auto d = start_hypnicd({"run", "--config", cfg});
    INFO(d->err());
    TestClient watch(broker.url());
    watch.subscribe("hypnic/diagnostics");
    watch.subscribe("hypnic/status");
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    SensorPublisher sensor(broker.url(), "bed-alex-soak");

    const auto wait_processed = [&](std::size_t n) {
        return latest_diagnostics(
                   watch, [n](const boost::json::object& o) { return o.at("messages_in").to_number<std::size_t>() >= n; },
                   120s)
            .has_value();
    };
    const auto t_start = std::chrono::steady_clock::now();
    constexpr std::size_t CHUNK = 2000;  // bounded in-flight: the publisher's buffer is not what is measured
    const std::size_t warm = lines.size() / NIGHTS;  // one night in
    long rss_warm_kib = -1, hwm_warm_kib = -1;
    for (std::size_t i = 0; i < lines.size(); i += CHUNK) {
        for (std::size_t k = i; k < std::min(lines.size(), i + CHUNK); ++k) sensor.publish(lines[k].topic, lines[k].payload);
        REQUIRE(sensor.wait_delivered(120s));
        if (rss_warm_kib < 0 && i + CHUNK >= warm) {
            REQUIRE(wait_processed(std::min(lines.size(), i + CHUNK)));
            rss_warm_kib = proc_status_kib(d->pid(), "VmRSS");
            hwm_warm_kib = proc_status_kib(d->pid(), "VmHWM");
        }
    }
    REQUIRE(wait_processed(lines.size()));
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const long rss_end_kib = proc_status_kib(d->pid(), "VmRSS");
    const long hwm_end_kib = proc_status_kib(d->pid(), "VmHWM");
    // Measured figures go to the test log (docs/reliability.md quotes them).
    WARN("soak: " << lines.size() << " messages in " << elapsed_s << " s; VmRSS " << rss_warm_kib << " KiB after night 1, "
                  << rss_end_kib << " KiB after night " << NIGHTS << "; VmHWM " << hwm_warm_kib << " -> " << hwm_end_kib
                  << " KiB");
    REQUIRE(rss_warm_kib > 0);
    REQUIRE(rss_end_kib > 0);
    // Six more nights may cost allocator slack, not a per-message or per-night leak: a leak of even
    // 100 bytes a message would add ~18 MiB here.
    CHECK(rss_end_kib <= rss_warm_kib + std::max(4096L, rss_warm_kib / 4));
    CHECK(hwm_end_kib <= hwm_warm_kib + std::max(4096L, hwm_warm_kib / 4));
    CHECK(d->running());

    // Nights were closed and published along the way, and nothing was rejected.
    const auto diag = latest_diagnostics(
        watch, [&](const boost::json::object& o) { return o.at("messages_in").to_number<std::size_t>() >= lines.size(); }, 10s);
    REQUIRE(diag);
    CHECK(diag->at("rejected_total").to_number<std::size_t>() == 0);
    d->signal(SIGTERM);
    CHECK(d->wait(15s) == 0);
}
