// Error reporting of the loader: suggestions, several errors at once, types, ranges, cross-field checks.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.hpp"

using namespace hypnic;

namespace {

const char* const VALID = R"(version: 1
sleepers:
  - id: alex
    sensors:
      - {kind: accel, topic: bed/alex/accel}
)";

std::string all_errors(const ConfigResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

const ConfigError* find_error(const ConfigResult& r, const std::string& part) {
    for (const auto& e : r.errors)
        if (e.message.find(part) != std::string::npos) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("a valid text loads with defaults and the name as the file") {
    const ConfigResult r = load_config_text(VALID, "inline.yaml");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config.source == "inline.yaml");
    CHECK(r.config.plugin.sleepers.at(0).sensors.at(0).format == "hypnic");
    CHECK(r.config.plugin.sleepers.at(0).sensors.at(0).unit == "g");
}

TEST_CASE("misspelt keys suggest the nearest valid key, at their own position") {
    const ConfigResult r = load_config_text(R"(version: 1
mqtt:
  keepalive: 30
  tsl: {enabled: false}
sleepers:
  - id: alex
    sensor:
      - {kind: accel, topic: bed/alex/accel}
    detector: {on_j: 5, plm_min_runs: 3}
    winddown:
      dim_lights: 30
      bedtime_by_weekday: {fridya: "23:00"}
)",
                                            "typos.yaml");
    INFO(all_errors(r));
    const ConfigError* e = find_error(r, "unknown key 'keepalive'");
    REQUIRE(e != nullptr);
    CHECK(e->to_string() == "typos.yaml:3:3: unknown key 'keepalive' in mqtt; did you mean 'keepalive_s'?");
    e = find_error(r, "unknown key 'tsl'");
    REQUIRE(e != nullptr);
    CHECK(e->message == "unknown key 'tsl' in mqtt; did you mean 'tls'?");
    e = find_error(r, "unknown key 'sensor'");
    REQUIRE(e != nullptr);
    CHECK(e->message == "unknown key 'sensor' in sleepers[0]; did you mean 'sensors'?");
    CHECK(e->line == 7);
    CHECK(e->column == 5);
    CHECK(find_error(r, "unknown key 'on_j' in sleepers[0].detector; did you mean 'on_k'?") != nullptr);
    CHECK(find_error(r, "unknown key 'plm_min_runs' in sleepers[0].detector; did you mean 'plm_min_run'?") != nullptr);
    CHECK(find_error(r, "unknown key 'dim_lights' in sleepers[0].winddown; did you mean 'dim_lights_min'?") != nullptr);
    CHECK(r.errors.size() == 8);
    CHECK(find_error(r, "did you mean 'friday'?") != nullptr);
    // The sensors key was misspelt, so the sleeper has none.
    CHECK(find_error(r, "sleepers[0] needs 'sensors'") != nullptr);
}

TEST_CASE("a key far from every valid key lists the valid keys instead of guessing") {
    const ConfigResult r = load_config_text(std::string(VALID) + "log: {colour_output: true}\n", "x.yaml");
    const ConfigError* e = find_error(r, "unknown key 'colour_output'");
    REQUIRE(e != nullptr);
    CHECK(e->message == "unknown key 'colour_output' in log; valid keys: level");
}

TEST_CASE("every error of a file is reported at once, in file order") {
    const ConfigResult r = load_config_text(R"(version: 1
mqtt:
  qos: 5
  url: ftp://x
timezone: Nowhere/City
language: fr
sleepers:
  - id: ALEX
    sensors:
      - {kind: radar, topic: bed/#}
    winddown:
      bedtime: "7pm"
)",
                                            "many.yaml");
    INFO(all_errors(r));
    REQUIRE(r.errors.size() == 8);
    CHECK(r.errors[0].line == 3);
    CHECK(r.errors[0].message == "mqtt.qos must be an integer 0..2, got '5'");
    CHECK(r.errors[1].line == 4);
    CHECK(r.errors[2].line == 5);
    CHECK(r.errors[3].message == "language must be one of en, de, got 'fr'");
    CHECK(r.errors[4].line == 8);
    CHECK(r.errors[5].line == 10);
    CHECK(r.errors[5].column == 16);
    CHECK(r.errors[6].line == 10);
    CHECK(r.errors[6].column == 30);
    CHECK(r.errors[6].message.find("wildcards") != std::string::npos);
    // An unknown sensor kind does not stop the rest of the sleeper from being checked.
    CHECK(r.errors[7].line == 12);
    CHECK(r.errors[7].message.find("bedtime '7pm'") != std::string::npos);
}

TEST_CASE("an invalid bedtime is reported with its position") {
    const ConfigResult r =
        load_config_text(std::string(VALID) + "    winddown:\n      bedtime: \"7pm\"\n", "bed.yaml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].to_string() ==
          "bed.yaml:7:16: sleepers[0].winddown.bedtime '7pm' must be a time \"HH:MM\" (00:00..23:59) or \"auto\"");
}

TEST_CASE("version is required and only 1 is supported") {
    SECTION("missing") {
        const ConfigResult r = load_config_text("sleepers: []\n", "v.yaml");
        CHECK(find_error(r, "missing required key 'version'") != nullptr);
    }
    SECTION("another number") {
        const ConfigResult r = load_config_text("version: 3\nsleepers: [{id: a, sensors: [{kind: accel, topic: t}]}]\n",
                                                "v.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message == "unsupported configuration version 3; supported versions: 1");
        CHECK(r.errors[0].line == 1);
        CHECK(r.errors[0].column == 10);
    }
    SECTION("not a number") {
        const ConfigResult r = load_config_text("version: one\nsleepers: [{id: a, sensors: [{kind: accel, topic: t}]}]\n",
                                                "v.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("version must be an integer") == 0);
    }
}

TEST_CASE("numbers accept signs and decimals but never NaN, infinity or trailing junk") {
    auto with_detector = [](const std::string& line) {
        return load_config_text(std::string(VALID) + "    detector:\n      " + line + "\n", "n.yaml");
    };
    CHECK(with_detector("min_on_g: 0.02").ok());
    CHECK(with_detector("min_on_g: +0.02").ok());
    CHECK(with_detector("min_on_g: 2e-2").ok());
    CHECK(with_detector("highpass_hz: .5").ok());
    CHECK(with_detector("plm_min_run: 6").config.plugin.sleepers.at(0).detector.plm_min_run == 6);
    for (const char* bad : {"min_on_g: .inf", "min_on_g: nan", "min_on_g: 0.02g", "min_on_g: -0.1", "min_on_g: 1e400",
                            "plm_min_run: 0x10", "plm_min_run: 99999999999999999999", "min_on_g:", "min_on_g: ''"}) {
        INFO(bad);
        const ConfigResult r = with_detector(bad);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("must be a") != std::string::npos);
        CHECK(r.errors[0].line == 7);
    }
}

TEST_CASE("booleans are true or false") {
    auto with_mqtt = [](const std::string& line) {
        return load_config_text(std::string(VALID) + "mqtt:\n  " + line + "\n", "b.yaml");
    };
    CHECK(with_mqtt("clean_session: true").config.mqtt.clean_session);
    CHECK(with_mqtt("clean_session: True").ok());
    const ConfigResult r = with_mqtt("clean_session: 1");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message == "mqtt.clean_session must be true or false, got '1'");
}

TEST_CASE("TLS follows the URL scheme and needs readable files") {
    SECTION("ssl:// switches TLS on") {
        const ConfigResult r = load_config_text(std::string(VALID) + "mqtt: {url: 'ssl://broker:8883'}\n", "t.yaml");
        INFO(all_errors(r));
        REQUIRE(r.ok());
        CHECK(r.config.mqtt.tls.enabled);
    }
    SECTION("tls.enabled with tcp:// contradicts") {
        const ConfigResult r =
            load_config_text(std::string(VALID) + "mqtt: {url: 'tcp://broker', tls: {enabled: true}}\n", "t.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("does not use ssl://") != std::string::npos);
    }
    SECTION("a missing CA file names the path and the OS reason") {
        const ConfigResult r = load_config_text(
            std::string(VALID) + "mqtt: {url: 'mqtts://broker', tls: {ca_file: /nonexistent/ca.pem}}\n", "t.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message ==
              "mqtt.tls.ca_file: cannot read '/nonexistent/ca.pem': No such file or directory");
    }
    SECTION("a client certificate needs its key") {
        const ConfigResult r = load_config_text(
            std::string(VALID) + "mqtt: {url: 'ssl://broker', tls: {cert_file: " HYPNIC_SOURCE_DIR
                                 "/config/minimal.yaml}}\n",
            "t.yaml");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("needs mqtt.tls.key_file") != std::string::npos);
    }
}

TEST_CASE("broker URLs are checked for scheme, host and port") {
    auto url = [](const std::string& u) {
        return load_config_text(std::string(VALID) + "mqtt: {url: '" + u + "'}\n", "u.yaml");
    };
    for (const char* ok : {"tcp://localhost:1883", "mqtt://10.0.0.2", "ws://hub.local:9001/mqtt", "tcp://[::1]:1883",
                           "wss://broker.example.org/mqtt", "mqtts://broker:8883"}) {
        INFO(ok);
        const ConfigResult r = url(ok);
        CHECK(r.ok());
        CHECK(r.config.mqtt.url == ok);
    }
    for (const char* bad : {"localhost:1883", "tcp://", "tcp://:1883", "tcp://host:0", "tcp://host:65536",
                            "tcp://host:12ab", "tcp://host/path", "tcp://ho st", "udp://host", "tcp://[::1"}) {
        INFO(bad);
        const ConfigResult r = url(bad);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.rfind("mqtt.url ", 0) == 0);
    }
}

TEST_CASE("a non-mapping section is a clear error, not a crash") {
    const ConfigResult r = load_config_text(std::string(VALID) + "mqtt: [a, b]\nhomeassistant: 5\nlog: null\n", "s.yaml");
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].message == "mqtt must be a mapping of keys, got a list");
    CHECK(r.errors[1].message == "homeassistant must be a mapping of keys, got '5'");
}

TEST_CASE("sleepers and sensors of the wrong shape are reported per item") {
    const ConfigResult r = load_config_text(R"(version: 1
sleepers:
  - just-a-name
  - id: b
    sensors: [bed/b/accel, {kind: accel, topic: bed/b/accel}]
  - id: c
    sensors: {kind: accel}
)",
                                            "shape.yaml");
    INFO(all_errors(r));
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].message == "sleepers[0] must be a mapping with id and sensors, got 'just-a-name'");
    CHECK(r.errors[1].message.rfind("sleepers[1].sensors[0] must be a mapping", 0) == 0);
    CHECK(r.errors[2].message == "sleepers[2].sensors must be a list, got a mapping");
}

TEST_CASE("the base topic reaches the plugin parameters and language maps to plugin.language") {
    const ConfigResult r = load_config_text(std::string(VALID) + "mqtt: {base_topic: home/sleep}\nlanguage: de\n", "p.yaml");
    REQUIRE(r.ok());
    CHECK(r.config.plugin.base_topic == "home/sleep");
    CHECK(r.config.mqtt.base_topic == "home/sleep");
    CHECK(r.config.plugin.language == "de");
}

TEST_CASE("relative paths are taken relative to the configuration file") {
    const ConfigResult r = load_config_file(HYPNIC_TEST_DATA "/config/relative_paths.yaml");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config.state_dir == HYPNIC_TEST_DATA "/config/state");
    CHECK(r.config.mqtt.password == "from-a-file");
}

TEST_CASE("merge keys are refused with an explanation") {
    const ConfigResult r = load_config_text(R"(version: 1
base: &base {on_k: 7}
sleepers:
  - id: alex
    sensors: [{kind: accel, topic: bed/alex/accel}]
    detector:
      <<: *base
      off_k: 2
)",
                                            "merge.yaml");
    const ConfigError* e = find_error(r, "unknown key '<<'");
    REQUIRE(e != nullptr);
    CHECK(e->line == 7);
    CHECK(e->message.find("merge keys are not supported") != std::string::npos);
    CHECK(find_error(r, "unknown key 'base' at the top level") != nullptr);
}

TEST_CASE("a light's state can be named by its device format, but not by a format of another kind") {
    const std::string base = R"(version: 1
sleepers:
  - id: alex
    sensors:
      - {kind: accel, topic: bed/alex/accel}
      - {kind: lights, topic: tasmota/bedroom/STATE, format: )";
    for (const char* fmt : {"plain", "json", "zigbee2mqtt", "tasmota"}) {
        const ConfigResult r = load_config_text(base + fmt + "}\n", "lights.yaml");
        INFO(fmt << "\n" << all_errors(r));
        CHECK(r.ok());
    }
    const ConfigResult bad = load_config_text(base + "saa}\n", "lights.yaml");
    REQUIRE_FALSE(bad.ok());
    const ConfigError* e = find_error(bad, "format");
    REQUIRE(e != nullptr);
    CHECK(e->line == 6);
}
