// Home Assistant discovery: golden payloads, removal, migration between forms, hostile options.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "test_homeassistant_support.hpp"

using namespace hypnic;
using namespace hypnic::ha;
using namespace hypnic::ha::test;

namespace {

const Publication* find_topic(const std::vector<Publication>& pubs, const std::string& topic) {
    for (const auto& p : pubs)
        if (p.topic == topic) return &p;
    return nullptr;
}

std::size_t index_of(const std::vector<Publication>& pubs, const std::string& topic, const std::string& payload) {
    for (std::size_t i = 0; i < pubs.size(); ++i)
        if (pubs[i].topic == topic && pubs[i].payload == payload) return i;
    return pubs.size();
}

}  // namespace

TEST_CASE("device-based discovery of one sleeper matches the golden file", "[homeassistant]") {
    const DiscoveryPlan plan = plan_discovery(alex_options(true), {}, NOW_S);
    REQUIRE(plan.errors.empty());
    REQUIRE(plan.publications.size() == 1);
    const Publication& p = plan.publications[0];
    CHECK(p.topic == "homeassistant/device/hypnic_alex/config");
    CHECK(p.retain);
    CHECK(p.qos == 1);
    CHECK(p.ts == NOW_S);
    CHECK(matches_golden("discovery_device_alex.jsonl", to_golden(plan.publications)));
}

TEST_CASE("per-entity discovery of one sleeper matches the golden file", "[homeassistant]") {
    const DiscoveryPlan plan = plan_discovery(alex_options(false), {}, NOW_S);
    REQUIRE(plan.errors.empty());
    REQUIRE(plan.publications.size() == entity_table().size());
    for (const auto& p : plan.publications) {
        CHECK(p.retain);
        CHECK(p.topic.rfind("homeassistant/", 0) == 0);
        CHECK(p.topic.find("/hypnic_alex/") != std::string::npos);
    }
    CHECK(find_topic(plan.publications, "homeassistant/sensor/hypnic_alex/twitch_index/config") != nullptr);
    CHECK(find_topic(plan.publications, "homeassistant/device_automation/hypnic_alex/trigger_winddown_dim_lights/config") !=
          nullptr);
    CHECK(find_topic(plan.publications, "homeassistant/switch/hypnic_alex/winddown/config") != nullptr);
    CHECK(matches_golden("discovery_entity_alex.jsonl", to_golden(plan.publications)));
}

TEST_CASE("planning is deterministic and re-announcing changes nothing", "[homeassistant]") {
    for (bool device : {true, false}) {
        const DiscoveryPlan first = plan_discovery(two_sleepers(device), {}, NOW_S);
        const DiscoveryPlan again = plan_discovery(two_sleepers(device), first.announced, NOW_S);
        REQUIRE(first.errors.empty());
        REQUIRE(again.errors.empty());
        CHECK(to_golden(first.publications) == to_golden(again.publications));
        CHECK(first.announced == again.announced);
        for (const auto& p : again.publications) CHECK_FALSE(p.payload.empty());
    }
}

TEST_CASE("announced lists every row of every sleeper in the current form", "[homeassistant]") {
    const DiscoveryPlan plan = plan_discovery(two_sleepers(false), {}, NOW_S);
    REQUIRE(plan.announced.size() == 2 * entity_table().size());
    for (const auto& e : plan.announced) {
        CHECK(e.prefix == "homeassistant");
        CHECK_FALSE(e.device_form);
        CHECK((e.sleeper == "alex" || e.sleeper == "sam"));
    }
}

TEST_CASE("a sleeper no longer configured gets an empty retained config in device form", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(two_sleepers(true), {}, NOW_S);
    const DiscoveryPlan after = plan_discovery(alex_options(true), before.announced, NOW_S + 60);
    REQUIRE(after.errors.empty());
    REQUIRE(after.publications.size() == 2);
    CHECK(after.publications[0].topic == "homeassistant/device/hypnic_alex/config");
    const Publication& removal = after.publications[1];
    CHECK(removal.topic == "homeassistant/device/hypnic_sam/config");
    CHECK(removal.payload.empty());
    CHECK(removal.retain);
    for (const auto& e : after.announced) CHECK(e.sleeper == "alex");
}

TEST_CASE("a sleeper no longer configured has every per-entity config cleared", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(two_sleepers(false), {}, NOW_S);
    const DiscoveryPlan after = plan_discovery(alex_options(false), before.announced, NOW_S);
    std::size_t cleared = 0;
    for (const auto& p : after.publications) {
        if (p.topic.find("/hypnic_sam/") == std::string::npos) continue;
        CHECK(p.payload.empty());
        CHECK(p.retain);
        ++cleared;
    }
    CHECK(cleared == entity_table().size());
}

TEST_CASE("switching from device to per-entity form hands over, announces, then clears the device config", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(alex_options(true), {}, NOW_S);
    const DiscoveryPlan after = plan_discovery(alex_options(false), before.announced, NOW_S);
    REQUIRE(after.errors.empty());
    const std::string device_topic = "homeassistant/device/hypnic_alex/config";
    REQUIRE(after.publications.size() == entity_table().size() + 2);
    CHECK(after.publications.front().topic == device_topic);
    CHECK(after.publications.front().payload == MIGRATE_PAYLOAD);
    CHECK(after.publications.back().topic == device_topic);
    CHECK(after.publications.back().payload.empty());
    CHECK(after.publications.back().retain);
    for (std::size_t i = 1; i + 1 < after.publications.size(); ++i)
        CHECK(after.publications[i].topic.rfind("homeassistant/device/", 0) != 0);
}

TEST_CASE("switching from per-entity to device form migrates every entity topic before clearing it", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(alex_options(false), {}, NOW_S);
    const DiscoveryPlan after = plan_discovery(alex_options(true), before.announced, NOW_S);
    REQUIRE(after.errors.empty());
    REQUIRE(after.publications.size() == 2 * entity_table().size() + 1);
    std::size_t device_at = after.publications.size();
    for (std::size_t i = 0; i < after.publications.size(); ++i)
        if (after.publications[i].topic == "homeassistant/device/hypnic_alex/config") device_at = i;
    CHECK(parse_json(after.publications.at(device_at).payload).is_object());
    CHECK(device_at == entity_table().size());
    for (const auto& old : before.publications) {
        const std::size_t migrate = index_of(after.publications, old.topic, std::string(MIGRATE_PAYLOAD));
        const std::size_t clear = index_of(after.publications, old.topic, "");
        CHECK(migrate < device_at);
        CHECK(clear > device_at);
        CHECK(clear < after.publications.size());
    }
}

TEST_CASE("rows dropped from the table are removed inside the device config or cleared per entity", "[homeassistant]") {
    SECTION("device form: the component is sent with its platform only") {
        std::vector<AnnouncedEntity> previous = plan_discovery(alex_options(true), {}, NOW_S).announced;
        previous.push_back({"homeassistant", "alex", Platform::sensor, "old_metric", true});
        const DiscoveryPlan plan = plan_discovery(alex_options(true), previous, NOW_S);
        REQUIRE(plan.publications.size() == 1);
        const auto doc = parse_json(plan.publications[0].payload);
        REQUIRE(doc.is_object());
        const auto& old = doc.at("cmps").at("old_metric").as_object();
        CHECK(old.size() == 1);
        CHECK(old.at("p") == "sensor");
        for (const auto& e : plan.announced) CHECK(e.object_id != "old_metric");
    }
    SECTION("per-entity form: its topic is cleared") {
        std::vector<AnnouncedEntity> previous = plan_discovery(alex_options(false), {}, NOW_S).announced;
        previous.push_back({"homeassistant", "alex", Platform::binary_sensor, "old_flag", false});
        const DiscoveryPlan plan = plan_discovery(alex_options(false), previous, NOW_S);
        const Publication* p = find_topic(plan.publications, "homeassistant/binary_sensor/hypnic_alex/old_flag/config");
        REQUIRE(p != nullptr);
        CHECK(p->payload.empty());
        CHECK(p->retain);
    }
}

TEST_CASE("a changed discovery prefix clears the configs under the old prefix", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(alex_options(true), {}, NOW_S);
    DiscoveryOptions moved = alex_options(true);
    moved.discovery_prefix = "ha";
    const DiscoveryPlan after = plan_discovery(moved, before.announced, NOW_S);
    REQUIRE(after.publications.size() == 2);
    CHECK(after.publications[0].topic == "ha/device/hypnic_alex/config");
    CHECK(after.publications[1].topic == "homeassistant/device/hypnic_alex/config");
    CHECK(after.publications[1].payload.empty());
}

TEST_CASE("disabling Home Assistant removes everything announced and announces nothing", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(two_sleepers(true), {}, NOW_S);
    DiscoveryOptions off = two_sleepers(true);
    off.enabled = false;
    const DiscoveryPlan after = plan_discovery(off, before.announced, NOW_S);
    CHECK(after.announced.empty());
    REQUIRE(after.publications.size() == 2);
    for (const auto& p : after.publications) {
        CHECK(p.payload.empty());
        CHECK(p.retain);
    }
}

TEST_CASE("broken topic options publish nothing and keep what was announced", "[homeassistant]") {
    const DiscoveryPlan before = plan_discovery(alex_options(true), {}, NOW_S);
    for (const std::string& bad : std::vector<std::string>{"", "home/#", "home/+/x", "/home", "home/", "home//x", std::string("ho\0me", 5),
                                  "home\nassistant"}) {
        DiscoveryOptions o = alex_options(true);
        o.discovery_prefix = bad;
        const DiscoveryPlan plan = plan_discovery(o, before.announced, NOW_S);
        CHECK(plan.publications.empty());
        CHECK(plan.announced == before.announced);
        REQUIRE(plan.errors.size() == 1);
        CHECK(plan.errors[0].find("homeassistant.discovery_prefix") != std::string::npos);
    }
    DiscoveryOptions o = alex_options(true);
    o.base_topic = "hypnic/#";
    const DiscoveryPlan plan = plan_discovery(o, {}, NOW_S);
    CHECK(plan.publications.empty());
    REQUIRE(plan.errors.size() == 1);
    CHECK(plan.errors[0].find("mqtt.base_topic") != std::string::npos);
}

TEST_CASE("sleepers with unusable ids are skipped with an error, the others are announced", "[homeassistant]") {
    HomeAssistantOptions ha;
    const PluginParams params = params_with({{"alex", "Alex"},
                                             {"a/b", "Slash"},
                                             {"+", "Plus"},
                                             {"#", "Hash"},
                                             {"", "Empty"},
                                             {"Alex", "Upper"},
                                             {"al ex", "Space"},
                                             {std::string(65, 'a'), "Long"},
                                             {"alex", "Twin"}});
    const DiscoveryPlan plan = plan_discovery(make_discovery_options(ha, params, "0.1.0"), {}, NOW_S);
    REQUIRE(plan.publications.size() == 1);
    CHECK(plan.publications[0].topic == "homeassistant/device/hypnic_alex/config");
    REQUIRE(plan.errors.size() == 8);
    CHECK(plan.errors[0].find("sleepers[1].id") != std::string::npos);
    CHECK(plan.errors[7].find("sleepers[8].id") != std::string::npos);
    CHECK(plan.errors[7].find("duplicate") != std::string::npos);
}

TEST_CASE("hostile display names still give valid JSON", "[homeassistant]") {
    const std::string hostile = std::string("Al\"ex\\ \x01\x1f </script> \xff\xfe caf\xc3\xa9 {{ value }}");
    HomeAssistantOptions ha;
    for (bool device : {true, false}) {
        ha.device_discovery = device;
        const DiscoveryPlan plan =
            plan_discovery(make_discovery_options(ha, params_with({{"alex", hostile}}), "0.1.0"), {}, NOW_S);
        REQUIRE_FALSE(plan.publications.empty());
        for (const auto& p : plan.publications) {
            const auto doc = parse_json(p.payload);
            REQUIRE(doc.is_object());
            const std::string name(doc.at("dev").at("name").as_string());
            CHECK(name.rfind("hypnic Al\"ex\\ \x01\x1f </script> ", 0) == 0);
            CHECK(name.find("caf\xc3\xa9 {{ value }}") != std::string::npos);
        }
    }
}

TEST_CASE("the twitch-heavy trigger only matches while the night is fresh", "[homeassistant]") {
    HomeAssistantOptions ha;
    PluginParams params = params_with({{"alex", "Alex"}});
    params.sleepers[0].night.bathroom_trip_max_min = 30;
    const DiscoveryPlan plan = plan_discovery(make_discovery_options(ha, params, "0.1.0"), {}, NOW_S);
    const auto doc = parse_json(plan.publications.at(0).payload);
    const std::string tpl(doc.at("cmps").at("trigger_twitch_heavy_night").at("val_tpl").as_string());
    CHECK(tpl.find("< 5400") != std::string::npos);  // 30 min + 1 h
    CHECK(tpl.find("{window_s}") == std::string::npos);
    CHECK(doc.at("cmps").at("trigger_twitch_heavy_night").at("t") == "hypnic/alex/night");
}

TEST_CASE("previous announcements that cannot form a topic are reported, not cleared", "[homeassistant]") {
    std::vector<AnnouncedEntity> previous = {{"homeassistant", "sam/#", Platform::sensor, "x", true},
                                             {"home+", "sam", Platform::sensor, "x", false},
                                             {"homeassistant", "sam", Platform::sensor, "X Y", false}};
    const DiscoveryPlan plan = plan_discovery(alex_options(true), previous, NOW_S);
    REQUIRE(plan.errors.size() == 3);
    CHECK(plan.errors[0].find("announced[0]") != std::string::npos);
    REQUIRE(plan.publications.size() == 1);
    CHECK(plan.publications[0].topic == "homeassistant/device/hypnic_alex/config");
}

TEST_CASE("announcements round-trip through their JSON form", "[homeassistant]") {
    const DiscoveryPlan plan = plan_discovery(two_sleepers(false), {}, NOW_S);
    const std::string text = announced_to_json(plan.announced);
    const AnnouncedParse back = parse_announced(text);
    CHECK(back.errors.empty());
    CHECK(back.announced == plan.announced);
    CHECK(parse_announced("[]").announced.empty());
    CHECK(parse_announced("[]").errors.empty());
}

TEST_CASE("hostile announcement text is rejected entry by entry with the reason", "[homeassistant]") {
    const auto errors_of = [](const std::string& text) { return parse_announced(text).errors; };
    for (const std::string& bad : std::vector<std::string>{"", "{", "null", "{}", "\"[]\"", "[", "[1,2", std::string("[\0]", 3)}) {
        const AnnouncedParse r = parse_announced(bad);
        CHECK(r.announced.empty());
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].rfind("announced:", 0) == 0);
    }
    const std::string good = R"({"prefix":"homeassistant","sleeper":"alex","platform":"sensor","object_id":"phase","device":true})";
    const std::string mixed = "[" + good + R"(,1,{"prefix":"homeassistant"},)" +
                              R"({"prefix":"homeassistant","sleeper":"alex","platform":"light","object_id":"x","device":true},)" +
                              R"({"prefix":"home/#","sleeper":"alex","platform":"sensor","object_id":"x","device":true},)" +
                              R"({"prefix":"homeassistant","sleeper":"../x","platform":"sensor","object_id":"x","device":true},)" +
                              R"({"prefix":"homeassistant","sleeper":"alex","platform":"sensor","object_id":"a/b","device":true},)" +
                              R"({"prefix":"homeassistant","sleeper":"alex","platform":"sensor","object_id":"x","device":"yes"},)" +
                              R"({"prefix":7,"sleeper":"alex","platform":"sensor","object_id":"x","device":true},)" + good +
                              "]";
    const AnnouncedParse r = parse_announced(mixed);
    CHECK(r.announced.size() == 2);
    const auto& e = r.errors;
    REQUIRE(e.size() == 8);
    CHECK(e[0] == "announced[1]: expected an object");
    CHECK(e[1] == "announced[2].sleeper: missing or not a string");
    CHECK(e[2].find("announced[3].platform: \"light\"") == 0);
    CHECK(e[3].find("announced[4].prefix") == 0);
    CHECK(e[4].find("announced[5].sleeper") == 0);
    CHECK(e[5].find("announced[6].object_id") == 0);
    CHECK(e[6] == "announced[7].device: missing or not true/false");
    CHECK(e[7] == "announced[8].prefix: missing or not a string");
    // Deep nesting and oversized text are refused before anything is built.
    CHECK(errors_of(std::string(10000, '[') + std::string(10000, ']')).size() == 1);
    const AnnouncedParse big = parse_announced(std::string(2000, ' ') + "[]", 1000);
    REQUIRE(big.errors.size() == 1);
    CHECK(big.errors[0].find("exceed the limit of 1000") != std::string::npos);
}
