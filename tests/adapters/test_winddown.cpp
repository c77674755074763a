// The wind-down with real IANA zones across DST, and its light-state and pause routing through the pipeline.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "adapters/decoders/registry.hpp"
#include "adapters/pipeline.hpp"
#include "adapters/tz.hpp"
#include "plugin/winddown/winddown.hpp"

using namespace hypnic;
using namespace hypnic::winddown;

namespace {

LocalDate ymd(int y, unsigned m, unsigned d) { return LocalDate{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)}; }
LocalDate plus_days(LocalDate d, int n) { return LocalDate{std::chrono::sys_days(d) + std::chrono::days(n)}; }

struct DstCase {
    const char* zone;
    LocalDate spring;
    LocalDate autumn;
};
const DstCase CASES[] = {{"Europe/Berlin", ymd(2026, 3, 29), ymd(2026, 10, 25)},
                         {"America/New_York", ymd(2026, 3, 8), ymd(2026, 11, 1)}};

// Local clock time of each stage with the default plan (bedtime 22:30).
constexpr std::array<int, 5> DEFAULT_LOCAL_S = {14 * 3600 + 1800, 19 * 3600 + 1800, 21 * 3600 + 1800, 22 * 3600,
                                                22 * 3600 + 1800};

std::vector<WinddownTrigger> triggers_of(const std::vector<OutputBody>& out) {
    std::vector<WinddownTrigger> v;
    for (const auto& b : out)
        if (const auto* t = std::get_if<WinddownTrigger>(&b)) v.push_back(*t);
    return v;
}

}  // namespace

TEST_CASE("every stage keeps its local clock time across both DST changes", "[winddown][dst]") {
    for (const DstCase& c : CASES) {
        const auto zone = make_zone(c.zone);
        for (const LocalDate change : {c.spring, c.autumn}) {
            for (int d = -2; d <= 2; ++d) {
                const LocalDate e = plus_days(change, d);
                const EveningPlan plan = plan_evening(WinddownParams{}, WinddownSettings{}, {}, e, *zone);
                INFO(c.zone << " " << format_date(e));
                for (std::size_t i = 0; i < 5; ++i) {
                    CHECK(local_date(plan.at[i], *zone) == e);
                    CHECK(local_seconds_of_day(plan.at[i], *zone) == DEFAULT_LOCAL_S[i]);
                }
            }
        }
    }
}

TEST_CASE("a stage in the spring gap fires at the first instant after it, in the repeated hour once", "[winddown][dst]") {
    WinddownParams p;
    p.bedtime = "02:30";  // the night's lights-out falls into the changes' hour
    for (const DstCase& c : CASES) {
        const auto zone = make_zone(c.zone);
        INFO(c.zone);
        const EveningPlan spring = plan_evening(p, WinddownSettings{}, {}, plus_days(c.spring, -1), *zone);
        // 02:30 does not exist that night: the first valid instant after the gap is 03:00.
        CHECK(local_date(spring.bedtime, *zone) == c.spring);
        CHECK(local_seconds_of_day(spring.bedtime, *zone) == 3 * 3600);
        const EveningPlan autumn = plan_evening(p, WinddownSettings{}, {}, plus_days(c.autumn, -1), *zone);
        // 02:30 happens twice (in New York 01:30 does; 02:30 once): the earlier instant.
        CHECK(local_seconds_of_day(autumn.bedtime, *zone) == 2 * 3600 + 1800);
        CHECK(zone->to_instant(c.autumn, 2 * 3600 + 1800) == autumn.bedtime);

        // Running the scheduler over the change: lights-out once, at that instant.
        MemoryHistory history;
        SleeperParams sp;
        sp.id = "alex";
        sp.winddown = p;
        Winddown w(sp, *zone, history);
        std::vector<OutputBody> out;
        const UnixS from = zone->to_instant(plus_days(c.autumn, -1), 12 * 3600);
        const UnixS to = zone->to_instant(plus_days(c.autumn, 1), 12 * 3600);
        w.on_time(from, out);
        for (int guard = 0; guard < 1000 && w.next_wakeup() <= to; ++guard) w.on_time(w.next_wakeup(), out);
        w.on_time(to, out);
        std::vector<UnixS> outs;
        for (const auto& t : triggers_of(out))
            if (t.stage == Stage::lights_out) outs.push_back(t.at);
        REQUIRE(outs.size() == 2);
        CHECK(outs[0] == autumn.bedtime);
    }
}

TEST_CASE("ten days over a DST change: each stage once a day at its local time", "[winddown][dst]") {
    for (const DstCase& c : CASES)
        for (const LocalDate change : {c.spring, c.autumn}) {
            const auto zone = make_zone(c.zone);
            MemoryHistory history;
            SleeperParams sp;
            sp.id = "alex";
            Winddown w(sp, *zone, history);
            std::vector<OutputBody> out;
            const LocalDate first = plus_days(change, -5);
            // Coarse ticks (every 7 minutes) as well as exact wake-ups: the daemon's capped timer.
            const UnixS from = zone->to_instant(first, 12 * 3600);
            const UnixS to = zone->to_instant(plus_days(first, 10), 12 * 3600);
            for (UnixS t = from; t <= to; t += 420) {
                while (w.next_wakeup() <= t) w.on_time(w.next_wakeup(), out);
                w.on_time(t, out);
            }
            const auto trig = triggers_of(out);
            INFO(c.zone << " around " << format_date(change));
            REQUIRE(trig.size() == 50);
            for (std::size_t i = 0; i < SCHEDULED.size(); ++i) {
                std::vector<LocalDate> days;
                for (const auto& t : trig)
                    if (t.stage == SCHEDULED[i]) {
                        CHECK(local_seconds_of_day(t.at, *zone) == DEFAULT_LOCAL_S[i]);
                        days.push_back(local_date(t.at, *zone));
                    }
                REQUIRE(days.size() == 10);
                for (int d = 0; d < 10; ++d) CHECK(days[static_cast<std::size_t>(d)] == plus_days(first, d));
            }
        }
}

namespace {

LightSpec light(LightType t, std::string topic, int channel = 0) {
    LightSpec l;
    l.type = t;
    l.topic = std::move(topic);
    l.channel = channel;
    return l;
}

struct Lights {
    MqttOptions mqtt;
    FixedZone zone{0};
    MemoryHistory history;
    std::unique_ptr<Pipeline> pipe;
    std::vector<Publication> out;

    Lights() {
        mqtt.base_topic = "hypnic";
        PluginParams p;
        SleeperParams s;
        s.id = "alex";
        s.winddown.lights = {light(LightType::zigbee2mqtt, "zigbee2mqtt/bedroom"), light(LightType::tasmota, "lamp"),
                             light(LightType::shelly_gen1, "shellies/dimmer", 1),
                             light(LightType::shelly_rpc, "shellyplus-bed", 0)};
        s.winddown.pause_topic = "home/guest_mode";
        p.sleepers = {s};
        pipe = std::make_unique<Pipeline>(mqtt, p, zone, history);
    }
    std::optional<Rejection> send(std::string_view topic, std::string_view payload, UnixS t) {
        return pipe->on_message(topic, payload, t, out);
    }
    void run(UnixS from, UnixS to) {
        pipe->on_time(from, out);
        while (pipe->next_wakeup() <= to) pipe->on_time(pipe->next_wakeup(), out);
        pipe->on_time(to, out);
    }
    std::vector<Publication> on(const std::string& prefix) const {
        std::vector<Publication> v;
        for (const auto& p : out)
            if (p.topic.rfind(prefix, 0) == 0) v.push_back(p);
        return v;
    }
};

// 2026-11-23 00:00 UTC.
constexpr UnixS DAY = 1795392000;

}  // namespace

TEST_CASE("the pipeline subscribes to each light's state topic and the pause topic", "[winddown][pipeline]") {
    Lights l;
    const auto subs = l.pipe->subscriptions();
    for (const char* t : {"zigbee2mqtt/bedroom", "stat/lamp/RESULT", "tele/lamp/STATE", "shellies/dimmer/light/1/status",
                          "shellyplus-bed/status/light:0", "home/guest_mode"}) {
        INFO(t);
        CHECK(std::count(subs.begin(), subs.end(), std::string(t)) == 1);
    }
}

TEST_CASE("fade commands per protocol, never retained, and a hand on one light stops only its fade", "[winddown][pipeline]") {
    Lights l;
    l.run(DAY + 12 * 3600, DAY + 21 * 3600);
    // Known levels before the fade: the Shelly Gen1 at 40 %, the z2m light at 254/254.
    CHECK_FALSE(l.send("shellies/dimmer/light/1/status", R"({"ison":true,"mode":"white","brightness":40,"transition":0})",
                       DAY + 21 * 3600 + 60));
    CHECK_FALSE(l.send("zigbee2mqtt/bedroom", R"({"state":"ON","brightness":254,"color_temp":250})", DAY + 21 * 3600 + 60));
    l.run(DAY + 21 * 3600 + 60, DAY + 21 * 3600 + 1800);  // 21:30: the first step
    const auto z = l.on("zigbee2mqtt/bedroom/set");
    const auto tas = l.on("cmnd/lamp/");
    const auto sg1 = l.on("shellies/dimmer/light/1/set");
    const auto rpc = l.on("shellyplus-bed/rpc");
    REQUIRE(z.size() == 1);
    // 100 % → 20 % over 30 steps: the first step is 97.33 %, 247/254, at 2200 K (455 mired), gliding 60 s.
    CHECK(z[0].payload == R"({"state":"ON","brightness":247,"color_temp":455,"transition":60})");
    REQUIRE(tas.size() == 2);
    CHECK(tas[0].topic == "cmnd/lamp/CT");
    CHECK(tas[0].payload == "455");
    CHECK(tas[1].topic == "cmnd/lamp/Dimmer");
    CHECK(tas[1].payload == "97");
    REQUIRE(sg1.size() == 1);
    CHECK(sg1[0].payload == R"({"turn":"on","brightness":39,"transition":5000})");  // 40 → 20 %, capped 5 s
    REQUIRE(rpc.size() == 1);
    CHECK(rpc[0].payload ==
          R"({"id":1,"src":"hypnic","method":"Light.Set","params":{"id":0,"on":true,"brightness":97,"transition_duration":60}})");
    for (const auto& p : l.out) CHECK_FALSE((p.topic.find("/set") != std::string::npos && p.retain));

    // Someone turns the Shelly up by hand; the others go on to the end.
    CHECK_FALSE(l.send("shellies/dimmer/light/1/status", R"({"ison":true,"brightness":80})", DAY + 21 * 3600 + 1830));
    l.run(DAY + 21 * 3600 + 1830, DAY + 23 * 3600);
    CHECK(l.on("shellies/dimmer/light/1/set").size() == 1);
    const auto z_all = l.on("zigbee2mqtt/bedroom/set");
    REQUIRE(z_all.size() == 30);
    CHECK(z_all.back().payload == R"({"state":"ON","brightness":51,"color_temp":455,"transition":60})");
    CHECK(l.on("cmnd/lamp/Dimmer").back().payload == "20");
    for (const auto& p : l.on("hypnic/alex/winddown")) CHECK((p.topic == "hypnic/alex/winddown/next") == p.retain);
}

TEST_CASE("the pause topic silences triggers and fades, and a bad state payload is rejected", "[winddown][pipeline]") {
    Lights l;
    l.run(DAY + 12 * 3600, DAY + 21 * 3600 + 1800 + 300);  // five minutes into the fade
    const std::size_t steps = l.on("zigbee2mqtt/bedroom/set").size();
    CHECK(steps == 6);
    CHECK_FALSE(l.send("home/guest_mode", "ON", DAY + 21 * 3600 + 1800 + 310));
    l.run(DAY + 21 * 3600 + 1800 + 310, DAY + 23 * 3600);
    CHECK(l.on("zigbee2mqtt/bedroom/set").size() == steps);
    std::size_t relax = 0;
    for (const auto& p : l.on("hypnic/alex/winddown"))
        if (p.topic == "hypnic/alex/winddown" && p.payload.find("\"relax\"") != std::string::npos) ++relax;
    CHECK(relax == 0);
    const auto rej = l.send("home/guest_mode", "perhaps", DAY + 23 * 3600 + 1);
    REQUIRE(rej);
    CHECK(rej->reason == "format");
    const auto rej2 = l.send("shellyplus-bed/status/light:0", R"({"id":0,"output":true,"brightness":140})", DAY + 23 * 3600 + 2);
    REQUIRE(rej2);
    CHECK(rej2->reason == "range");
}

TEST_CASE("Shelly status objects decode as light states; hostile ones are refused", "[winddown][decoder]") {
    SensorSpec spec;
    spec.kind = SensorKind::lights;
    spec.format = "json";
    auto r = decode_payload(spec, R"({"ison":true,"brightness":40})", 5);
    REQUIRE(r.ok());
    REQUIRE(r.readings.size() == 1);
    CHECK(std::get<LightReading>(r.readings[0]).on);
    CHECK(*std::get<LightReading>(r.readings[0]).brightness_pct == Approx(40));
    r = decode_payload(spec, R"({"id":0,"source":"button","output":false,"brightness":70})", 5);
    REQUIRE(r.ok());
    CHECK_FALSE(std::get<LightReading>(r.readings[0]).on);
    CHECK_FALSE(std::get<LightReading>(r.readings[0]).brightness_pct);
    for (const char* bad : {R"({"ison":"sideways"})", R"({"output":true,"brightness":-1})", R"({"ison":true,"brightness":"x"})",
                            R"({"ison":true,"brightness":1e999})", R"({"ison":)"}) {
        INFO(bad);
        CHECK_FALSE(decode_payload(spec, bad, 5).ok());
    }
    // A zigbee2mqtt brightness stays on its 0..254 scale.
    r = decode_payload(spec, R"({"state":"ON","brightness":127})", 5);
    CHECK(*std::get<LightReading>(r.readings[0]).brightness_pct == Approx(50).epsilon(0.01));
}
