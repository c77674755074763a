// hypnicd and Home Assistant over a real mosquitto: discovery of every entity, re-announce, removal, controls that act and persist.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "adapters/homeassistant/entities.hpp"
#include "adapters/store/sqlite_history.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

/// A daemon configuration with Home Assistant on and the sleepers `ids` (presence sensor only).
std::string ha_config(int port, const std::string& state_dir, const std::vector<std::string>& ids) {
    std::ostringstream c;
    c << "version: 1\n"
      << "mqtt:\n  url: tcp://127.0.0.1:" << port << "\n  client_id: hypnic-ha-it-" << ::getpid() << "\n"
      << "homeassistant:\n  enabled: true\n  announce_delay_max_s: 0.3\n"
      << "timezone: UTC\nstate_dir: " << state_dir << "\nsleepers:\n";
    for (const auto& id : ids)
        c << "  - id: " << id << "\n    sensors:\n      - {kind: presence, topic: bed/" << id
          << "/presence, format: plain}\n";
    return c.str();
}

boost::json::value json_of(const std::optional<Received>& m) {
    REQUIRE(m);
    return boost::json::parse(m->payload);
}

bool is_settings(const Received& m, bool winddown, const std::string& profile, double cutoff_h) {
    if (m.topic != "hypnic/alex/settings") return false;
    const auto v = boost::json::parse(m.payload);
    return v.at("winddown") == winddown && v.at("winddown_profile") == boost::json::value(profile) &&
           v.at("caffeine_cutoff_h").to_number<double>() == cutoff_h;
}

void stop(ChildProcess& d) {
    d.signal(SIGTERM);
    const auto rc = d.wait(10s);
    REQUIRE(rc);
    CHECK(*rc == 0);
}

}  // namespace

TEST_CASE("hypnicd announces every entity per sleeper, re-announces discovery then states, removes a sleeper",
          "[hypnicd][broker][homeassistant]") {
    Broker broker;
    TempDir dir;
    const auto cfg = dir.write("hypnic.yaml", ha_config(broker.port(), dir.path(), {"alex", "sam"}));
    TestClient watch(broker.url());
    watch.subscribe("hypnic/#");
    watch.subscribe("homeassistant/#");

    auto d = start_hypnicd({"run", "--config", cfg});
    INFO(d->err());
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    for (const char* id : {"alex", "sam"}) {
        const std::string topic = std::string("homeassistant/device/hypnic_") + id + "/config";
        INFO(topic);
        const auto cfg_msg = watch.wait_for([&](const Received& m) { return m.topic == topic; }, 5s);
        const auto doc = json_of(cfg_msg);
        CHECK(watch.retained(topic));
        const auto& cmps = doc.at("cmps").as_object();
        CHECK(cmps.size() == ha::entity_table().size());
        for (const auto& row : ha::entity_table()) CHECK(cmps.contains(row.object_id));
        CHECK(doc.at("avty_t") == "hypnic/status");
    }
    // The settings the controls read are published too (retained).
    CHECK(watch.wait_for([](const Received& m) { return m.topic == "hypnic/alex/settings"; }, 5s));

    // Home Assistant's birth: after the random delay, discovery first, then the current states.
    watch.clear();
    TestClient ha(broker.url());
    ha.publish("homeassistant/status", "online", 0);
    REQUIRE(watch.wait_for([](const Received& m) { return m.topic == "hypnic/alex/settings"; }, 5s));
    // (The clock may publish the live state at any time; the re-announce is what ends in settings.)
    const auto msgs = watch.messages();
    std::size_t first_config = msgs.size(), settings_at = msgs.size();
    std::string order;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        order += msgs[i].topic + "\n";
        if (msgs[i].topic.rfind("homeassistant/device/", 0) == 0) first_config = std::min(first_config, i);
        if (msgs[i].topic == "hypnic/alex/settings") settings_at = std::min(settings_at, i);
    }
    INFO(order);
    CHECK(first_config < settings_at);
    // Home Assistant going offline does not trigger anything.
    watch.clear();
    ha.publish("homeassistant/status", "offline", 0);
    std::this_thread::sleep_for(800ms);
    CHECK(watch.messages_on("homeassistant/device/hypnic_alex/config").empty());

    // sam leaves the configuration: his device is removed (empty retained config), alex stays.
    watch.clear();
    dir.write("hypnic.yaml", ha_config(broker.port(), dir.path(), {"alex"}));
    d->signal(SIGHUP);
    CHECK(watch.wait_for("homeassistant/device/hypnic_sam/config", "", 5s));
    CHECK_FALSE(watch.retained("homeassistant/device/hypnic_sam/config", 500ms));
    CHECK(watch.retained("homeassistant/device/hypnic_alex/config"));

    // SIGTERM: every entity becomes unavailable.
    stop(*d);
    const auto status = watch.retained("hypnic/status");
    REQUIRE(status);
    CHECK(status->payload == "offline");
}

TEST_CASE("Home Assistant's controls change the settings, retained commands do not, and the change survives a restart",
          "[hypnicd][broker][homeassistant]") {
    Broker broker;
    TempDir dir;
    const auto cfg = dir.write("hypnic.yaml", ha_config(broker.port(), dir.path(), {"alex"}));
    TestClient watch(broker.url());
    watch.subscribe("hypnic/#");
    TestClient ha(broker.url());
    // A command someone left retained on the broker: delivered as retained on subscribe, refused.
    ha.publish("hypnic/alex/set/caffeine_cutoff_h", "3", 1, true);

    auto d = start_hypnicd({"run", "--config", cfg});
    INFO(d->err());
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    CHECK(d->wait_for_output("rejected a message on 'hypnic/alex/set/caffeine_cutoff_h' (retained)", 5s));
    const auto initial = watch.wait_for([](const Received& m) { return m.topic == "hypnic/alex/settings"; }, 5s);
    CHECK(json_of(initial).at("caffeine_cutoff_h").to_number<double>() == 8);
    ha.publish("hypnic/alex/set/caffeine_cutoff_h", "", 1, true);  // clear it

    // The switch, the select and the number, as Home Assistant sends them (not retained).
    ha.publish("hypnic/alex/set/winddown", "OFF", 1, false);
    ha.publish("hypnic/alex/set/winddown_profile", "extended", 1, false);
    ha.publish("hypnic/alex/set/caffeine_cutoff_h", "6.5", 1, false);
    CHECK(watch.wait_for([](const Received& m) { return is_settings(m, false, "extended", 6.5); }, 5s));
    CHECK(eventually([&] {
        const auto r = watch.retained("hypnic/alex/settings", 500ms);
        return r && is_settings(*r, false, "extended", 6.5);
    }, 5s));

    // A bad value is refused with its reason and changes nothing.
    ha.publish("hypnic/alex/set/winddown_profile", "sleepy", 1, false);
    CHECK(d->wait_for_output("rejected a message on 'hypnic/alex/set/winddown_profile' (format)", 5s));

    // The buttons: Home Assistant's button sends its payload_press (empty) or PRESS by default.
    ha.publish("hypnic/alex/log/caffeine", "", 1, false);
    ha.publish("hypnic/alex/log/magnesium", "PRESS", 1, false);
    std::this_thread::sleep_for(500ms);
    CHECK(d->err().find("rejected a message on 'hypnic/alex/log/") == std::string::npos);
    stop(*d);

    // The factor logs were taken into the store.
    {
        SqliteHistory store(SqliteHistory::default_path(dir.path()), StoreMode::read_only);
        const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        const auto logs = store.factors_between("alex", now - 600, now + 60);
        REQUIRE(logs.size() == 2);
        CHECK(((logs[0].factor == Factor::caffeine && logs[1].factor == Factor::magnesium) ||
               (logs[0].factor == Factor::magnesium && logs[1].factor == Factor::caffeine)));
    }

    // Restart with the same state_dir: the broker's copy is wiped first, so what comes back is the
    // daemon's own persisted state.
    ha.publish("hypnic/alex/settings", "", 1, true);
    CHECK(eventually([&] { return !watch.retained("hypnic/alex/settings", 300ms); }, 5s));
    watch.clear();
    auto again = start_hypnicd({"run", "--config", cfg});
    INFO(again->err());
    REQUIRE(watch.wait_for("hypnic/status", "online", 15s));
    const auto restored = watch.wait_for([](const Received& m) { return m.topic == "hypnic/alex/settings"; }, 5s);
    REQUIRE(restored);
    CHECK(is_settings(*restored, false, "extended", 6.5));
    // And the restarted daemon keeps acting on commands from the restored state.
    ha.publish("hypnic/alex/set/winddown", "ON", 1, false);
    CHECK(watch.wait_for([](const Received& m) { return is_settings(m, true, "extended", 6.5); }, 5s));
    stop(*again);
}

TEST_CASE("hypnicd replay applies the set/ lines of a capture like the daemon does", "[hypnicd][homeassistant]") {
    TempDir dir;
    // No broker is needed: replay only reads the capture (the port is never connected to).
    const auto cfg = dir.write("hypnic.yaml", ha_config(free_loopback_port(), dir.path() + "/state", {"alex"}));
    const auto capture = dir.write("capture.jsonl",
                                   "{\"ts\": 1764090000, \"topic\": \"hypnic/alex/set/caffeine_cutoff_h\", \"payload\": \"5\"}\n"
                                   "{\"ts\": 1764090010, \"topic\": \"hypnic/alex/set/winddown_profile\", \"payload\": \"nope\"}\n"
                                   "{\"ts\": 1764090020, \"topic\": \"hypnic/alex/set/winddown\", \"payload\": \"OFF\"}\n");
    const auto r = run_hypnicd({"replay", "--config", cfg, "--capture", capture, "--until", "2025-11-25T18:00:00Z"}, 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::vector<boost::json::value> settings;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        const auto v = boost::json::parse(line);
        if (v.at("topic") == "hypnic/alex/settings") {
            CHECK(v.at("retain") == true);
            settings.push_back(boost::json::parse(std::string(v.at("payload").as_string())));
        }
    }
    REQUIRE(settings.size() >= 2);
    CHECK(settings[0].at("caffeine_cutoff_h").to_number<double>() == 5);
    CHECK(settings[0].at("winddown") == true);
    CHECK(settings.back().at("caffeine_cutoff_h").to_number<double>() == 5);
    CHECK(settings.back().at("winddown") == false);
    CHECK(settings.back().at("winddown_profile") == "adaptive");  // "nope" was refused
    CHECK(r.err.find("winddown_profile") != std::string::npos);
}
