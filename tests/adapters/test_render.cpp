// Golden tests of rendered publications (tests/data/payloads/render/) and their topics and flags.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/render.hpp"

using namespace hypnic;

namespace {

std::string golden(const std::string& name) {
    std::ifstream in(std::filesystem::path(HYPNIC_TEST_DATA) / "payloads" / "render" / name, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const FixedZone CET(3600, "CET");

MovementEvent twitch() {
    MovementEvent e;
    e.type = MovementType::twitch;
    e.start = 1764106863.12;
    e.duration_s = 0.2149;
    e.peak_g = 0.08312;
    e.phase = Phase::settling;
    e.onset_window = true;
    e.gravity_shift = true;  // not part of the contract's event payload
    return e;
}

NightSummary full_night() {
    NightSummary n;
    n.night = "2025-11-25";
    n.in_bed = 1764104400;
    n.lights_out = 1764105000;
    n.sleep_onset = 1764106000;
    n.onset_latency_min = 16.6667;
    n.out_of_bed = 1764135000;
    n.onset_twitches = 7;
    n.twitches = 12;
    n.twitch_index = 1.6216;
    n.limb_movements = 40;
    n.plm_series = 2;
    n.plm_index = 5.123;
    n.plm_periodicity = 0.4567;
    n.large_movements = 9;
    n.twitch_heavy = true;
    n.heavy_reason = "7 onset twitches, at or above the threshold of 5";
    n.baseline = Baseline{3, 4, 1.5, 1.2, 0.4, 5};
    n.factors.push_back(FactorSummary{Factor::caffeine, 2, 180, 1764094500.0, 2.9166, true});
    n.factors.push_back(FactorSummary{Factor::exercise, 0, 0, std::nullopt, std::nullopt, false});
    n.sensor_resolution = "raw 50 Hz accel";
    n.coverage = 0.98765;
    n.asleep_h = 7.4;
    return n;
}

PluginParams params_with_lights() {
    PluginParams p;
    p.base_topic = "hypnic";
    SleeperParams s;
    s.id = "alex";
    LightSpec z2m;
    z2m.type = LightType::zigbee2mqtt;
    z2m.topic = "zigbee2mqtt/bedroom_light";
    LightSpec tas;
    tas.type = LightType::tasmota;
    tas.topic = "bedroom";
    LightSpec g1;
    g1.type = LightType::shelly_gen1;
    g1.topic = "shellies/bulb";
    LightSpec rpc;
    rpc.type = LightType::shelly_rpc;
    rpc.topic = "shellyplusdimmer";
    LightSpec tpl;
    tpl.type = LightType::template_;
    tpl.command_topic = "home/bedroom/lamp/cmd";
    tpl.payload_template =
        R"({"level":{brightness_pct},"raw":{brightness_254},"kelvin":{color_temp_k},"mired":{mired},"fade":{transition_s}})";
    s.winddown.lights = {z2m, tas, g1, rpc, tpl};
    p.sleepers.push_back(s);
    SleeperParams b;
    b.id = "sam";
    p.sleepers.push_back(b);
    return p;
}

LightCommand dim(std::size_t light) {
    LightCommand c;
    c.light = light;
    c.on = true;
    c.brightness_pct = 20;
    c.color_temp_k = 2200;
    c.transition_s = 30;
    return c;
}

}  // namespace

TEST_CASE("events render byte for byte", "[render][golden]") {
    CHECK(render_event(twitch(), CET) == golden("event_twitch.json"));
    MovementEvent plm;
    plm.type = MovementType::plm_series;
    plm.start = 1764107100;
    plm.duration_s = 312.5;
    plm.peak_g = 0.0412;
    plm.phase = Phase::asleep;
    plm.count = 6;
    plm.end = 1764107412.5;
    CHECK(render_event(plm, CET) == golden("event_plm_series.json"));
}

TEST_CASE("state, night, advice and wind-down render byte for byte", "[render][golden]") {
    CHECK(render_state(LiveState{Phase::settling, 1764105000, TonightCounts{3, 5, 2, 1}}, CET) == golden("state.json"));
    // Before any reading the phase has no start time.
    CHECK(render_state(LiveState{}, CET) ==
          R"({"phase":"out_of_bed","since":null,"tonight":{"onset_twitches":0,"twitches":0,"limb_movements":0,"large_movements":0}})");
    CHECK(render_night(full_night(), CET) == golden("night.json"));

    NightSummary open;
    open.night = "2025-11-26";
    open.in_bed = 1764104400;
    open.sensor_resolution = "coarse vibration (≤1/min)";
    open.coverage = 0.5;
    CHECK(render_night(open, CET) == golden("night_open.json"));

    Advice a;
    a.generated = 1764140400;
    a.nights = 14;
    a.items.push_back(AdviceItem{"caffeine", 1,
                                 "On nights after caffeine within 6 h of bed you had more sleep starts. Try an earlier "
                                 "last coffee.",
                                 {{"nights_with", std::int64_t{5}},
                                  {"nights_without", std::int64_t{9}},
                                  {"ratio", 1.83333},
                                  {"late_cutoff_h", 6.0},
                                  {"significant", true},
                                  {"window", std::string("14:00")}}});
    a.items.push_back(AdviceItem{"reassurance", 3, "Sleep starts are common and usually harmless.", {}});
    CHECK(render_advice(a, CET) == golden("advice.json"));

    WinddownTrigger w;
    w.stage = Stage::dim_lights;
    w.at = 1764103500;
    w.bedtime = 1764108000;
    w.after_heavy_night = true;
    w.reason = "dimming starts 30 min earlier after a twitch-heavy night";
    w.extra = {{"dim_to_pct", 20.0}, {"fade_min", std::int64_t{60}}, {"stage", std::string("shadowed")}};
    CHECK(render_winddown(w, CET) == golden("winddown_dim_lights.json"));
    CHECK(render_winddown_next(WinddownNext{Stage::relax, 1764106200}, CET) == golden("winddown_next.json"));
}

TEST_CASE("the renderer picks topics, retain flags and QoS per contract §4", "[render]") {
    const PluginParams p = params_with_lights();
    Renderer r("hypnic", p, CET);
    std::vector<Publication> pubs;
    r.render(Output{0, twitch()}, 1764106864, pubs);
    r.render(Output{1, LiveState{}}, 1764106864, pubs);
    r.render(Output{0, full_night()}, 1764106864, pubs);
    r.render(Output{0, Advice{}}, 1764106864, pubs);
    r.render(Output{1, WinddownTrigger{}}, 1764106864, pubs);
    r.render(Output{0, WinddownNext{}}, 1764106864, pubs);
    REQUIRE(pubs.size() == 6);
    const std::vector<std::pair<std::string, bool>> want = {
        {"hypnic/alex/event", false},  {"hypnic/sam/state", true},     {"hypnic/alex/night", true},
        {"hypnic/alex/advice", true},  {"hypnic/sam/winddown", false}, {"hypnic/alex/winddown/next", true}};
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO(pubs[i].topic);
        CHECK(pubs[i].topic == want[i].first);
        CHECK(pubs[i].retain == want[i].second);
        CHECK(pubs[i].qos == 1);
        CHECK(pubs[i].ts == 1764106864);
        CHECK_NOTHROW(boost::json::parse(pubs[i].payload));
    }
    CHECK(pubs[0].payload == golden("event_twitch.json"));

    // Unknown sleeper or light index: nothing, and no crash.
    pubs.clear();
    r.render(Output{7, twitch()}, 1, pubs);
    r.render(Output{0, dim(99)}, 1, pubs);
    r.render(Output{1, dim(0)}, 1, pubs);
    CHECK(pubs.empty());
}

TEST_CASE("light commands are rendered per protocol and never retained", "[render][lights]") {
    const PluginParams p = params_with_lights();
    Renderer r("hypnic", p, CET);
    std::vector<Publication> pubs;
    for (std::size_t i = 0; i < 5; ++i) r.render(Output{0, dim(i)}, 1764103500, pubs);
    REQUIRE(pubs.size() == 6);
    for (const Publication& pub : pubs) {
        CHECK_FALSE(pub.retain);
        CHECK(pub.qos == 1);
    }
    CHECK(pubs[0].topic == "zigbee2mqtt/bedroom_light/set");
    CHECK(pubs[0].payload == golden("light_z2m_set.json"));
    CHECK(pubs[1].topic == "cmnd/bedroom/CT");
    CHECK(pubs[1].payload == "455");
    CHECK(pubs[2].topic == "cmnd/bedroom/Dimmer");
    CHECK(pubs[2].payload == "20");
    CHECK(pubs[3].topic == "shellies/bulb/light/0/set");
    CHECK(pubs[3].payload == golden("light_shelly_gen1.json"));
    CHECK(pubs[4].topic == "shellyplusdimmer/rpc");
    CHECK(pubs[4].payload == golden("light_shelly_rpc.json"));
    CHECK(pubs[5].topic == "home/bedroom/lamp/cmd");
    CHECK(pubs[5].payload == golden("light_template.json"));

    // The RPC id counts up, so the device's replies can be told apart.
    pubs.clear();
    r.render(Output{0, dim(3)}, 1764103560, pubs);
    REQUIRE(pubs.size() == 1);
    CHECK(boost::json::parse(pubs[0].payload).at("id").as_int64() == 2);
}

TEST_CASE("light commands: off, clamping and missing values", "[render][lights]") {
    const PluginParams p = params_with_lights();
    const auto& L = p.sleepers[0].winddown.lights;
    LightCommand off;
    off.on = false;
    off.transition_s = 2.5;
    CHECK(render_light_command(off, L[0], 1, 0).at(0).payload == golden("light_z2m_off.json"));
    const auto tas_off = render_light_command(off, L[1], 1, 0);
    REQUIRE(tas_off.size() == 1);
    CHECK(tas_off[0].topic == "cmnd/bedroom/Power");
    CHECK(tas_off[0].payload == "OFF");
    CHECK(render_light_command(off, L[2], 1, 0).at(0).payload == R"({"turn":"off","transition":2500})");
    CHECK(render_light_command(off, L[3], 1, 9).at(0).payload ==
          R"({"id":9,"src":"hypnic","method":"Light.Set","params":{"id":0,"on":false,"transition_duration":2.5}})");
    CHECK(render_light_command(off, L[4], 1, 0).at(0).payload ==
          R"({"level":0,"raw":0,"kelvin":null,"mired":null,"fade":2.5})");

    LightCommand wild;
    wild.brightness_pct = 180;
    wild.color_temp_k = 10000;  // 100 mired: below Tasmota's 153
    wild.transition_s = std::numeric_limits<double>::quiet_NaN();
    CHECK(render_light_command(wild, L[0], 1, 0).at(0).payload == R"({"state":"ON","brightness":254,"color_temp":100})");
    const auto tas = render_light_command(wild, L[1], 1, 0);
    REQUIRE(tas.size() == 2);
    CHECK(tas[0].payload == "153");
    CHECK(tas[1].payload == "100");

    LightCommand on_only;
    on_only.transition_s = 0;
    CHECK(render_light_command(on_only, L[0], 1, 0).at(0).payload == R"({"state":"ON"})");
    const auto tas_on = render_light_command(on_only, L[1], 1, 0);
    REQUIRE(tas_on.size() == 1);
    CHECK(tas_on[0].topic == "cmnd/bedroom/Power");
    CHECK(tas_on[0].payload == "ON");
}
