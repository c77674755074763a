// Nights from other sensor mixes: a wearable's activity epochs, a coarse vibration sensor, the light left on.
#include <catch2/catch.hpp>

#include "test_night_fixture.hpp"

using namespace hypnic;
using namespace hypnic::test;

TEST_CASE("a wearable's 60-s activity epochs: Cole-Kripke minutes give the onset", "[plugin][night][sensors]") {
    Bedroom room;
    const auto pres = room.add_sensor(SensorKind::presence);
    const auto act = room.add_sensor(SensorKind::activity);
    room.presence(pres, at(22, 0), true);
    for (UnixS t = at(21, 50); t < at(6, 0, 0, 1); t += 60) {
        const double count = t < at(22, 30) ? 600 : (t > at(5, 50, 0, 1) ? 800 : 0);
        room.at(t + 60, act, ActivityEpochs{t, 60, {count}});
    }
    room.presence(pres, at(6, 0, 0, 1), false);
    room.run(at(7, 0, 0, 1));
    const auto nights = room.outputs<NightSummary>();
    REQUIRE(nights.size() == 1);
    const auto& n = nights[0];
    CHECK(n.sensor_resolution == "epochs 60 s");
    REQUIRE(n.sleep_onset);
    // Cole-Kripke still calls the two minutes after the last active one wake (its look-back).
    CHECK(std::abs(*n.sleep_onset - at(22, 32)) <= 60);
    CHECK(n.coverage > 0.98);
    CHECK(n.twitches == 0);  // epochs cannot show twitches
    CHECK(n.asleep_h == Approx((at(5, 50, 0, 1) - *n.sleep_onset) / 3600.0).margin(0.1));
}

TEST_CASE("a coarse vibration sensor gives restless minutes only", "[plugin][night][sensors]") {
    Bedroom room;
    const auto pres = room.add_sensor(SensorKind::presence);
    const auto vib = room.add_sensor(SensorKind::vibration);
    room.presence(pres, at(22, 0), true);
    for (UnixS t = at(22, 0, 30); t < at(22, 20); t += 60) room.at(t, vib, VibrationReport{t, 5});
    room.at(at(2, 0, 30, 1), vib, VibrationReport{at(2, 0, 30, 1), 5});
    room.presence(pres, at(6, 0, 0, 1), false);
    room.run(at(7, 0, 0, 1));
    const auto nights = room.outputs<NightSummary>();
    REQUIRE(nights.size() == 1);
    const auto& n = nights[0];
    CHECK(n.sensor_resolution == "coarse vibration (\u2264 1 event/min): twitches not countable");
    REQUIRE(n.sleep_onset);
    CHECK(*n.sleep_onset == Approx(at(22, 20)));
    CHECK(n.coverage == Approx(1.0));
    CHECK(room.outputs<MovementEvent>().empty());
    // The onset was known live, not only at closing.
    bool asleep_live = false;
    for (const auto& s : room.outputs<LiveState>()) asleep_live |= s.phase == Phase::asleep;
    CHECK(asleep_live);
}

TEST_CASE("asleep with the light on: a long still stretch still makes a night", "[plugin][night][sensors]") {
    Bedroom room;
    room.add_accel(at(21, 55), at(2, 0, 0, 1));
    const auto pres = room.add_sensor(SensorKind::presence);
    const auto lights = room.add_sensor(SensorKind::lights);
    restless(room.streams[0], at(22, 0), at(22, 20));
    room.light(lights, at(21, 50), true);
    room.presence(pres, at(22, 0), true);
    room.presence(pres, at(1, 59, 0, 1), false);
    room.run(at(2, 40, 0, 1));
    const auto nights = room.outputs<NightSummary>();
    REQUIRE(nights.size() == 1);
    REQUIRE(nights[0].sleep_onset);
    CHECK(std::abs(*nights[0].sleep_onset - at(22, 21)) <= 60);
    CHECK_FALSE(nights[0].lights_out);
}

TEST_CASE("a stay without sleep or shorter than min_in_bed_min is not a night", "[plugin][night][sensors]") {
    Bedroom room;
    room.add_accel(at(21, 55), at(23, 30));
    const auto pres = room.add_sensor(SensorKind::presence);
    restless(room.streams[0], at(22, 0), at(23, 30));  // awake the whole time
    room.presence(pres, at(22, 0), true);
    room.presence(pres, at(23, 25), false);
    room.run(at(0, 30, 0, 1));
    CHECK(room.outputs<NightSummary>().empty());
    CHECK(room.history.recent_nights("alex", 5).empty());
    const auto ph = room.phases();
    REQUIRE_FALSE(ph.empty());
    CHECK(ph.back() == Phase::out_of_bed);
}
