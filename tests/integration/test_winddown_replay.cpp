// The wind-down through `hypnicd replay`: days over both DST changes in two zones, a restart mid-fade,
// a manual override and the pause topic, with each light protocol's payloads.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "adapters/tz.hpp"
#include "plugin/time.hpp"
#include "tests/integration/broker.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

struct Pub {
    double ts;
    std::string topic;
    std::string payload;
    bool retain;
};

std::vector<Pub> read_pubs(const std::string& path) {
    std::ifstream f(path);
    std::vector<Pub> v;
    for (std::string l; std::getline(f, l);) {
        if (l.empty()) continue;
        const auto o = boost::json::parse(l).as_object();
        v.push_back(Pub{o.at("ts").to_number<double>(), std::string(o.at("topic").as_string()),
                        std::string(o.at("payload").as_string()), o.at("retain").as_bool()});
    }
    return v;
}

std::vector<Pub> on_topic(const std::vector<Pub>& pubs, const std::string& topic) {
    std::vector<Pub> v;
    for (const auto& p : pubs)
        if (p.topic == topic) v.push_back(p);
    return v;
}

std::string field(const std::string& payload, const char* key) {
    const auto o = boost::json::parse(payload).as_object();
    const auto& v = o.at(key);
    return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

std::string config_for(const std::string& zone) {
    return "version: 1\n"
           "mqtt: {url: tcp://127.0.0.1:1883, base_topic: hypnic}\n"
           "homeassistant: {enabled: false}\n"
           "timezone: " + zone + "\n"
           "sleepers:\n"
           "  - id: alex\n"
           "    sensors:\n"
           "      - {kind: presence, topic: bed/alex/presence, format: plain}\n"
           "    winddown:\n"
           "      bedtime: \"22:30\"\n"
           "      pause_topic: home/guest_mode\n"
           "      lights:\n"
           "        - {type: zigbee2mqtt, topic: zigbee2mqtt/bedroom}\n"
           "        - {type: tasmota, topic: lamp}\n"
           "        - {type: shelly_gen1, topic: shellies/dimmer, channel: 1}\n"
           "        - {type: shelly_rpc, topic: shellyplus-bed}\n"
           "        - type: template\n"
           "          command_topic: home/strip/set\n"
           "          payload_template: '{\"b\": {brightness_254}, \"k\": {color_temp_k}, \"t\": {transition_s}}'\n";
}

void write(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
}

std::string capture_line(UnixS ts, const std::string& topic, const std::string& payload) {
    boost::json::object o;
    o["ts"] = ts;
    o["topic"] = topic;
    o["payload"] = payload;
    return boost::json::serialize(o) + "\n";
}

LocalDate plus_days(LocalDate d, int n) { return LocalDate{std::chrono::sys_days(d) + std::chrono::days(n)}; }

const std::map<std::string, std::string> LOCAL_TIME = {{"caffeine_cutoff", "T14:30:00.000"},
                                                       {"exercise_cutoff", "T19:30:00.000"},
                                                       {"dim_lights", "T21:30:00.000"},
                                                       {"relax", "T22:00:00.000"},
                                                       {"lights_out", "T22:30:00.000"}};

}  // namespace

TEST_CASE("replay over both DST changes: every stage once a day at its local time, fades reach their target",
          "[replay][winddown][dst]") {
    struct Case {
        const char* zone;
        LocalDate change;
    };
    using std::chrono::year;
    const Case cases[] = {{"Europe/Berlin", year(2026) / 3 / 29}, {"Europe/Berlin", year(2026) / 10 / 25},
                          {"America/New_York", year(2026) / 3 / 8}, {"America/New_York", year(2026) / 11 / 1}};
    for (const Case& c : cases) {
        INFO(c.zone << " around " << format_date(c.change));
        TempDir dir;
        const auto zone = make_zone(c.zone);
        const std::string cfg = dir.path() + "/hypnic.yaml", cap = dir.path() + "/days.jsonl",
                          out = dir.path() + "/out.jsonl";
        write(cfg, config_for(c.zone));
        // Six evenings, three before the change and three from it; a retained light state at noon.
        const LocalDate first = plus_days(c.change, -3);
        std::string lines;
        for (int d = 0; d < 6; ++d)
            lines += capture_line(zone->to_instant(plus_days(first, d), 12 * 3600), "zigbee2mqtt/bedroom",
                                  R"({"state":"ON","brightness":254})");
        write(cap, lines);
        const auto r = run_hypnicd({"replay", "--config", cfg, "--capture", cap, "--out", out}, 120s);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const auto pubs = read_pubs(out);

        const auto triggers = on_topic(pubs, "hypnic/alex/winddown");
        std::map<std::string, std::vector<std::string>> days_of_stage;
        for (const auto& t : triggers) {
            CHECK_FALSE(t.retain);
            const std::string stage = field(t.payload, "stage"), at = field(t.payload, "at");
            REQUIRE(LOCAL_TIME.count(stage) == 1);
            INFO(at);
            CHECK(at.find(LOCAL_TIME.at(stage)) == 10);  // the local wall-clock time, whatever the offset
            UnixS at_s = 0;
            REQUIRE(parse_iso(at, at_s));
            CHECK(t.ts == Approx(at_s).margin(1e-3));  // fired at its instant
            days_of_stage[stage].push_back(at.substr(0, 10));
        }
        REQUIRE(days_of_stage.size() == 5);
        for (const auto& [stage, days] : days_of_stage) {
            INFO(stage);
            REQUIRE(days.size() == 6);
            for (int d = 0; d < 6; ++d) CHECK(days[static_cast<std::size_t>(d)] == format_date(plus_days(first, d)));
        }
        // winddown/next is retained and names the coming stage.
        const auto next = on_topic(pubs, "hypnic/alex/winddown/next");
        REQUIRE(next.size() >= 30);
        for (const auto& n : next) CHECK(n.retain);

        // Every evening each light steps from full down to 20 % in 30 commands.
        const auto z2m = on_topic(pubs, "zigbee2mqtt/bedroom/set");
        REQUIRE(z2m.size() == 6 * 30);
        for (int d = 0; d < 6; ++d) {
            CHECK(z2m[static_cast<std::size_t>(d * 30)].payload ==
                  R"({"state":"ON","brightness":247,"color_temp":455,"transition":60})");
            CHECK(z2m[static_cast<std::size_t>(d * 30 + 29)].payload ==
                  R"({"state":"ON","brightness":51,"color_temp":455,"transition":60})");
        }
        for (const auto& p : z2m) CHECK_FALSE(p.retain);
        const auto dimmer = on_topic(pubs, "cmnd/lamp/Dimmer");
        REQUIRE(dimmer.size() == 6 * 30);
        CHECK(dimmer.back().payload == "20");
        CHECK(on_topic(pubs, "cmnd/lamp/CT").back().payload == "455");
        const auto sg1 = on_topic(pubs, "shellies/dimmer/light/1/set");
        REQUIRE(sg1.size() == 6 * 30);
        CHECK(sg1.back().payload == R"({"turn":"on","brightness":20,"transition":5000})");
        const auto rpc = on_topic(pubs, "shellyplus-bed/rpc");
        REQUIRE(rpc.size() == 6 * 30);
        CHECK(rpc.back().payload ==
              R"({"id":180,"src":"hypnic","method":"Light.Set","params":{"id":0,"on":true,"brightness":20,"transition_duration":60}})");
        const auto strip = on_topic(pubs, "home/strip/set");
        REQUIRE(strip.size() == 6 * 30);
        CHECK(strip.back().payload == R"({"b": 51, "k": 2200, "t": 60})");
    }
}

TEST_CASE("replay in two halves over one state directory: a restart mid-fade continues where it should be",
          "[replay][winddown][restart]") {
    TempDir dir;
    const std::string cfg = dir.path() + "/hypnic.yaml", state = dir.path() + "/state";
    write(cfg, config_for("Europe/Berlin"));
    const auto zone = make_zone("Europe/Berlin");
    const LocalDate day = std::chrono::year(2026) / 3 / 28;
    const auto t = [&](int h, int m) { return zone->to_instant(day, h * 3600 + m * 60); };
    const std::string state_line = R"({"state":"ON","brightness":254})";

    // In one go.
    write(dir.path() + "/all.jsonl", capture_line(t(12, 0), "zigbee2mqtt/bedroom", state_line) +
                                         capture_line(t(21, 45), "zigbee2mqtt/bedroom", R"({"state":"ON"})") +
                                         capture_line(t(23, 0), "zigbee2mqtt/bedroom", R"({"state":"ON"})"));
    auto r = run_hypnicd({"replay", "--config", cfg, "--capture", dir.path() + "/all.jsonl", "--out",
                          dir.path() + "/all_out.jsonl"},
                         120s);
    REQUIRE(r.exit_code == 0);
    const auto straight = on_topic(read_pubs(dir.path() + "/all_out.jsonl"), "zigbee2mqtt/bedroom/set");
    REQUIRE(straight.size() == 30);

    // Down from 21:40:30 to 21:45 (the broker hands the retained light state back on reconnect).
    write(dir.path() + "/a.jsonl", capture_line(t(12, 0), "zigbee2mqtt/bedroom", state_line));
    write(dir.path() + "/b.jsonl", capture_line(t(21, 45), "zigbee2mqtt/bedroom", R"({"state":"ON"})") +
                                       capture_line(t(23, 0), "zigbee2mqtt/bedroom", R"({"state":"ON"})"));
    r = run_hypnicd({"replay", "--config", cfg, "--capture", dir.path() + "/a.jsonl", "--state-dir", state, "--until",
                     format_iso(t(21, 40) + 30, *zone), "--out", dir.path() + "/a_out.jsonl"},
                    120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    r = run_hypnicd({"replay", "--config", cfg, "--capture", dir.path() + "/b.jsonl", "--state-dir", state, "--out",
                     dir.path() + "/b_out.jsonl"},
                    120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto a = read_pubs(dir.path() + "/a_out.jsonl");
    const auto b = read_pubs(dir.path() + "/b_out.jsonl");
    const auto fa = on_topic(a, "zigbee2mqtt/bedroom/set");
    const auto fb = on_topic(b, "zigbee2mqtt/bedroom/set");
    REQUIRE(fa.size() == 11);                  // 21:30 .. 21:40
    REQUIRE(fb.size() == 1 + 14);              // a jump to the 21:45 level, then 21:46 .. 21:59
    CHECK(fb[0].ts == Approx(t(21, 45)));
    CHECK(fb[0].payload == straight[15].payload);
    CHECK(fb.back().payload == straight.back().payload);
    // dim_lights fired once, before the restart; relax and lights-out after it.
    const auto stages = [](const std::vector<Pub>& pubs) {
        std::vector<std::string> v;
        for (const auto& p : on_topic(pubs, "hypnic/alex/winddown")) v.push_back(field(p.payload, "stage"));
        return v;
    };
    CHECK(stages(a) == std::vector<std::string>{"caffeine_cutoff", "exercise_cutoff", "dim_lights"});
    CHECK(stages(b) == std::vector<std::string>{"relax", "lights_out"});
}

TEST_CASE("replay: a hand on the light stops its fade, the pause topic silences the next evening",
          "[replay][winddown][override][pause]") {
    TempDir dir;
    const std::string cfg = dir.path() + "/hypnic.yaml", cap = dir.path() + "/c.jsonl", out = dir.path() + "/o.jsonl";
    write(cfg, config_for("America/New_York"));
    const auto zone = make_zone("America/New_York");
    const LocalDate day = std::chrono::year(2026) / 11 / 2;
    const auto t = [&](int d, int h, int m) { return zone->to_instant(plus_days(day, d), h * 3600 + m * 60); };
    write(cap, capture_line(t(0, 12, 0), "zigbee2mqtt/bedroom", R"({"state":"ON","brightness":254})") +
                   // 21:40: someone sets the light to full by hand.
                   capture_line(t(0, 21, 40) + 20, "zigbee2mqtt/bedroom", R"({"state":"ON","brightness":254})") +
                   capture_line(t(1, 12, 0), "home/guest_mode", "ON") +
                   capture_line(t(2, 12, 0), "home/guest_mode", "OFF") +
                   capture_line(t(2, 23, 0), "zigbee2mqtt/bedroom", R"({"state":"ON"})"));
    const auto r = run_hypnicd({"replay", "--config", cfg, "--capture", cap, "--out", out}, 120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto pubs = read_pubs(out);
    std::map<std::string, int> per_day;
    for (const auto& p : on_topic(pubs, "hypnic/alex/winddown")) ++per_day[field(p.payload, "at").substr(0, 10)];
    CHECK(per_day["2026-11-02"] == 5);
    CHECK(per_day["2026-11-03"] == 0);  // paused
    CHECK(per_day["2026-11-04"] == 5);
    std::map<std::string, int> steps;
    for (const auto& p : on_topic(pubs, "zigbee2mqtt/bedroom/set")) ++steps[format_date(local_date(p.ts, *zone))];
    CHECK(steps["2026-11-02"] == 11);  // 21:30 .. 21:40, then the person's change stopped it
    CHECK(steps["2026-11-03"] == 0);
    CHECK(steps["2026-11-04"] == 30);
    // The other lights did not see a hand: their fades ran on.
    CHECK(on_topic(pubs, "cmnd/lamp/Dimmer").size() == 60);
}
