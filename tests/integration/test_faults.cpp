// Faults with a real mosquitto: a simulated night published live at full speed must give the same
// night summary as `hypnicd replay` of the same capture, whatever happens to the broker or hypnicd.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/journal.hpp"
#include "tests/integration/test_faults_support.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

/// A broker with persistence (sessions and their QoS 1 queues survive a restart), hypnicd's
/// configuration for it, a simulated night and the night summary its replay gives.
struct FaultBed {
    std::unique_ptr<Broker> broker;
    TempDir dir;
    std::string cfg;
    LiveNight night;
    std::string reference;

    explicit FaultBed(unsigned seed, bool start_broker = true) {
        BrokerOptions bo;
        bo.persistence = true;
        broker = std::make_unique<Broker>(bo, start_broker);
        cfg = dir.write("hypnic.yaml", fault_config(broker->url(), dir.path() + "/state"));
        night = make_live_night(dir, seed, live_night_start(wall_clock_s() + 120));
        reference = replay_night(cfg, night.capture, dir);
    }
};

/// Publishes lines [from, to) of the night and waits until the broker acknowledged them.
void publish_range(SensorPublisher& sensor, const LiveNight& night, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < night.lines.size(); ++i)
        sensor.publish(night.lines[i].topic, night.lines[i].payload);
    REQUIRE(sensor.wait_delivered(60s));
}

/// Waits until hypnicd's diagnostics say it has taken in at least `n` messages.
bool processed_at_least(TestClient& watch, std::uint64_t n, std::chrono::milliseconds timeout = 30s) {
    return latest_diagnostics(
               watch, [n](const boost::json::object& o) { return o.at("messages_in").to_number<std::uint64_t>() >= n; },
               timeout)
        .has_value();
}

/// True when a record of the journal in `dir` carries `payload` (the reading is the daemon's own).
bool journal_holds(const std::string& dir, const std::string& payload) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        for (const auto& r : decode_journal_segment(ss.str(), e.path().string()).records)
            if (r.payload == payload) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("faults: broker down at start, Home Assistant restart mid-night: the night equals its replay",
          "[faults][broker]") {
    FaultBed bed(21, false);
    Broker& broker = *bed.broker;
    const std::string& cfg = bed.cfg;
    const LiveNight& night = bed.night;
    const std::string& reference = bed.reference;

    // Down at start: hypnicd keeps retrying with its back-off and never gives up.
    auto d = start_hypnicd({"run", "--config", cfg});
    INFO(d->err());
    REQUIRE(d->wait_for_output("reconnecting in 2 s", 15s));
    CHECK(d->running());
    broker.start();
    TestClient watch(broker.url());
    watch.subscribe("hypnic/#");
    watch.subscribe("homeassistant/device/#");
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));

    SensorPublisher sensor(broker.url(), "bed-alex-faults-a");
    const std::size_t half = night.lines.size() / 2;
    publish_range(sensor, night, 0, half);

    // Home Assistant restarts: its birth message brings discovery back, the night goes on.
    watch.clear();
    watch.publish("homeassistant/status", "online");
    CHECK(watch.wait_for([](const Received& m) { return m.topic == "homeassistant/device/hypnic_alex/config"; }, 10s));

    publish_range(sensor, night, half, night.lines.size());
    const auto live = wait_closed_night(watch, 60s);
    REQUIRE(live);
    check_same_night(*live, reference, 0);

    // The diagnostics topic saw every message and nothing rejected.
    const auto diag = latest_diagnostics(
        watch, [&](const boost::json::object& o) { return o.at("messages_in").to_number<std::size_t>() >= night.lines.size(); },
        10s);
    REQUIRE(diag);
    CHECK(diag->at("rejected_total").to_number<int>() == 0);
    CHECK(diag->at("connect_failures").to_number<int>() >= 1);
    d->signal(SIGTERM);
    CHECK(d->wait(10s) == 0);
}

TEST_CASE("faults: a broker restart mid-night: hypnicd reconnects, re-subscribes, re-announces, the night equals its replay",
          "[faults][broker]") {
    FaultBed bed(22);
    Broker& broker = *bed.broker;
    const std::string& cfg = bed.cfg;
    const LiveNight& night = bed.night;
    const std::string& reference = bed.reference;

    auto d = start_hypnicd({"run", "--config", cfg});
    INFO(d->err());
    auto watch = std::make_unique<TestClient>(broker.url());
    watch->subscribe("hypnic/#");
    REQUIRE(watch->wait_for("hypnic/status", "online", 15s));
    SensorPublisher sensor(broker.url(), "bed-alex-faults-b");

    const std::size_t cut = night.lines.size() * 2 / 5;
    publish_range(sensor, night, 0, cut);
    REQUIRE(processed_at_least(*watch, cut));

    broker.stop();
    // While the broker is away the sensor keeps measuring: it buffers and sends on reconnect.
    for (std::size_t i = cut; i < cut + 60; ++i) sensor.publish(night.lines[i].topic, night.lines[i].payload);
    REQUIRE(d->wait_for_output("lost", 15s));
    broker.start();
    watch = std::make_unique<TestClient>(broker.url());
    watch->subscribe("hypnic/#");
    watch->subscribe("homeassistant/device/#");
    // Re-announced: status online, discovery and the retained state again.
    CHECK(watch->wait_for("hypnic/status", "online", 15s));
    CHECK(watch->wait_for([](const Received& m) { return m.topic == "homeassistant/device/hypnic_alex/config"; }, 10s));
    publish_range(sensor, night, cut + 60, night.lines.size());

    const auto live = wait_closed_night(*watch, 60s);
    REQUIRE(live);
    check_same_night(*live, reference, 0);
    const auto diag = latest_diagnostics(
        *watch, [](const boost::json::object& o) { return o.at("reconnects").to_number<int>() >= 1; }, 10s);
    REQUIRE(diag);
    CHECK(diag->at("connections_lost").to_number<int>() >= 1);
    d->signal(SIGTERM);
    CHECK(d->wait(10s) == 0);
}

TEST_CASE("faults: kill -9 of hypnicd at several points of a night: the night equals its replay exactly",
          "[faults][kill]") {
    FaultBed bed(23);
    Broker& broker = *bed.broker;
    const std::string& cfg = bed.cfg;
    const LiveNight& night = bed.night;
    const std::string& reference = bed.reference;
    const std::string journal_dir = bed.dir.path() + "/state/journal";
    const std::size_t n = night.lines.size();
    REQUIRE(n > 900);

    TestClient watch(broker.url());
    watch.subscribe("hypnic/#");
    SensorPublisher sensor(broker.url(), "bed-alex-faults-c");
    const auto start = [&] {
        watch.clear();
        auto d = start_hypnicd({"run", "--config", cfg});
        REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
        // hypnicd subscribes before it announces: once its retained state arrives, the sensor's
        // next message cannot reach the broker before the subscription (the first start has no
        // session yet that would keep it).
        REQUIRE(watch.wait_for([](const Received& m) { return m.topic.rfind("hypnic/alex/", 0) == 0; }, 15s));
        return d;
    };
    const auto kill = [&](std::unique_ptr<ChildProcess>& d) {
        d->signal(SIGKILL);
        REQUIRE(d->wait(5s));
        // The broker publishes the will: Home Assistant sees the daemon go.
        CHECK(watch.wait_for("hypnic/status", "offline", 20s));
    };

    // 1. Right after a checkpoint (a reload checkpoints at once; in normal running it is every 300 s).
    auto d = start();
    const std::size_t a = n / 4;
    publish_range(sensor, night, 0, a);
    REQUIRE(processed_at_least(watch, a));
    d->signal(SIGHUP);
    REQUIRE(d->wait_for_output("reload: 1 sleeper(s) configured", 10s));
    kill(d);
    // While hypnicd is dead the broker queues the sensor's data in its persistent session.
    publish_range(sensor, night, a, a + 150);

    // 2. Between checkpoints, everything handled: only the journal holds the messages since the
    // last checkpoint (which the start's catch-up made), the broker has forgotten them.
    d = start();
    const std::size_t b = n / 2;
    publish_range(sensor, night, a + 150, b);
    REQUIRE(processed_at_least(watch, b - a));
    kill(d);

    // 3. Right after a burst: killed as soon as the journal holds the burst's last message, while
    // hypnicd is most likely still working through the burst.
    d = start();
    const std::size_t c = n * 3 / 4;
    for (std::size_t i = b; i < c; ++i) sensor.publish(night.lines[i].topic, night.lines[i].payload);
    REQUIRE(eventually([&] { return journal_holds(journal_dir, night.lines[c - 1].payload); }, 30s));
    kill(d);
    CHECK(sensor.wait_delivered(60s));

    // 4. The rest of the night with a fourth process, which replays the journal first.
    d = start();
    INFO(d->err());
    CHECK(d->wait_for_output("journal: replaying", 10s));
    publish_range(sensor, night, c, n);
    const auto live = wait_closed_night(watch, 60s);
    REQUIRE(live);
    // Byte for byte what one uninterrupted replay of the same messages publishes.
    CHECK(*live == reference);
    check_same_night(*live, reference, 0);
    d->signal(SIGTERM);
    CHECK(d->wait(10s) == 0);
}

TEST_CASE("faults: a stalled broker (SIGSTOP) is detected by keep-alive and reconnected after SIGCONT",
          "[faults][stall]") {
    FaultBed bed(24);
    Broker& broker = *bed.broker;
    const std::string& cfg = bed.cfg;
    const LiveNight& night = bed.night;
    const std::string& reference = bed.reference;

    auto d = start_hypnicd({"run", "--config", cfg});
    INFO(d->err());
    auto watch = std::make_unique<TestClient>(broker.url());
    watch->subscribe("hypnic/#");
    REQUIRE(watch->wait_for("hypnic/status", "online", 15s));
    SensorPublisher sensor(broker.url(), "bed-alex-faults-d");
    const std::size_t cut = night.lines.size() / 3;
    publish_range(sensor, night, 0, cut);
    REQUIRE(processed_at_least(*watch, cut));

    // A stalled broker keeps the TCP connection open but answers nothing: only the keep-alive
    // (5 s here) can tell. hypnicd must notice, and carry on once the broker answers again.
    broker.signal(SIGSTOP);
    const bool noticed = d->wait_for_output("lost", 30s);
    broker.signal(SIGCONT);
    REQUIRE(noticed);
    watch.reset();
    REQUIRE(eventually([&] {
        try {
            watch = std::make_unique<TestClient>(broker.url());
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }, 20s));
    watch->subscribe("hypnic/#");
    CHECK(watch->wait_for("hypnic/status", "online", 20s));
    publish_range(sensor, night, cut, night.lines.size());
    const auto live = wait_closed_night(*watch, 60s);
    REQUIRE(live);
    check_same_night(*live, reference, 0);
    d->signal(SIGTERM);
    CHECK(d->wait(10s) == 0);
}
