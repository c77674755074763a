// The settings Home Assistant changes: the retained JSON and hostile `set/<name>` commands.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "adapters/homeassistant/entities.hpp"
#include "adapters/homeassistant/settings.hpp"

using namespace hypnic::ha;

TEST_CASE("settings render as the documented retained JSON", "[homeassistant]") {
    CHECK(render_settings(WinddownSettings{}) ==
          R"({"winddown":true,"winddown_profile":"adaptive","caffeine_cutoff_h":8})");
    WinddownSettings s;
    s.winddown = false;
    s.profile = "reminders_only";
    s.caffeine_cutoff_h = 9.5;
    const auto doc = boost::json::parse(render_settings(s));
    CHECK(doc.at("winddown") == false);
    CHECK(doc.at("winddown_profile") == "reminders_only");
    CHECK(doc.at("caffeine_cutoff_h").to_number<double>() == 9.5);
}

TEST_CASE("valid commands change exactly one setting", "[homeassistant]") {
    const WinddownSettings now;
    auto r = apply_setting_command(now, "winddown", "OFF", false);
    REQUIRE(r.settings);
    CHECK_FALSE(r.settings->winddown);
    CHECK(r.settings->profile == now.profile);
    CHECK(apply_setting_command(*r.settings, "winddown", " on\n", false).settings->winddown);
    for (std::string_view p : WINDDOWN_PROFILES) {
        r = apply_setting_command(now, "winddown_profile", p, false);
        REQUIRE(r.settings);
        CHECK(r.settings->profile == p);
        CHECK(r.settings->caffeine_cutoff_h == now.caffeine_cutoff_h);
    }
    r = apply_setting_command(now, "caffeine_cutoff_h", "6.5", false);
    REQUIRE(r.settings);
    CHECK(r.settings->caffeine_cutoff_h == 6.5);
    CHECK(apply_setting_command(now, "caffeine_cutoff_h", "0", false).settings->caffeine_cutoff_h == 0);
    CHECK(apply_setting_command(now, "caffeine_cutoff_h", "16", false).settings->caffeine_cutoff_h == 16);
}

TEST_CASE("hostile commands are refused with the setting and the reason", "[homeassistant]") {
    const WinddownSettings now;
    struct Case {
        std::string name, payload;
        bool retained;
        std::string expect;
        std::string reason;
    };
    const std::vector<Case> cases = {
        {"winddown", "ON", true, "retained command ignored", "retained"},
        {"winddown", "", false, "is not ON or OFF", "format"},
        {"winddown", "1", false, "is not ON or OFF", "format"},
        {"winddown", "ONN", false, "is not ON or OFF", "format"},
        {"winddown", std::string("O\0N", 3), false, "is not ON or OFF", "format"},
        {"winddown_profile", "Adaptive", false, "is not adaptive", "format"},
        {"winddown_profile", "", false, "is not adaptive", "format"},
        {"winddown_profile", "\xff\xfe", false, "is not adaptive", "format"},
        {"caffeine_cutoff_h", "", false, "is not a number", "format"},
        {"caffeine_cutoff_h", "abc", false, "is not a number", "format"},
        {"caffeine_cutoff_h", "8h", false, "is not a number", "format"},
        {"caffeine_cutoff_h", "nan", false, "is not a number", "format"},
        {"caffeine_cutoff_h", "inf", false, "is not a number", "format"},
        {"caffeine_cutoff_h", "1e400", false, "is not a number", "format"},
        {"caffeine_cutoff_h", "-0.5", false, "outside 0..16", "range"},
        {"caffeine_cutoff_h", "16.01", false, "outside 0..16", "range"},
        {"caffeine_cutoff_h", std::string(65, '1'), false, "longer than 64", "too_large"},
        {"bedtime", "22:00", false, "unknown setting", "topic"},
        {"", "ON", false, "unknown setting", "topic"},
        {"winddown/#", "ON", false, "unknown setting", "topic"},
    };
    for (const auto& c : cases) {
        INFO(c.name << " <- " << c.payload);
        const auto r = apply_setting_command(now, c.name, c.payload, c.retained);
        CHECK_FALSE(r.settings);
        CHECK(r.error.find(c.expect) != std::string::npos);
        CHECK(r.error.rfind("setting \"", 0) == 0);
        CHECK(r.reason == c.reason);
    }
}
