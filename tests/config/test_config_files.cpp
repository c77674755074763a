// The shipped example and minimal configurations load, and every broken file gives exactly its expected errors.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"

using namespace hypnic;

namespace {

std::string all_errors(const ConfigResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

// "line:col: message" of every error, without the file name.
std::multiset<std::string> located(const ConfigResult& r) {
    std::multiset<std::string> out;
    for (const auto& e : r.errors) out.insert(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message);
    return out;
}

// The expectations a broken file carries in its leading "# expect: L:C: message" comment lines.
std::multiset<std::string> expectations(const std::string& path) {
    std::ifstream f(path);
    std::multiset<std::string> out;
    std::string line;
    const std::string tag = "# expect: ";
    while (std::getline(f, line))
        if (line.rfind(tag, 0) == 0) out.insert(line.substr(tag.size()));
    return out;
}

}  // namespace

TEST_CASE("the example configuration is valid and its values arrive in the struct") {
    ::setenv("HYPNIC_MQTT_PASSWORD", "example-secret", 1);
    const ConfigResult r = load_config_file(HYPNIC_SOURCE_DIR "/config/hypnic.example.yaml");
    ::unsetenv("HYPNIC_MQTT_PASSWORD");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    const Config& c = r.config;
    CHECK(c.version == 1);
    CHECK(c.mqtt.url == "tcp://localhost:1883");
    CHECK(c.mqtt.client_id == "hypnic-bedroom");
    CHECK(c.mqtt.username == "hypnic");
    CHECK(c.mqtt.password == "example-secret");
    CHECK(c.mqtt.max_payload_bytes == 262144);
    CHECK_FALSE(c.mqtt.tls.enabled);
    CHECK(c.mqtt.tls.ca_file == "/etc/hypnic/ca.crt");
    CHECK(c.homeassistant.device_discovery);
    CHECK(c.homeassistant.announce_delay_max_s == Approx(5));
    CHECK(c.timezone == "Europe/Berlin");
    CHECK(c.log.level == "info");
    CHECK(c.plugin.language == "en");
    CHECK(c.plugin.base_topic == "hypnic");
    REQUIRE(c.plugin.sleepers.size() == 1);
    const SleeperParams& s = c.plugin.sleepers[0];
    CHECK(s.id == "alex");
    CHECK(s.name == "Alex");
    REQUIRE(s.sensors.size() == 5);
    CHECK(s.sensors[0].kind == SensorKind::accel);
    CHECK(s.sensors[0].unit == "g");
    CHECK(s.sensors[1].kind == SensorKind::presence);
    CHECK(s.sensors[1].value_pointer == "/occupancy");
    CHECK(s.sensors[2].kind == SensorKind::lights);
    const SensorSpec& coffee = s.sensors[3];
    CHECK(coffee.kind == SensorKind::source);
    CHECK(coffee.factor == Factor::caffeine);
    CHECK(coffee.value_pointer == "/ENERGY/Power");
    CHECK(coffee.above == Approx(800));
    CHECK(coffee.for_s == Approx(20));
    CHECK(coffee.amount == Approx(80));
    CHECK(s.sensors[4].kind == SensorKind::mask);
    CHECK(s.sensors[4].format == "plain");
    CHECK(s.sensors[4].above == Approx(5));
    CHECK(s.detector.min_on_g == Approx(0.008));
    CHECK(s.detector.plm_min_run == 4);
    CHECK(s.night.sleep_algorithm == "cole-kripke");
    CHECK(s.heavy.k_mad == Approx(2.5));
    CHECK(s.winddown.bedtime == "22:30");
    CHECK(s.winddown.bedtime_by_weekday[4] == "23:30");  // friday
    CHECK(s.winddown.bedtime_by_weekday[0].empty());
    CHECK(s.winddown.warm_color_temp_k == 2200);
    REQUIRE(s.winddown.lights.size() == 2);
    CHECK(s.winddown.lights[0].type == LightType::zigbee2mqtt);
    CHECK(s.winddown.lights[1].type == LightType::tasmota);
    CHECK(s.winddown.lights[1].state_topic == "stat/bedside_lamp/RESULT");
}

TEST_CASE("the example configuration names every key the loader knows") {
    // A key the loader accepts but the example leaves out would be undocumented: compare the example's
    // keys with the fields of a fully written configuration by checking a few keys that are easy to forget.
    std::ifstream f(HYPNIC_SOURCE_DIR "/config/hypnic.example.yaml");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    for (const char* key :
         {"version:", "url:", "base_topic:", "client_id:", "username:", "password:", "password_file:", "password_env:",
          "keepalive_s:", "qos:", "clean_session:", "reconnect_min_s:", "reconnect_max_s:", "max_payload_bytes:", "diagnostics_interval_s:", "shared_group:", "shard:",
          "tls:", "enabled:", "ca_file:", "cert_file:", "key_file:", "verify:", "discovery_prefix:", "status_topic:",
          "device_discovery:", "announce_delay_max_s:", "timezone:", "state_dir:", "store:", "path:", "retention_days:", "journal:", "journal_fsync:", "web:", "listen:", "port:", "refresh_s:", "allow_from:", "level:", "language:", "sleepers:",
          "id:", "name:", "sensors:", "kind:", "topic:", "format:", "value:", "unit:", "partner:", "factor:",
          "above:", "for_s:", "amount:", "highpass_hz:", "envelope_ms:", "noise_window_s:", "on_k:", "off_k:",
          "min_on_g:", "merge_gap_s:", "twitch_max_s:", "lm_max_s:", "large_min_s:", "gravity_shift_deg:",
          "plm_wasm2016:", "plm_min_run:", "release_frac:", "max_movement_s:", "ring_decay_s:", "ring_scale_max:", "ring_impulses:", "sleep_algorithm:", "onset_sleep_min:", "wake_min:",
          "onset_window_after_min:", "bathroom_trip_max_min:", "min_in_bed_min:", "evening_start_hour:", "wake_moving_s:", "min_minute_coverage:", "data_stopped_min:",
          "bleed_window_s:", "bleed_ratio:", "onset_twitch_gap_min:", "onset_settle_max_min:", "onset_burst_gap_min:", "onset_single_start_min:", "onset_section_min:",
          "default_onset_twitches:", "min_nights:", "baseline_nights:", "k_mad:", "advice:", "history_nights:", "min_each:", "z:",
          "min_effect:", "stress_level:", "plm_index_per_h:", "plm_periodicity:", "plm_nights:", "plm_window_nights:",
          "discomfort_nights:", "mattress_share:", "bedtime:",
          "bedtime_by_weekday:", "monday:", "sunday:", "auto_earliest:", "auto_latest:", "caffeine_cutoff_h:",
          "exercise_cutoff_h:", "dim_lights_min:", "fade_min:", "dim_to_pct:", "warm_color_temp_k:", "relax_min:",
          "lights_out_min:", "heavy_extra_caffeine_h:", "heavy_extra_dim_min:", "heavy_extra_relax_min:",
          "grace_min:", "pause_topic:", "lights:", "type:", "state_topic:", "command_topic:", "payload_template:", "channel:"}) {
        INFO(key);
        CHECK(text.find(key) != std::string::npos);
    }
}

TEST_CASE("the minimal configuration of the contract is valid") {
    const ConfigResult r = load_config_file(HYPNIC_SOURCE_DIR "/config/minimal.yaml");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    const Config& c = r.config;
    CHECK(c.mqtt.base_topic == "hypnic");
    CHECK(c.plugin.base_topic == "hypnic");
    CHECK(c.state_dir == "/var/lib/hypnic");
    REQUIRE(c.plugin.sleepers.size() == 1);
    const SleeperParams& s = c.plugin.sleepers[0];
    CHECK(s.name == "alex");  // the name defaults to the id
    REQUIRE(s.sensors.size() == 3);
    CHECK(s.sensors[2].format == "json");
    CHECK(s.sensors[2].value_pointer == "/state");
    REQUIRE(s.winddown.lights.size() == 1);
    CHECK(s.winddown.lights[0].topic == "zigbee2mqtt/bedroom_light");
    // Everything not written keeps the defaults of plugin/params.hpp and adapters/options.hpp.
    CHECK(c.mqtt.qos == MqttOptions{}.qos);
    CHECK(s.detector.on_k == Approx(DetectorParams{}.on_k));
    CHECK(s.winddown.dim_to_pct == Approx(WinddownParams{}.dim_to_pct));
    CHECK_FALSE(c.mqtt.client_id.empty());  // "hypnic-<hostname>"
    CHECK(c.mqtt.client_id.rfind("hypnic", 0) == 0);
}

TEST_CASE("each broken configuration gives exactly the errors it expects, with line and column") {
    const std::filesystem::path dir = HYPNIC_TEST_DATA "/config/broken";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".yaml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 10);
    for (const auto& p : files) {
        const auto expected = expectations(p.string());
        INFO(p.filename().string());
        REQUIRE_FALSE(expected.empty());
        const ConfigResult r = load_config_file(p.string());
        CHECK_FALSE(r.ok());
        INFO(all_errors(r));
        CHECK(located(r) == expected);
        for (const auto& e : r.errors) CHECK(e.file == p.string());
    }
}
