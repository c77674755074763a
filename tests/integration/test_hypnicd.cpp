// The hypnicd binary end to end: --version, check-config exit codes, `run` and `record` against mosquitto.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "adapters/capture.hpp"
#include "tests/integration/broker.hpp"
#include "tests/integration/test_faults_support.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

/// Two sleepers' worth of configuration for a broker on `port`; `second_sleeper` adds "sam".
std::string config_text(int port, const std::string& state_dir, bool second_sleeper = false) {
    std::ostringstream c;
    c << "version: 1\n"
         "mqtt:\n"
         "  url: tcp://127.0.0.1:" << port << "\n"
         "  base_topic: hypnic\n"
         "  client_id: hypnic-it-daemon-" << ::getpid() << "\n"
         "homeassistant:\n"
         "  enabled: true\n"
         "  announce_delay_max_s: 0.2\n"
         "timezone: UTC\n"
         "state_dir: " << state_dir << "\n"
         "sleepers:\n"
         "  - id: alex\n"
         "    sensors:\n"
         "      - {kind: accel, topic: bed/alex/accel, format: hypnic}\n"
         "      - {kind: presence, topic: bed/alex/presence, format: plain}\n"
         "    winddown:\n"
         "      bedtime: \"22:30\"\n";
    if (second_sleeper)
        c << "  - id: sam\n"
             "    sensors:\n"
             "      - {kind: presence, topic: bed/sam/presence, format: plain}\n"
             "    winddown:\n"
             "      bedtime: \"23:00\"\n";
    return c.str();
}

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        REQUIRE(path.size() < sizeof a.sun_path);
        std::memcpy(a.sun_path, path.c_str(), path.size());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    /// Waits for a datagram containing `needle`; every datagram seen is kept in `seen`.
    bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (const auto& s : seen)
            if (s.find(needle) != std::string::npos) return true;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[4096];
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) continue;
            seen.emplace_back(buf, static_cast<std::size_t>(n));
            if (seen.back().find(needle) != std::string::npos) return true;
        }
    }
    std::vector<std::string> seen;

private:
    std::string path_;
    int fd_ = -1;
};

/// The capture of 100 s in bed (presence ON, then 1 s accel batches holding a large movement at
/// about +7 s and a limb movement at about +80 s), cut from `hypnicd simulate --nights 1 --seed 3`.
/// Its sample times are moved to start at `t_start` so that the live daemon sees them as now.
std::vector<CaptureLine> in_bed_capture(double t_start) {
    auto lines = read_capture(HYPNIC_SOURCE_DIR "/tests/integration/data/in_bed_100s.jsonl");
    REQUIRE(lines.size() > 50);
    const double shift = t_start - lines.front().ts;
    for (auto& line : lines) {
        if (line.topic != "bed/alex/accel") continue;
        auto j = boost::json::parse(line.payload).as_object();
        j["t0"] = j["t0"].to_number<double>() + shift;
        line.payload = boost::json::serialize(j);
    }
    return lines;
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("hypnicd --version prints its version", "[hypnicd]") {
    const auto r = run_hypnicd({"--version"});
    CHECK(r.exit_code == 0);
    CHECK(std::regex_search(r.out, std::regex(R"(^hypnicd \d+\.\d+\.\d+)")));
}

TEST_CASE("hypnicd check-config: 0 when valid / 2 with file:line:col errors when not", "[hypnicd]") {
    TempDir dir;
    const auto good = dir.write("good.yaml", config_text(18830, dir.path()));
    auto r = run_hypnicd({"check-config", "--config", good});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("valid") != std::string::npos);

    std::string text = config_text(18830, dir.path());
    text.replace(text.find("base_topic"), 10, "base_topc");
    const auto bad = dir.write("bad.yaml", text);
    r = run_hypnicd({"check-config", "--config", bad});
    CHECK(r.exit_code == 2);
    INFO(r.err);
    CHECK(std::regex_search(r.err, std::regex(R"(bad\.yaml:\d+:\d+: .*base_topc)")));

    const auto garbage = dir.write("garbage.yaml", "version: 1\nmqtt: [unclosed\n\t\x01\xff");
    r = run_hypnicd({"check-config", "--config", garbage});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("garbage.yaml:") != std::string::npos);

    r = run_hypnicd({"check-config", "--config", dir.path() + "/missing.yaml"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("missing.yaml") != std::string::npos);

    // `run` refuses an invalid configuration the same way, before touching the network.
    r = run_hypnicd({"run", "--config", bad});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("bad.yaml:") != std::string::npos);
}

TEST_CASE("hypnicd run: online / events and state from a capture / reload on SIGHUP / offline on SIGTERM", "[hypnicd][broker]") {
    Broker broker;
    TempDir dir;
    const auto cfg = dir.write("hypnic.yaml", config_text(broker.port(), dir.path()));
    NotifySocket notify(dir.path() + "/notify");
    TestClient watch(broker.url());
    watch.subscribe("hypnic/#");
    watch.subscribe("homeassistant/device/#");

    auto d = start_hypnicd({"run", "--config", cfg}, {"NOTIFY_SOCKET=" + dir.path() + "/notify"});
    INFO(d->err());
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    CHECK(notify.wait_for("READY=1", 5s));
    auto status = watch.retained("hypnic/status");
    REQUIRE(status);
    CHECK(status->payload == "online");
    // Discovery and the retained state go out on connect.
    CHECK(watch.wait_for([](const Received& m) { return m.topic == "homeassistant/device/hypnic_alex/config"; }, 5s));
    CHECK(watch.wait_for([](const Received& m) { return m.topic == "hypnic/alex/state"; }, 5s));

    // A short capture, live: presence ON, then 100 s of accel published as fast as QoS 1 allows.
    TestClient sensor(broker.url());
    for (const auto& line : in_bed_capture(wall_now() + 0.5)) sensor.publish(line.topic, line.payload, 1);
    auto in_bed = watch.wait_for([](const Received& m) {
        return m.topic == "hypnic/alex/state" && m.payload.find("\"awake_in_bed\"") != std::string::npos;
    });
    CHECK(in_bed);
    auto large = watch.wait_for([](const Received& m) {
        return m.topic == "hypnic/alex/event" && m.payload.find("\"large_movement\"") != std::string::npos;
    });
    REQUIRE(large);
    CHECK_FALSE(large->retained);
    CHECK(watch.wait_for([](const Received& m) {
        return m.topic == "hypnic/alex/event" && m.payload.find("\"limb_movement\"") != std::string::npos;
    }));
    // The live state is rate-limited to one a second, so the retained copy may trail the event.
    std::string retained_state;
    CHECK(eventually([&] {
        auto st = watch.retained("hypnic/alex/state", 500ms);
        retained_state = st ? st->payload : "";
        return retained_state.find("\"large_movements\":1") != std::string::npos;
    }, 5s));
    INFO(retained_state);

    // Hostile input costs a log line, not the daemon.
    sensor.publish("bed/alex/accel", "{\"hz\": 1e999, \"xyz\": [[", 1);
    sensor.publish("bed/alex/presence", std::string(300 * 1024, 'O'), 1);
    CHECK(d->wait_for_output("rejected a message on 'bed/alex/accel'", 5s));
    CHECK(d->running());

    // Home Assistant restarts: its birth message brings the discovery back.
    watch.clear();
    sensor.publish("homeassistant/status", "online", 1);
    CHECK(watch.wait_for([](const Received& m) { return m.topic == "homeassistant/device/hypnic_alex/config"; }, 5s));

    // SIGHUP with a broken file: every error logged, the old configuration keeps running.
    std::string broken = config_text(broker.port(), dir.path());
    broken.replace(broken.find("base_topic"), 10, "base_topc");
    dir.write("hypnic.yaml", broken);
    d->signal(SIGHUP);
    CHECK(d->wait_for_output("keeping the running configuration", 5s));
    CHECK(d->err().find("hypnic.yaml:") != std::string::npos);
    CHECK(notify.wait_for("RELOADING=1", 2s));
    CHECK(d->running());

    // SIGHUP with a second sleeper: subscribed and announced without a restart.
    watch.clear();
    dir.write("hypnic.yaml", config_text(broker.port(), dir.path(), true));
    d->signal(SIGHUP);
    CHECK(d->wait_for_output("reload: 2 sleeper(s)", 5s));
    CHECK(watch.wait_for([](const Received& m) { return m.topic == "homeassistant/device/hypnic_sam/config"; }, 5s));
    sensor.publish("bed/sam/presence", "ON", 1);
    CHECK(watch.wait_for([](const Received& m) {
        return m.topic == "hypnic/sam/state" && m.payload.find("\"awake_in_bed\"") != std::string::npos;
    }));

    // SIGTERM: offline (retained), exit 0.
    watch.clear();
    d->signal(SIGTERM);
    const auto rc = d->wait(10s);
    REQUIRE(rc);
    CHECK(*rc == 0);
    CHECK(notify.wait_for("STOPPING=1", 1s));
    status = watch.retained("hypnic/status");
    REQUIRE(status);
    CHECK(status->payload == "offline");
}

TEST_CASE("hypnicd run: a broker that comes up late is waited for", "[hypnicd][broker]") {
    Broker broker(false);
    TempDir dir;
    const auto cfg = dir.write("hypnic.yaml", config_text(broker.port(), dir.path()));
    auto d = start_hypnicd({"run", "--config", cfg});
    REQUIRE(d->wait_for_output("failed", 10s));
    CHECK(d->running());
    broker.start();
    TestClient watch(broker.url());
    watch.subscribe("hypnic/status");
    INFO(d->err());
    CHECK(watch.wait_for("hypnic/status", "online", 10s));
    d->signal(SIGINT);
    const auto rc = d->wait(10s);
    REQUIRE(rc);
    CHECK(*rc == 0);
}

TEST_CASE("hypnicd record writes a capture of the input topics and leaves availability alone", "[hypnicd][broker]") {
    Broker broker;
    TempDir dir;
    const auto cfg = dir.write("hypnic.yaml", config_text(broker.port(), dir.path()));
    const std::string out = dir.path() + "/capture.jsonl";
    auto rec = start_hypnicd({"record", "--config", cfg, "--out", out, "--duration", "4"});
    INFO(rec->err());
    REQUIRE(rec->wait_for_output("record: connected", 10s));
    TestClient sensor(broker.url());
    sensor.publish("bed/alex/presence", "ON", 1);
    sensor.publish("hypnic/alex/log/caffeine", "{\"amount\": 80}", 1);
    sensor.publish("not/subscribed", "x", 1);
    const auto rc = rec->wait(15s);
    REQUIRE(rc);
    CHECK(*rc == 0);

    std::ifstream in(out);
    CaptureReader reader(in, out);
    std::vector<CaptureLine> lines;
    CaptureLine l;
    std::string err;
    while (reader.next(l, err) == CaptureReader::Status::ok) lines.push_back(l);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].topic == "bed/alex/presence");
    CHECK(lines[0].payload == "ON");
    CHECK(lines[1].topic == "hypnic/alex/log/caffeine");
    CHECK(std::abs(lines[0].ts - wall_now()) < 60);
    // record does not speak for the daemon.
    TestClient watch(broker.url());
    CHECK_FALSE(watch.retained("hypnic/status", 300ms));
}
