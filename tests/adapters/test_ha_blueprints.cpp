// The Home Assistant blueprints and the example dashboard: valid YAML that uses hypnic's real topics, fields and entities.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "adapters/homeassistant/discovery.hpp"
#include "adapters/render.hpp"
#include "plugin/time.hpp"

using namespace hypnic;
using namespace hypnic::ha;
namespace fs = std::filesystem;

namespace {

const fs::path BLUEPRINTS = fs::path(HYPNIC_SOURCE_DIR) / "packaging/homeassistant/blueprints";
const fs::path DASHBOARD = fs::path(HYPNIC_SOURCE_DIR) / "packaging/homeassistant/dashboard";

std::vector<fs::path> yaml_files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".yaml") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// Every `!input <name>` anywhere in the document.
void collect_inputs(const YAML::Node& n, std::set<std::string>& used) {
    if (n.Tag() == "!input") used.insert(n.as<std::string>());
    if (n.IsSequence())
        for (const auto& c : n) collect_inputs(c, used);
    if (n.IsMap())
        for (const auto& kv : n) collect_inputs(kv.second, used);
}

// The selectors Home Assistant documents (blueprint "selectors" page) that the blueprints may use.
const std::set<std::string> KNOWN_SELECTORS = {"text", "number", "boolean", "select", "target", "entity", "device",
                                               "time", "action", "duration"};

// The top-level keys of the JSON hypnic publishes on a sleeper topic (rendered by hypnic itself).
std::set<std::string> published_fields(const std::string& suffix) {
    const FixedZone zone(3600, "CET");
    std::string payload;
    if (suffix == "winddown") {
        WinddownTrigger t;
        t.stage = Stage::dim_lights;
        payload = render_winddown(t, zone);
    } else if (suffix == "night") {
        payload = render_night(NightSummary{}, zone);
    } else {
        FAIL("no sample payload for " << suffix);
    }
    std::set<std::string> keys;
    const boost::json::value doc = boost::json::parse(payload);
    for (const auto& kv : doc.as_object()) keys.emplace(kv.key());
    return keys;
}

// Each `value_json.<field>` a template reads.
std::set<std::string> fields_read(const std::string& tpl) {
    static const std::regex field(R"(value_json\.([a-z_]+))");
    std::set<std::string> out;
    for (std::sregex_iterator it(tpl.begin(), tpl.end(), field), end; it != end; ++it) out.insert((*it)[1]);
    return out;
}

// The trigger topic with the blueprint's trigger variables filled in the way Home Assistant would.
std::string fill(std::string topic, const std::string& base, const std::string& sleeper) {
    topic = std::regex_replace(topic, std::regex(R"(\{\{\s*base_topic\s*\}\})"), base);
    return std::regex_replace(topic, std::regex(R"(\{\{\s*sleeper\s*\}\})"), sleeper);
}

}  // namespace

TEST_CASE("the three blueprints are there and are valid automation blueprints", "[homeassistant][blueprints]") {
    const auto files = yaml_files(BLUEPRINTS);
    std::set<std::string> names;
    for (const auto& f : files) names.insert(f.filename().string());
    CHECK(names == std::set<std::string>{"hypnic_caffeine_reminder.yaml", "hypnic_twitch_heavy_morning.yaml",
                                         "hypnic_winddown_dim_lights.yaml"});
    for (const auto& file : files) {
        INFO(file.filename().string());
        YAML::Node doc;
        REQUIRE_NOTHROW(doc = YAML::LoadFile(file.string()));
        REQUIRE(doc.IsMap());
        const YAML::Node bp = doc["blueprint"];
        REQUIRE(bp.IsMap());
        CHECK_FALSE(bp["name"].as<std::string>("").empty());
        CHECK(bp["description"].as<std::string>("").size() > 40);
        CHECK(bp["domain"].as<std::string>("") == "automation");
        REQUIRE(bp["input"].IsMap());
        // Current automation syntax: plural sections, `trigger:` / `action:` inside them.
        REQUIRE(doc["triggers"].IsSequence());
        REQUIRE(doc["actions"].IsSequence());
        CHECK_FALSE(doc["trigger"]);
        CHECK_FALSE(doc["action"]);
        CHECK(doc["mode"].IsScalar());

        std::set<std::string> declared;
        for (const auto& kv : bp["input"]) {
            const std::string name = kv.first.as<std::string>();
            INFO("input " << name);
            declared.insert(name);
            const YAML::Node in = kv.second;
            REQUIRE(in.IsMap());
            CHECK_FALSE(in["name"].as<std::string>("").empty());
            REQUIRE(in["selector"].IsMap());
            REQUIRE(in["selector"].size() == 1);
            CHECK(KNOWN_SELECTORS.count(in["selector"].begin()->first.as<std::string>()) == 1);
        }
        std::set<std::string> used;
        for (const auto& kv : doc)
            if (kv.first.as<std::string>() != "blueprint") collect_inputs(kv.second, used);
        CHECK(used == declared);
        // Every blueprint names its sleeper and hypnic's base topic.
        CHECK(declared.count("sleeper") == 1);
        CHECK(bp["input"]["base_topic"]["default"].as<std::string>("") == "hypnic");
    }
}

TEST_CASE("blueprint triggers listen on hypnic's real topics for values hypnic publishes", "[homeassistant][blueprints]") {
    std::set<std::string> stages_used;
    bool night_trigger = false;
    for (const auto& file : yaml_files(BLUEPRINTS)) {
        INFO(file.filename().string());
        const YAML::Node doc = YAML::LoadFile(file.string());
        const YAML::Node vars = doc["trigger_variables"];
        REQUIRE(vars.IsMap());
        for (const auto& trig : doc["triggers"]) {
            REQUIRE(trig["trigger"].as<std::string>("") == "mqtt");
            const std::string topic = fill(trig["topic"].as<std::string>(), "hypnic", "alex");
            INFO("topic " << topic);
            // The topic is one hypnic publishes for that sleeper, wildcards and templates resolved.
            std::string suffix;
            for (std::string_view s : {"winddown", "night"})
                if (topic == sleeper_topic("hypnic", "alex", s)) suffix = s;
            REQUIRE_FALSE(suffix.empty());
            const std::string tpl = trig["value_template"].as<std::string>("");
            REQUIRE_FALSE(tpl.empty());
            const auto fields = published_fields(suffix);
            for (const std::string& f : fields_read(tpl)) {
                INFO("value_json." << f);
                CHECK(fields.count(f) == 1);
            }
            // The payload the template must produce: a real stage, or (from an input) only real stages.
            std::string payload = trig["payload"].as<std::string>("");
            std::vector<std::string> payloads;
            if (payload == "{{ stage }}") {
                const std::string input = vars["stage"].as<std::string>();
                for (const auto& o : doc["blueprint"]["input"][input]["selector"]["select"]["options"])
                    payloads.push_back(o.as<std::string>());
                payloads.push_back(doc["blueprint"]["input"][input]["default"].as<std::string>());
            } else {
                payloads.push_back(payload);
            }
            for (const std::string& p : payloads) {
                INFO("payload " << p);
                if (suffix == "winddown") {
                    CHECK(stage_from_string(p).has_value());
                    stages_used.insert(p);
                } else {
                    CHECK(p == "twitch_heavy");
                    CHECK(tpl.find("out_of_bed") != std::string::npos);  // only a fresh night matches
                    night_trigger = true;
                }
            }
        }
    }
    for (const char* s : {"dim_lights", "lights_out", "caffeine_cutoff", "caffeine_reminder"}) {
        INFO(s);
        CHECK(stages_used.count(s) == 1);
    }
    CHECK(night_trigger);
}

TEST_CASE("the example dashboard shows last night, a 28-night trend and the advice of real entities",
          "[homeassistant][dashboard]") {
    const fs::path file = DASHBOARD / "hypnic-dashboard.yaml";
    YAML::Node doc;
    REQUIRE_NOTHROW(doc = YAML::LoadFile(file.string()));
    REQUIRE(doc["views"].IsSequence());
    REQUIRE(doc["views"].size() >= 1);

    // The entity ids Home Assistant derives for the golden sleeper "alex" (device "hypnic alex"):
    // <platform>.hypnic_alex_<name slug>.
    std::set<std::string> known;
    for (const EntitySpec& r : entity_table()) {
        if (!is_entity(r.platform)) continue;
        std::string slug;
        for (char c : "hypnic alex " + r.name) {
            const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            const bool upper = c >= 'A' && c <= 'Z';
            if (word || upper) slug += upper ? static_cast<char>(c - 'A' + 'a') : c;
            else if (!slug.empty() && slug.back() != '_') slug += '_';
        }
        while (!slug.empty() && slug.back() == '_') slug.pop_back();
        known.insert(std::string(to_string(r.platform)) + "." + slug);
    }

    std::vector<std::string> entities;
    std::map<std::string, int> card_types;
    std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
        if (n.IsMap()) {
            if (n["type"] && n["type"].IsScalar()) ++card_types[n["type"].as<std::string>()];
            if (n["entity"] && n["entity"].IsScalar()) entities.push_back(n["entity"].as<std::string>());
            if (n["days_to_show"]) CHECK(n["days_to_show"].as<int>() == 28);
            if (n["hours_to_show"]) CHECK(n["hours_to_show"].as<int>() == 28 * 24);
            for (const auto& kv : n) {
                if (kv.first.as<std::string>() == "entities" && kv.second.IsSequence())
                    for (const auto& e : kv.second)
                        if (e.IsScalar()) entities.push_back(e.as<std::string>());
                walk(kv.second);
            }
        } else if (n.IsSequence()) {
            for (const auto& c : n) walk(c);
        }
    };
    walk(doc);
    REQUIRE_FALSE(entities.empty());
    for (const std::string& e : entities) {
        INFO(e);
        CHECK(known.count(e) == 1);
    }
    const std::set<std::string> shown(entities.begin(), entities.end());
    for (const char* must : {"sensor.hypnic_alex_onset_twitches_last_night", "sensor.hypnic_alex_advice",
                             "binary_sensor.hypnic_alex_twitch_heavy_night", "sensor.hypnic_alex_next_wind_down"}) {
        INFO(must);
        CHECK(shown.count(must) == 1);
    }
    CHECK(card_types["statistics-graph"] + card_types["history-graph"] >= 1);
}
