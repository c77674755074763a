// Sleep starts after a premature onset: the onset and its window follow twitches that come just
// after the window closed, or a burst of them however long the stillness before it, but never a
// twitch deep in the night.
#include <catch2/catch.hpp>

#include "test_night_fixture.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {

/// In bed 22:00, lights out 22:10, restless until 22:20 (so five still minutes give an onset at
/// about 22:21 and a window to about 22:26), then still; the given twitches; out of bed at 01:00.
NightSummary night_with_twitches(const std::vector<UnixS>& twitches, UnixS restless_until = at(22, 20)) {
    Bedroom room;
    room.add_accel(at(21, 55), at(1, 0, 0, 1));
    AccelStream& accel = room.streams.back();
    const std::size_t presence = room.add_sensor(SensorKind::presence);
    const std::size_t lights = room.add_sensor(SensorKind::lights);
    restless(accel, at(22, 0), restless_until);
    for (UnixS t : twitches) accel.bursts.push_back(twitch_at(t));
    room.presence(presence, at(22, 0), true);
    room.presence(presence, at(0, 59, 50, 1), false);
    room.light(lights, at(21, 50), true);
    room.light(lights, at(22, 10), false);
    room.run(at(1, 40, 0, 1));
    const auto nights = room.outputs<NightSummary>();
    REQUIRE(nights.size() == 1);
    return nights[0];
}

}  // namespace

TEST_CASE("a burst of sleep starts soon after the onset window closed moves the onset to it", "[plugin][night]") {
    const NightSummary s = night_with_twitches({at(22, 32, 0), at(22, 32, 40), at(23, 40, 0)});
    REQUIRE(s.sleep_onset);
    // The window after the still-minutes onset ended near 22:26; 22:32 is within 10 minutes of it,
    // so the onset moves there, and 22:32:40 then lies inside the new window.
    CHECK(std::abs(*s.sleep_onset - at(22, 32, 0)) <= 2);
    CHECK(s.onset_twitches == 2);
    CHECK(s.twitches == 3);
    REQUIRE(s.onset_latency_min);
    CHECK(*s.onset_latency_min == Approx((*s.sleep_onset - at(22, 10)) / 60.0));
}

TEST_CASE("a twitch long after the onset window does not move the onset", "[plugin][night]") {
    const NightSummary s = night_with_twitches({at(22, 45, 0)});
    REQUIRE(s.sleep_onset);
    CHECK(std::abs(*s.sleep_onset - at(22, 21)) <= 60);
    CHECK(s.onset_twitches == 0);
    CHECK(s.twitches == 1);
}

TEST_CASE("sleep starts never move the onset further than onset_settle_max_min from settling", "[plugin][night]") {
    // A chain of twitches every 8 minutes would walk the onset on for ever without the bound.
    std::vector<UnixS> chain;
    for (int i = 0; i < 12; ++i) chain.push_back(at(22, 30) + i * 8 * 60.0);
    const NightSummary s = night_with_twitches(chain);
    REQUIRE(s.sleep_onset);
    CHECK(*s.sleep_onset <= at(22, 10) + 60 * 60.0);
    CHECK(*s.sleep_onset >= at(22, 30));
}

TEST_CASE("a burst of sleep starts long after a premature onset moves the onset to the burst", "[plugin][night]") {
    // Still from lights-out on: five still minutes give an onset at 22:10 and a window to 22:15.
    // The sleeper was lying awake: the sleep starts come at 22:40. A lone twitch at 23:50 is sleep.
    const NightSummary s = night_with_twitches({at(22, 40, 0), at(22, 41, 10), at(22, 43, 30), at(23, 50, 0)}, at(22, 5));
    REQUIRE(s.sleep_onset);
    CHECK(std::abs(*s.sleep_onset - at(22, 40, 0)) <= 2);
    CHECK(s.onset_twitches == 3);
    CHECK(s.twitches == 4);
    REQUIRE(s.onset_latency_min);
    CHECK(*s.onset_latency_min == Approx(30).margin(0.1));
}

TEST_CASE("a lone twitch long after a premature onset is not a burst and moves nothing", "[plugin][night]") {
    const NightSummary s = night_with_twitches({at(22, 40, 0), at(22, 45, 0)}, at(22, 5));
    REQUIRE(s.sleep_onset);
    CHECK(std::abs(*s.sleep_onset - at(22, 10)) <= 60);
    CHECK(s.onset_twitches == 0);
    CHECK(s.twitches == 2);
}

TEST_CASE("the onset after sleep starts does not depend on when each twitch was published", "[plugin][night]") {
    // Still from lights-out: the onset from still minutes is 22:10 (window to 22:15), found at about
    // 22:17, after the burst at 22:12 but before the twitch at 22:16:55. That twitch is a straggler of
    // the still-minutes onset, so the onset is there, as if every twitch had been known at once,
    // and not at the burst's first twitch (whose window would have held it).
    const NightSummary s = night_with_twitches({at(22, 12, 0), at(22, 13, 0), at(22, 16, 55)}, at(22, 5));
    REQUIRE(s.sleep_onset);
    CHECK(std::abs(*s.sleep_onset - at(22, 16, 55)) <= 2);
    CHECK(s.onset_twitches == 3);
}
