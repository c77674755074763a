// Scale-out end to end: three hypnicd instances sharing 300 sleepers (shard i/3) or one MQTT 5 shared subscription.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <map>
#include <set>
#include <sstream>

#include "adapters/pipeline.hpp"
#include "config/config.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

constexpr int SLEEPERS = 300;
constexpr int INSTANCES = 3;

std::string sleeper_id(int i) {
    std::string n = std::to_string(i);
    return "s" + std::string(3 - n.size(), '0') + n;
}

/// One instance's configuration: every sleeper with a presence sensor, its own base topic (so the
/// watcher can tell the instances' publications apart), client id and state directory.
std::string config_text(int port, int instance, const std::string& state_dir, const std::string& scale_lines) {
    std::ostringstream c;
    c << "version: 1\n"
         "mqtt:\n"
         "  url: tcp://127.0.0.1:" << port << "\n"
         "  base_topic: h" << instance << "\n"
         "  client_id: hypnic-shard-" << instance << "-" << ::getpid() << "\n";
    c << scale_lines;
    c << "homeassistant:\n"
         "  enabled: false\n"
         "timezone: UTC\n"
         "state_dir: " << state_dir << "\n"
         "log:\n"
         "  level: warn\n"
         "sleepers:\n";
    for (int i = 0; i < SLEEPERS; ++i)
        c << "  - id: " << sleeper_id(i) << "\n"
          << "    sensors:\n"
          << "      - {kind: presence, topic: bed/" << sleeper_id(i) << "/presence, format: plain}\n";
    return c.str();
}

/// The instance (0..INSTANCES-1) whose base topic `topic` lies under, and the sleeper id after it;
/// instance -1 for other topics (status, ...).
std::pair<int, std::string> owner_of(const std::string& topic) {
    if (topic.size() < 4 || topic[0] != 'h' || topic[2] != '/') return {-1, {}};
    const int instance = topic[1] - '0';
    const auto slash = topic.find('/', 3);
    if (instance < 0 || instance >= INSTANCES || slash == std::string::npos) return {-1, {}};
    return {instance, topic.substr(3, slash - 3)};
}

struct Fleet {
    TempDir dir;
    std::vector<std::unique_ptr<ChildProcess>> procs;

    /// Starts INSTANCES daemons; `scale_lines(i)` adds the scale-out keys of instance i.
    template <class F>
    void start(const Broker& broker, F scale_lines) {
        for (int i = 0; i < INSTANCES; ++i) {
            const std::string state = dir.path() + "/state" + std::to_string(i);
            const auto cfg = dir.write("i" + std::to_string(i) + ".yaml", config_text(broker.port(), i, state, scale_lines(i)));
            const auto check = run_hypnicd({"check-config", "--config", cfg});
            INFO(check.err);
            REQUIRE(check.exit_code == 0);
            procs.push_back(start_hypnicd({"run", "--config", cfg}));
        }
    }
    std::string stderr_all() const {
        std::string s;
        for (const auto& p : procs) s += p->err();
        return s;
    }
};

/// Sleeper id → the set of instances that published anything about it.
std::map<std::string, std::set<int>> publishers(const std::vector<Received>& msgs, const std::string& needle = "") {
    std::map<std::string, std::set<int>> by;
    for (const auto& m : msgs) {
        const auto [instance, id] = owner_of(m.topic);
        if (instance < 0 || id == "status") continue;
        if (!needle.empty() && m.payload.find(needle) == std::string::npos) continue;
        by[id].insert(instance);
    }
    return by;
}

}  // namespace

TEST_CASE("shard_hash is FNV-1a 64 and in_shard splits ids by it", "[sharding]") {
    // Reference values of 64-bit FNV-1a: the empty string is the offset basis; "a" is the
    // published test vector 0xaf63dc4c8601ec8c.
    CHECK(shard_hash("") == 14695981039346656037ULL);
    CHECK(shard_hash("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(shard_hash("alex") != shard_hash("alez"));
    std::array<int, INSTANCES> count{};
    for (int i = 0; i < SLEEPERS; ++i) {
        int owners = 0;
        for (unsigned k = 0; k < INSTANCES; ++k)
            if (in_shard(sleeper_id(i), ShardOptions{k, INSTANCES})) {
                ++owners;
                ++count[k];
            }
        CHECK(owners == 1);
        CHECK(in_shard(sleeper_id(i), ShardOptions{}));  // 0/1 handles everyone
    }
    // A stable hash over 300 ids spreads them roughly evenly (each shard well within 100 ± 40).
    for (int c : count) CHECK((c > 60 && c < 140));
}

TEST_CASE("shard and mqtt.shared_group: accepted forms and hostile values", "[sharding][config]") {
    const auto load = [](const std::string& extra_top, const std::string& extra_mqtt = "") {
        const std::string text = "version: 1\nmqtt:\n  url: tcp://127.0.0.1:18830\n" + extra_mqtt + extra_top +
                                 "sleepers:\n  - id: alex\n    sensors:\n"
                                 "      - {kind: presence, topic: bed/alex/presence, format: plain}\n";
        return load_config_text(text, "shard.yaml");
    };
    auto r = load("");
    REQUIRE(r.ok());
    CHECK(r.config.mqtt.shard.index == 0);
    CHECK(r.config.mqtt.shard.count == 1);
    CHECK(r.config.mqtt.shared_group.empty());

    r = load("shard: \"2/3\"\n", "  shared_group: hypnic_a\n");
    REQUIRE(r.ok());
    CHECK(r.config.mqtt.shard.index == 2);
    CHECK(r.config.mqtt.shard.count == 3);
    CHECK(r.config.mqtt.shared_group == "hypnic_a");
    r = load("shard: 0/1\n");
    REQUIRE(r.ok());
    CHECK(r.config.mqtt.shard.count == 1);

    // Each bad value is one error that names the key, the value and the rule, with its line.
    for (const char* bad : {"\"3/3\"", "\"0/0\"", "\"1/\"", "\"/3\"", "\"a/b\"", "\"-1/3\"", "\"1/3/5\"", "\"0/1025\"",
                            "\"99999999999999999999/3\"", "\" 1/3\"", "[0, 3]", "{i: 0}", "\"\""}) {
        INFO(bad);
        r = load(std::string("shard: ") + bad + "\n");
        REQUIRE_FALSE(r.ok());
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("shard") != std::string::npos);
        CHECK(r.errors[0].line == 4);
    }
    for (const char* bad : {"a/b", "+", "#", "Upper", "x y", "$share"}) {
        INFO(bad);
        r = load("", std::string("  shared_group: \"") + bad + "\"\n");
        REQUIRE_FALSE(r.ok());
        CHECK(r.errors[0].message.find("shared_group") != std::string::npos);
    }
}

TEST_CASE("three instances with shard 0/3, 1/3, 2/3 handle each of 300 sleepers exactly once", "[sharding][broker]") {
    Broker broker;
    TestClient watch(broker.url(), "shard-watch");
    for (int i = 0; i < INSTANCES; ++i) watch.subscribe("h" + std::to_string(i) + "/#");
    Fleet fleet;
    fleet.start(broker, [](int i) { return "shard: \"" + std::to_string(i) + "/" + std::to_string(INSTANCES) + "\"\n"; });
    INFO(fleet.stderr_all());
    for (int i = 0; i < INSTANCES; ++i) REQUIRE(watch.wait_for("h" + std::to_string(i) + "/status", "online", 20s));

    // Every instance announces the retained state of its own sleepers only.
    REQUIRE(eventually([&] { return publishers(watch.messages()).size() == SLEEPERS; }, 30s));
    // Then each sleeper gets into bed: the instance that owns it, and only that one, follows.
    TestClient sensor(broker.url(), "shard-sensor");
    for (int i = 0; i < SLEEPERS; ++i) sensor.publish("bed/" + sleeper_id(i) + "/presence", "ON", 1);
    REQUIRE(eventually([&] { return publishers(watch.messages(), "\"awake_in_bed\"").size() == SLEEPERS; }, 60s));

    const auto all = publishers(watch.messages());
    const auto in_bed = publishers(watch.messages(), "\"awake_in_bed\"");
    std::array<int, INSTANCES> per_instance{};
    for (int i = 0; i < SLEEPERS; ++i) {
        const std::string id = sleeper_id(i);
        INFO(id);
        REQUIRE(all.count(id) == 1);
        REQUIRE(all.at(id).size() == 1);  // published by exactly one instance
        const int owner = *all.at(id).begin();
        CHECK(in_shard(id, ShardOptions{static_cast<unsigned>(owner), INSTANCES}));
        CHECK(in_bed.at(id) == std::set<int>{owner});
        ++per_instance[static_cast<std::size_t>(owner)];
    }
    for (int n : per_instance) CHECK(n > 0);
    // The other shards' sleepers are not subscribed, so nothing was rejected for them.
    CHECK(fleet.stderr_all().find("rejected") == std::string::npos);
}

TEST_CASE("an MQTT 5 shared subscription hands each message to one instance of the group", "[sharding][broker]") {
    Broker broker;
    TestClient watch(broker.url(), "share-watch");
    for (int i = 0; i < INSTANCES; ++i) watch.subscribe("h" + std::to_string(i) + "/#");
    Fleet fleet;
    fleet.start(broker, [](int) { return std::string("  shared_group: hypnic\n"); });
    INFO(fleet.stderr_all());
    for (int i = 0; i < INSTANCES; ++i) REQUIRE(watch.wait_for("h" + std::to_string(i) + "/status", "online", 20s));
    // Unsharded, every instance announces every sleeper; wait for that before sending data so that
    // the group is complete (mosquitto's round robin then spreads the messages over all three).
    REQUIRE(eventually([&] {
        const auto p = publishers(watch.messages());
        if (p.size() != SLEEPERS) return false;
        for (const auto& [id, set] : p)
            if (set.size() != INSTANCES) return false;
        return true;
    }, 30s));

    TestClient sensor(broker.url(), "share-sensor");
    for (int i = 0; i < SLEEPERS; ++i) sensor.publish("bed/" + sleeper_id(i) + "/presence", "ON", 1);
    REQUIRE(eventually([&] { return publishers(watch.messages(), "\"awake_in_bed\"").size() == SLEEPERS; }, 60s));
    const auto in_bed = publishers(watch.messages(), "\"awake_in_bed\"");
    for (const auto& [id, set] : in_bed) {
        INFO(id);
        CHECK(set.size() == 1);  // one message, one instance
    }
    // Which member took it is the broker's choice: mosquitto rotates per subscription, so a
    // sleeper's next message may go to another member (docs/scale.md: why hash_topic is needed).
}
