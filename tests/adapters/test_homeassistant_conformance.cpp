// Every discovery payload hypnic can send, checked key by key against Home Assistant's documented options.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>

#include "adapters/homeassistant/settings.hpp"
#include "adapters/render.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"
#include "test_homeassistant_support.hpp"

using namespace hypnic;
using namespace hypnic::ha;
using namespace hypnic::ha::test;
namespace json = boost::json;

namespace {

// scope ("root", "device", "origin") -> allowed abbreviations, from the copied TSV.
std::map<std::string, std::set<std::string>> load_allowed_keys() {
    std::map<std::string, std::set<std::string>> keys;
    std::istringstream in(read_file(data_path("ha-discovery-keys.tsv")));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab1 = line.find('\t');
        const auto tab2 = line.find('\t', tab1 + 1);
        if (tab1 == std::string::npos || tab2 == std::string::npos) continue;
        keys[line.substr(0, tab1)].insert(line.substr(tab1 + 1, tab2 - tab1 - 1));
    }
    return keys;
}

const std::map<std::string, std::set<std::string>>& allowed() {
    static const auto keys = load_allowed_keys();
    return keys;
}

// Options each platform requires (HA docs of each platform) beyond `p` in device form.
const std::map<std::string, std::vector<std::string>>& required_keys() {
    static const std::map<std::string, std::vector<std::string>> req = {
        {"sensor", {"stat_t", "uniq_id", "name"}},
        {"binary_sensor", {"stat_t", "uniq_id", "name"}},
        {"event", {"stat_t", "evt_typ", "uniq_id", "name"}},
        {"device_automation", {"atype", "t", "type", "stype"}},
        {"button", {"cmd_t", "uniq_id", "name"}},
        {"switch", {"cmd_t", "uniq_id", "name"}},
        {"select", {"cmd_t", "ops", "uniq_id", "name"}},
        {"number", {"cmd_t", "uniq_id", "name"}},
    };
    return req;
}

bool is_ha_id(const std::string& s) {
    static const std::regex id("[a-zA-Z0-9_-]+");
    return std::regex_match(s, id);
}

void check_keys(const json::object& obj, const std::string& scope, const std::string& where) {
    const auto& keys = allowed().at(scope);
    for (const auto& kv : obj) {
        const std::string key(kv.key());
        INFO(where << ": key " << key << " (scope " << scope << ")");
        CHECK(keys.count(key) == 1);
    }
}

// One component's options, wherever they sit (a cmps entry, or the root of a per-entity config).
struct ComponentCheck {
    std::set<std::string> unique_ids;
    std::set<std::pair<std::string, std::string>> trigger_kinds;  // (type, subtype) per device

    void check(const json::object& c, const std::string& platform, const std::string& where) {
        INFO(where << " (" << platform << ")");
        REQUIRE(required_keys().count(platform) == 1);
        for (const auto& key : required_keys().at(platform)) {
            INFO("required key " << key);
            CHECK(c.contains(key));
        }
        if (c.contains("uniq_id")) {
            const std::string uid(c.at("uniq_id").as_string());
            CHECK(is_ha_id(uid));
            CHECK(uid.rfind("hypnic_", 0) == 0);
            CHECK(unique_ids.insert(uid).second);
        }
        if (platform == "device_automation") {
            CHECK(c.at("atype") == "trigger");
            CHECK_FALSE(c.contains("uniq_id"));
            const std::pair<std::string, std::string> kind(c.at("type").as_string(), c.at("stype").as_string());
            INFO("trigger " << kind.first << "/" << kind.second);
            CHECK(trigger_kinds.insert(kind).second);
        }
        for (const char* topic_key : {"stat_t", "cmd_t", "t", "json_attr_t"}) {
            if (!c.contains(topic_key)) continue;
            const std::string topic(c.at(topic_key).as_string());
            INFO(topic_key << " = " << topic);
            CHECK(topic.find_first_of("+#") == std::string::npos);
            CHECK(topic.rfind("hypnic/", 0) == 0);
        }
        if (c.contains("cmd_t")) {
            // Commands are never retained.
            REQUIRE(c.contains("ret"));
            CHECK(c.at("ret") == false);
        }
        check_platform_rules(c, platform);
    }

    // Per-platform rules of Home Assistant's MQTT platforms (docs of each platform).
    static void check_platform_rules(const json::object& c, const std::string& platform) {
        static const std::regex type_id("[a-z0-9_]+");
        const auto unique_strings = [](const json::value& v) {
            REQUIRE(v.is_array());
            std::set<std::string> seen;
            for (const auto& e : v.as_array()) {
                REQUIRE(e.is_string());
                CHECK_FALSE(e.as_string().empty());
                CHECK(seen.insert(std::string(e.as_string())).second);
            }
            return seen;
        };
        const auto text = [&](const char* key) { return c.contains(key) ? std::string(c.at(key).as_string()) : ""; };
        if (platform == "event") {
            // event_types: a non-empty list; the template must emit one of them as event_type.
            const auto types = unique_strings(c.at("evt_typ"));
            CHECK_FALSE(types.empty());
            for (const auto& t : types) CHECK(std::regex_match(t, type_id));
            CHECK(text("val_tpl").find("event_type=") != std::string::npos);
        }
        if (platform == "sensor" && text("dev_cla") == "enum") {
            CHECK(c.contains("ops"));
            CHECK_FALSE(c.contains("unit_of_meas"));  // enum sensors have no unit
            CHECK_FALSE(c.contains("stat_cla"));
        }
        if (platform == "sensor" && text("dev_cla") == "timestamp") {
            CHECK_FALSE(c.contains("stat_cla"));
            CHECK_FALSE(c.contains("unit_of_meas"));
        }
        if (platform == "sensor" && text("dev_cla") == "duration") CHECK(c.contains("unit_of_meas"));
        if (platform == "select") {
            CHECK_FALSE(unique_strings(c.at("ops")).empty());
            CHECK(c.contains("stat_t"));
        }
        if (platform == "binary_sensor") {
            // The default payload_on/off are ON/OFF; the template must produce exactly those.
            CHECK_FALSE(c.contains("pl_on"));
            CHECK(text("val_tpl").find("'ON'") != std::string::npos);
            CHECK(text("val_tpl").find("'OFF'") != std::string::npos);
        }
        if (platform == "switch") {
            CHECK(c.contains("stat_t"));
            CHECK(c.at("pl_on") != c.at("pl_off"));
            CHECK(text("val_tpl").find("'" + text("pl_on") + "'") != std::string::npos);
            CHECK(text("val_tpl").find("'" + text("pl_off") + "'") != std::string::npos);
        }
        if (platform == "number") {
            REQUIRE(c.contains("min"));
            REQUIRE(c.contains("max"));
            REQUIRE(c.contains("step"));
            CHECK(c.at("min").to_number<double>() < c.at("max").to_number<double>());
            CHECK(c.at("step").to_number<double>() > 0);
        }
        if (platform == "button") {
            CHECK_FALSE(c.contains("stat_t"));  // a button has no state
            CHECK(c.contains("pl_prs"));
        }
        if (platform == "device_automation") {
            // type/subtype are free strings in HA but hypnic keeps them id-like; payload is required
            // for a trigger that should not fire on every message of its topic.
            CHECK(std::regex_match(text("type"), type_id));
            CHECK(std::regex_match(text("stype"), type_id));
            CHECK_FALSE(text("pl").empty());
            CHECK_FALSE(c.contains("name"));
            CHECK_FALSE(c.contains("avty_t"));
        }
    }
};

// All payloads of a plan for the given options, split into configs and the rest.
std::vector<Publication> configs_of(const DiscoveryOptions& o) {
    const DiscoveryPlan plan = plan_discovery(o, {}, NOW_S);
    REQUIRE(plan.errors.empty());
    for (const auto& p : plan.publications) {
        CHECK(p.retain);
        CHECK_FALSE(p.payload.empty());
    }
    return plan.publications;
}

std::vector<std::string> split(const std::string& topic) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(topic);
    while (std::getline(in, part, '/')) parts.push_back(part);
    return parts;
}

}  // namespace

TEST_CASE("the copied key list is readable and has every scope", "[homeassistant]") {
    CHECK(allowed().at("root").count("stat_t") == 1);
    CHECK(allowed().at("device").count("ids") == 1);
    CHECK(allowed().at("origin").count("url") == 1);
    // One style: the long names that have an abbreviation are not allowed themselves.
    CHECK(allowed().at("root").count("state_topic") == 0);
}

TEST_CASE("device-based payloads use only documented keys, at every level", "[homeassistant]") {
    const auto pubs = configs_of(two_sleepers(true));
    REQUIRE(pubs.size() == 2);
    std::set<std::string> all_unique_ids;
    for (const auto& p : pubs) {
        const auto parts = split(p.topic);
        REQUIRE(parts.size() == 4);
        CHECK(parts[0] == "homeassistant");
        CHECK(parts[1] == "device");
        CHECK(is_ha_id(parts[2]));
        CHECK(parts[3] == "config");

        const json::value doc = parse_json(p.payload);
        REQUIRE(doc.is_object());
        const auto& root = doc.as_object();
        check_keys(root, "root", p.topic);
        check_keys(root.at("dev").as_object(), "device", p.topic + " dev");
        check_keys(root.at("o").as_object(), "origin", p.topic + " o");

        const auto& dev = root.at("dev").as_object();
        REQUIRE(dev.at("ids").is_array());
        CHECK(dev.at("ids").as_array().at(0) == json::value(parts[2]));
        CHECK(dev.at("mf") == "hypnic");
        CHECK(dev.at("sw") == "0.1.0");
        const auto& origin = root.at("o").as_object();
        CHECK(origin.at("name") == "hypnic");
        CHECK(origin.at("sw") == "0.1.0");
        CHECK(origin.at("url") == json::value(std::string(SUPPORT_URL)));
        CHECK(root.at("avty_t") == "hypnic/status");
        CHECK(root.at("pl_avail") == "online");
        CHECK(root.at("pl_not_avail") == "offline");
        CHECK(root.at("qos") == 1);

        ComponentCheck cc;
        const auto& cmps = root.at("cmps").as_object();
        CHECK(cmps.size() == entity_table().size());
        for (const auto& kv : cmps) {
            const std::string id(kv.key());
            CHECK(is_ha_id(id));
            const auto& c = kv.value().as_object();
            check_keys(c, "root", p.topic + " cmps." + id);
            REQUIRE(c.contains("p"));
            cc.check(c, std::string(c.at("p").as_string()), p.topic + " cmps." + id);
        }
        for (const auto& uid : cc.unique_ids) CHECK(all_unique_ids.insert(uid).second);
    }
}

TEST_CASE("per-entity payloads use only documented keys and carry device and origin each", "[homeassistant]") {
    const auto pubs = configs_of(two_sleepers(false));
    REQUIRE(pubs.size() == 2 * entity_table().size());
    std::map<std::string, ComponentCheck> per_device;
    std::set<std::string> all_unique_ids;
    for (const auto& p : pubs) {
        const auto parts = split(p.topic);
        REQUIRE(parts.size() == 5);
        CHECK(parts[0] == "homeassistant");
        CHECK(platform_from_string(parts[1]).has_value());
        CHECK(is_ha_id(parts[2]));
        CHECK(is_ha_id(parts[3]));
        CHECK(parts[4] == "config");

        const json::value doc = parse_json(p.payload);
        REQUIRE(doc.is_object());
        const auto& root = doc.as_object();
        check_keys(root, "root", p.topic);
        check_keys(root.at("dev").as_object(), "device", p.topic + " dev");
        check_keys(root.at("o").as_object(), "origin", p.topic + " o");
        CHECK_FALSE(root.contains("p"));  // the platform is in the topic
        CHECK(root.at("dev").at("ids").as_array().at(0) == json::value(parts[2]));
        per_device[parts[2]].check(root, parts[1], p.topic);
        if (root.contains("uniq_id")) {
            CHECK(all_unique_ids.insert(std::string(root.at("uniq_id").as_string())).second);
            CHECK(root.at("uniq_id") == json::value(parts[2] + "_" + parts[3]));
        }
    }
    CHECK(per_device.size() == 2);
}

TEST_CASE("both forms announce the same components with the same options", "[homeassistant]") {
    const auto device = configs_of(alex_options(true));
    const auto entity = configs_of(alex_options(false));
    const json::value doc = parse_json(device.at(0).payload);
    const auto& cmps = doc.at("cmps").as_object();
    REQUIRE(cmps.size() == entity.size());
    for (const auto& p : entity) {
        const auto parts = split(p.topic);
        json::object single = parse_json(p.payload).as_object();
        for (const char* shared : {"dev", "o", "avty_t", "pl_avail", "pl_not_avail", "qos"}) single.erase(shared);
        json::object component = cmps.at(parts[3]).as_object();
        CHECK(component.at("p") == json::value(parts[1]));
        component.erase("p");
        INFO(p.topic);
        CHECK(single == component);
    }
}

TEST_CASE("the entity table covers the contract's vocabularies and topics", "[homeassistant]") {
    const json::value doc = parse_json(configs_of(alex_options(true)).at(0).payload);
    const auto& cmps = doc.at("cmps").as_object();

    std::vector<json::value> phases, movements, stages;
    for (auto p : {Phase::out_of_bed, Phase::awake_in_bed, Phase::settling, Phase::asleep, Phase::waking})
        phases.emplace_back(std::string(to_string(p)));
    for (auto t : {MovementType::twitch, MovementType::limb_movement, MovementType::large_movement,
                   MovementType::plm_series})
        movements.emplace_back(std::string(to_string(t)));
    for (auto s : {Stage::caffeine_cutoff, Stage::exercise_cutoff, Stage::dim_lights, Stage::relax, Stage::lights_out,
                   Stage::caffeine_reminder, Stage::exercise_reminder})
        stages.emplace_back(std::string(to_string(s)));
    const auto as_vector = [](const json::value& v) {
        return std::vector<json::value>(v.as_array().begin(), v.as_array().end());
    };

    CHECK(as_vector(cmps.at("phase").at("ops")) == phases);
    CHECK(cmps.at("phase").at("dev_cla") == "enum");
    CHECK(as_vector(cmps.at("movement").at("evt_typ")) == movements);
    CHECK(cmps.at("movement").at("stat_t") == "hypnic/alex/event");
    CHECK(as_vector(cmps.at("winddown_stage").at("evt_typ")) == stages);
    CHECK(cmps.at("winddown_stage").at("stat_t") == "hypnic/alex/winddown");
    // Event payloads carry type/stage; the template must produce event_type.
    CHECK(std::string(cmps.at("movement").at("val_tpl").as_string()).find("event_type=value_json.type") !=
          std::string::npos);
    CHECK(std::string(cmps.at("winddown_stage").at("val_tpl").as_string()).find("event_type=value_json.stage") !=
          std::string::npos);

    CHECK(cmps.at("in_bed").at("dev_cla") == "occupancy");
    CHECK(cmps.at("in_bed").at("stat_t") == "hypnic/alex/state");
    CHECK(std::string(cmps.at("in_bed").at("val_tpl").as_string()).find("out_of_bed") != std::string::npos);
    CHECK(cmps.at("twitch_heavy").at("dev_cla") == "problem");
    CHECK(cmps.at("onset_latency").at("dev_cla") == "duration");
    CHECK(cmps.at("onset_latency").at("unit_of_meas") == "min");
    CHECK(cmps.at("sleep_onset").at("dev_cla") == "timestamp");
    CHECK(cmps.at("next_winddown").at("dev_cla") == "timestamp");
    CHECK(cmps.at("next_winddown").at("stat_t") == "hypnic/alex/winddown/next");
    CHECK(cmps.at("twitch_index").at("unit_of_meas") == "/h");
    CHECK(cmps.at("plm_index").at("unit_of_meas") == "/h");
    CHECK(cmps.at("advice").at("json_attr_t") == "hypnic/alex/advice");

    // One button per contract factor, on the contract's log topic, with an empty payload.
    for (Factor f : ALL_FACTORS) {
        const std::string id = "log_" + std::string(to_string(f));
        INFO(id);
        REQUIRE(cmps.contains(id));
        CHECK(cmps.at(id).at("p") == "button");
        CHECK(cmps.at(id).at("cmd_t") == json::value("hypnic/alex/log/" + std::string(to_string(f))));
        CHECK(cmps.at(id).at("pl_prs") == "");
    }
    // Settings: commands on set/<name>, states from the retained settings JSON.
    CHECK(cmps.at("winddown").at("p") == "switch");
    CHECK(cmps.at("winddown").at("cmd_t") == "hypnic/alex/set/winddown");
    CHECK(cmps.at("winddown_profile").at("cmd_t") == "hypnic/alex/set/winddown_profile");
    CHECK(cmps.at("caffeine_cutoff").at("cmd_t") == "hypnic/alex/set/caffeine_cutoff_h");
    for (const char* id : {"winddown", "winddown_profile", "caffeine_cutoff"})
        CHECK(cmps.at(id).at("stat_t") == "hypnic/alex/settings");
    CHECK(cmps.at("caffeine_cutoff").at("min") == 0);
    CHECK(cmps.at("caffeine_cutoff").at("max") == 16);
    CHECK(cmps.at("caffeine_cutoff").at("step").to_number<double>() == 0.5);

    // A trigger per wind-down stage, on the winddown topic, matching the stage.
    std::size_t stage_triggers = 0;
    for (const auto& kv : cmps) {
        const auto& c = kv.value().as_object();
        if (c.at("p") != "device_automation" || c.at("type") != "winddown") continue;
        ++stage_triggers;
        CHECK(c.at("t") == "hypnic/alex/winddown");
        CHECK(c.at("pl") == c.at("stype"));
        CHECK(stage_from_string(std::string(c.at("stype").as_string())).has_value());
    }
    CHECK(stage_triggers == stages.size());
    CHECK(cmps.at("trigger_twitch_heavy_night").at("t") == "hypnic/alex/night");
}

TEST_CASE("removal payloads are empty and retained; migration payloads use a documented key", "[homeassistant]") {
    const DiscoveryPlan device = plan_discovery(two_sleepers(true), {}, NOW_S);
    const DiscoveryPlan switched = plan_discovery(alex_options(false), device.announced, NOW_S);
    std::size_t removals = 0, migrations = 0;
    for (const auto& p : switched.publications) {
        CHECK(p.retain);
        if (p.payload.empty()) {
            ++removals;
            continue;
        }
        const json::value doc = parse_json(p.payload);
        REQUIRE(doc.is_object());
        if (doc.as_object().contains("migr_discvry")) {
            ++migrations;
            CHECK(doc.as_object().size() == 1);
            CHECK(doc.at("migr_discvry") == true);
            check_keys(doc.as_object(), "root", p.topic);
        }
    }
    // alex's device config is handed over and cleared; sam's is cleared.
    CHECK(removals == 2);
    CHECK(migrations == 1);
}

namespace {

// A payload hypnic renders on each source topic, as the daemon would publish it.
json::value sample_payload(Source src) {
    const FixedZone zone(3600, "CET");
    switch (src) {
        case Source::state: return parse_json(render_state(LiveState{}, zone));
        case Source::event: return parse_json(render_event(MovementEvent{}, zone));
        case Source::night: return parse_json(render_night(NightSummary{}, zone));
        case Source::advice: {
            Advice a;
            AdviceItem item;
            item.id = "routine";
            item.priority = 1;
            item.text = "Keep a regular bedtime.";
            a.items.push_back(item);
            return parse_json(render_advice(a, zone));
        }
        case Source::winddown: return parse_json(render_winddown(WinddownTrigger{}, zone));
        case Source::winddown_next: return parse_json(render_winddown_next(WinddownNext{}, zone));
        case Source::settings: return parse_json(render_settings(WinddownSettings{}));
        case Source::none: break;
    }
    return nullptr;
}

// Every field path a template reads: value_json.a.b and value_json['a'].
std::vector<std::vector<std::string>> field_paths(const std::string& tpl) {
    static const std::regex dotted(R"(value_json((?:\.[a-z_]+)+))");
    static const std::regex subscript(R"(value_json\['([a-z_]+)'\])");
    std::vector<std::vector<std::string>> out;
    for (std::sregex_iterator it(tpl.begin(), tpl.end(), dotted), end; it != end; ++it) {
        std::vector<std::string> path;
        std::istringstream parts((*it)[1].str().substr(1));
        for (std::string p; std::getline(parts, p, '.');) path.push_back(p);
        out.push_back(path);
    }
    for (std::sregex_iterator it(tpl.begin(), tpl.end(), subscript), end; it != end; ++it) out.push_back({(*it)[1]});
    return out;
}

}  // namespace

TEST_CASE("every field an entity's templates read is in the payload hypnic publishes on its topic",
          "[homeassistant]") {
    std::size_t paths_checked = 0;
    for (const EntitySpec& row : entity_table()) {
        for (const auto& [src, tpl] : {std::pair{row.state_source, row.value_template},
                                       std::pair{row.attributes_source, row.attributes_template}}) {
            if (src == Source::none || tpl.empty()) continue;
            INFO(row.object_id << " reads " << topic_suffix(src) << ": " << tpl);
            const json::value payload = sample_payload(src);
            REQUIRE(payload.is_object());
            for (const auto& path : field_paths(tpl)) {
                const json::value* at = &payload;
                std::string shown;
                for (const auto& key : path) {
                    shown += "." + key;
                    INFO("value_json" << shown);
                    REQUIRE(at->is_object());
                    at = at->as_object().if_contains(key);
                    REQUIRE(at != nullptr);
                }
                ++paths_checked;
            }
        }
    }
    CHECK(paths_checked >= entity_table().size() / 2);
}
