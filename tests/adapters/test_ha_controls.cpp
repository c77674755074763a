// Home Assistant controls through the pipeline: every button, switch, select and number of the entity table acts.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "adapters/homeassistant/entities.hpp"
#include "adapters/homeassistant/settings.hpp"
#include "adapters/pipeline.hpp"

using namespace hypnic;
using namespace hypnic::ha;

namespace {

constexpr UnixS T0 = 1764104400;  // 2025-11-25 22:00 CET

PluginParams alex_and_sam() {
    PluginParams p;
    p.base_topic = "hypnic";
    for (const char* id : {"alex", "sam"}) {
        SleeperParams s;
        s.id = id;
        SensorSpec presence;
        presence.kind = SensorKind::presence;
        presence.topic = std::string("bed/") + id + "/presence";
        presence.format = "plain";
        s.sensors = {presence};
        p.sleepers.push_back(s);
    }
    return p;
}

struct Fixture {
    MqttOptions mqtt;
    FixedZone zone{3600, "CET"};
    MemoryHistory history;
    Pipeline pipe;
    std::vector<Publication> out;

    Fixture() : mqtt(options()), pipe(mqtt, alex_and_sam(), zone, history) {}
    static MqttOptions options() {
        MqttOptions m;
        m.base_topic = "hypnic";
        return m;
    }
    std::optional<Rejection> send(const std::string& topic, std::string_view payload, bool retained = false) {
        out.clear();
        return pipe.on_message(topic, payload, T0, out, retained);
    }
    // The settings publication among `out`, parsed; null when there is none.
    boost::json::value published_settings(const std::string& sleeper) const {
        for (const Publication& p : out)
            if (p.topic == "hypnic/" + sleeper + "/settings") {
                CHECK(p.retain);
                return boost::json::parse(p.payload);
            }
        return nullptr;
    }
    std::uint64_t rejected(const std::string& topic, const std::string& reason) const {
        const auto& m = pipe.rejects().by_topic_reason;
        const auto it = m.find({topic, reason});
        return it == m.end() ? 0 : it->second;
    }
};

const EntitySpec& row(std::string_view object_id) {
    for (const EntitySpec& r : entity_table())
        if (r.object_id == object_id) return r;
    FAIL("no row " << object_id);
    throw;
}

}  // namespace

TEST_CASE("the pipeline subscribes to the command topics of the controls", "[homeassistant][controls]") {
    Fixture f;
    const auto subs = f.pipe.subscriptions();
    CHECK(std::count(subs.begin(), subs.end(), "hypnic/+/set/+") == 1);
    CHECK(std::count(subs.begin(), subs.end(), "hypnic/+/log/+") == 1);
    // Every command topic of the table falls under one of them.
    for (const EntitySpec& r : entity_table()) {
        if (r.command_suffix.empty()) continue;
        INFO(r.object_id << " -> " << r.command_suffix);
        const bool covered = r.command_suffix.rfind("set/", 0) == 0 || r.command_suffix.rfind("log/", 0) == 0;
        CHECK(covered);
        CHECK(std::count(r.command_suffix.begin(), r.command_suffix.end(), '/') == 1);
    }
}

TEST_CASE("the switch, the select and the number change the settings and publish them", "[homeassistant][controls]") {
    Fixture f;
    const EntitySpec& sw = row("winddown");
    const std::string sw_topic = sleeper_topic("hypnic", "alex", sw.command_suffix);

    REQUIRE_FALSE(f.send(sw_topic, sw.payload_off));
    auto s = f.published_settings("alex");
    REQUIRE(s.is_object());
    CHECK(s.at("winddown") == false);
    CHECK_FALSE(f.pipe.plugin().winddown_settings(0).winddown);
    CHECK(f.pipe.plugin().winddown_settings(1).winddown);  // sam is untouched
    CHECK(f.published_settings("sam").is_null());

    REQUIRE_FALSE(f.send(sw_topic, sw.payload_on));
    CHECK(f.published_settings("alex").at("winddown") == true);

    const EntitySpec& sel = row("winddown_profile");
    REQUIRE_FALSE(sel.options.empty());
    for (const std::string& option : sel.options) {
        INFO(option);
        REQUIRE_FALSE(f.send(sleeper_topic("hypnic", "sam", sel.command_suffix), option));
        CHECK(f.published_settings("sam").at("winddown_profile") == boost::json::value(option));
        CHECK(f.pipe.plugin().winddown_settings(1).profile == option);
    }

    const EntitySpec& num = row("caffeine_cutoff");
    REQUIRE(num.min);
    REQUIRE(num.max);
    for (double h : {*num.min, *num.max, 6.5}) {
        INFO(h);
        REQUIRE_FALSE(f.send(sleeper_topic("hypnic", "alex", num.command_suffix), std::to_string(h)));
        CHECK(f.published_settings("alex").at("caffeine_cutoff_h").to_number<double>() == h);
        CHECK(f.pipe.plugin().winddown_settings(0).caffeine_cutoff_h == h);
    }
    // The other settings stayed as they were.
    CHECK(f.pipe.plugin().winddown_settings(0).winddown);
    CHECK(f.pipe.rejects().total == 0);
}

TEST_CASE("a retained command is refused and counted, and changes nothing", "[homeassistant][controls]") {
    Fixture f;
    const WinddownSettings before = f.pipe.plugin().winddown_settings(0);
    const std::string topic = "hypnic/alex/set/winddown";
    auto r = f.send(topic, "OFF", true);
    REQUIRE(r);
    CHECK(r->reason == "retained");
    CHECK(r->topic == topic);
    CHECK(r->detail.find("retained command ignored") != std::string::npos);
    CHECK(f.out.empty());
    CHECK(f.pipe.plugin().winddown_settings(0).winddown == before.winddown);
    CHECK(f.rejected(topic, "retained") == 1);
    // The same command live is taken.
    CHECK_FALSE(f.send(topic, "OFF", false));
    CHECK_FALSE(f.pipe.plugin().winddown_settings(0).winddown);
}

TEST_CASE("hostile commands are refused with a reason and leave the settings alone", "[homeassistant][controls]") {
    Fixture f;
    const auto before = f.pipe.plugin().winddown_settings(0);
    struct Case {
        std::string topic, payload, reason, detail;
    };
    const std::vector<Case> cases = {
        {"hypnic/alex/set/winddown", "maybe", "format", "is not ON or OFF"},
        {"hypnic/alex/set/winddown", "", "format", "is not ON or OFF"},
        {"hypnic/alex/set/winddown_profile", "ADAPTIVE", "format", "is not adaptive"},
        {"hypnic/alex/set/caffeine_cutoff_h", "17", "range", "outside 0..16"},
        {"hypnic/alex/set/caffeine_cutoff_h", "-1", "range", "outside 0..16"},
        {"hypnic/alex/set/caffeine_cutoff_h", "NaN", "format", "is not a number"},
        {"hypnic/alex/set/caffeine_cutoff_h", std::string(100, '9'), "too_large", "longer than 64"},
        {"hypnic/alex/set/bedtime", "22:00", "topic", "unknown setting"},
        {"hypnic/alex/set/", "ON", "topic", "unknown setting"},
        {"hypnic/alex/set/winddown/extra", "ON", "topic", "unknown setting"},
        {"hypnic/bob/set/winddown", "ON", "topic", "\"bob\", which is not configured"},
        {"hypnic//set/winddown", "ON", "topic", "which is not configured"},
    };
    for (const Case& c : cases) {
        INFO(c.topic << " <- " << c.payload.substr(0, 20));
        const auto r = f.send(c.topic, c.payload);
        REQUIRE(r);
        CHECK(r->reason == c.reason);
        CHECK(r->detail.find(c.detail) != std::string::npos);
        CHECK(f.out.empty());
    }
    const auto after = f.pipe.plugin().winddown_settings(0);
    CHECK(after.winddown == before.winddown);
    CHECK(after.profile == before.profile);
    CHECK(after.caffeine_cutoff_h == before.caffeine_cutoff_h);
    CHECK(f.pipe.rejects().total == cases.size());
    // Topics that only look alike are not commands.
    const auto r = f.send("other/alex/set/winddown", "OFF");
    REQUIRE(r);
    CHECK(r->detail.find("no sensor, log or setting topic") != std::string::npos);
}

TEST_CASE("every button logs its factor now, with its own payload or Home Assistant's PRESS", "[homeassistant][controls]") {
    Fixture f;
    std::size_t buttons = 0;
    UnixS t = T0;
    for (const EntitySpec& r : entity_table()) {
        if (r.platform != Platform::button) continue;
        ++buttons;
        INFO(r.object_id);
        REQUIRE(r.payload_press);
        const std::string topic = sleeper_topic("hypnic", "alex", r.command_suffix);
        const std::string factor_name = r.command_suffix.substr(std::string("log/").size());
        const auto factor = factor_from_string(factor_name);
        REQUIRE(factor);
        for (const std::string& payload : {*r.payload_press, std::string("PRESS")}) {
            t += 60;
            f.out.clear();
            REQUIRE_FALSE(f.pipe.on_message(topic, payload, t, f.out));
        }
        const auto logs = f.history.factors_between("alex", T0, t + 1);
        std::size_t mine = 0;
        for (const FactorLog& l : logs) {
            if (l.factor != *factor) continue;
            ++mine;
            CHECK(l.amount == 1);
            CHECK(l.t > T0);
            CHECK(l.t <= t);
        }
        CHECK(mine == 2);
    }
    CHECK(buttons == ALL_FACTORS.size());
    CHECK(f.history.factors_between("sam", T0, t + 1).empty());
}
