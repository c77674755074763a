// Faults with a real mosquitto: a simulated night published live at full speed must give the same
// night summary as `hypnicd replay` of the same capture, whatever happens to the broker or hypnicd.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>

#include "tests/integration/test_faults_support.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

// The fields derived from the minutes asleep may move by the detector's open epoch at a restart
// (one 30-s epoch of a ~7-h night is ~0.1 %); 1 % leaves room without hiding a lost hour.
constexpr double RESTART_TOLERANCE = 0.01;

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
        night = make_live_night(dir, seed, wall_clock_s() + 120);
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

TEST_CASE("faults: kill -9 of hypnicd mid-night and a restart: the night equals its replay", "[faults][kill]") {
    FaultBed bed(23);
    Broker& broker = *bed.broker;
    const std::string& cfg = bed.cfg;
    const LiveNight& night = bed.night;
    const std::string& reference = bed.reference;

    auto d = start_hypnicd({"run", "--config", cfg});
    TestClient watch(broker.url());
    watch.subscribe("hypnic/#");
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    SensorPublisher sensor(broker.url(), "bed-alex-faults-c");

    const std::size_t cut = night.lines.size() / 2;
    publish_range(sensor, night, 0, cut);
    REQUIRE(processed_at_least(watch, cut));
    // The open night is checkpointed every 300 s in normal running; a reload checkpoints at once,
    // which puts the crash right after a checkpoint without waiting five minutes.
    d->signal(SIGHUP);
    REQUIRE(d->wait_for_output("reload: 1 sleeper(s) configured", 10s));
    d->signal(SIGKILL);
    REQUIRE(d->wait(5s));
    // The broker publishes the will: Home Assistant sees the daemon go.
    CHECK(watch.wait_for("hypnic/status", "offline", 20s));

    // While hypnicd is dead the broker queues the sensor's data in its persistent session.
    publish_range(sensor, night, cut, cut + 200);
    auto d2 = start_hypnicd({"run", "--config", cfg});
    INFO(d2->err());
    CHECK(watch.wait_for("hypnic/status", "online", 15s));
    publish_range(sensor, night, cut + 200, night.lines.size());

    const auto live = wait_closed_night(watch, 60s);
    REQUIRE(live);
    check_same_night(*live, reference, RESTART_TOLERANCE);
    d2->signal(SIGTERM);
    CHECK(d2->wait(10s) == 0);
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
