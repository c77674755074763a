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
/// `onset_section_min` sets night.onset_section_min; a fidget stretch [again_from, again_to) after
/// the first one is added when again_to > again_from.
NightSummary night_with_twitches(const std::vector<UnixS>& twitches, UnixS restless_until = at(22, 20),
                                 int onset_section_min = 0, UnixS again_from = 0, UnixS again_to = 0) {
    Bedroom room;
    room.sleeper().night.onset_section_min = onset_section_min;
    room.add_accel(at(21, 55), at(1, 0, 0, 1));
    AccelStream& accel = room.streams.back();
    const std::size_t presence = room.add_sensor(SensorKind::presence);
    const std::size_t lights = room.add_sensor(SensorKind::lights);
    restless(accel, at(22, 0), restless_until);
    if (again_to > again_from) restless(accel, again_from, again_to);
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

TEST_CASE("a sleeper lying still awake before a lone sleep start: the onset is held back to it", "[plugin][night][onset]") {
    // Still from 22:21 (five still minutes: onset 22:21), but the sleep start at 22:24:10 shows the
    // transition was still to come: the onset moves to it and the twitch is an onset twitch.
    const NightSummary s = night_with_twitches({at(22, 24, 10)});
    REQUIRE(s.sleep_onset);
    CHECK(*s.sleep_onset == Approx(at(22, 24, 10)).margin(1));
    CHECK(s.onset_twitches == 1);
    REQUIRE(s.onset_latency_min);
    CHECK(*s.onset_latency_min == Approx(14.2).margin(0.05));
}

TEST_CASE("a night without any sleep start keeps the still-minutes onset", "[plugin][night][onset]") {
    // Nothing marks the transition: the onset is not held back at all, and the night closes.
    const NightSummary s = night_with_twitches({});
    REQUIRE(s.sleep_onset);
    CHECK(std::abs(*s.sleep_onset - at(22, 21)) <= 60);
    CHECK(s.onset_twitches == 0);
}

TEST_CASE("a lone sleep start never moves the onset before lights-out or past the settle bound", "[plugin][night][onset]") {
    // Still from 22:05, before lights-out (22:10): the onset is lights-out at the earliest, and the
    // twitch at 22:12 (2 min into the stillness after lights-out) holds it back to 22:12.
    const NightSummary s = night_with_twitches({at(22, 12, 0)}, at(22, 5));
    REQUIRE(s.sleep_onset);
    CHECK(*s.sleep_onset >= at(22, 10));
    CHECK(*s.sleep_onset == Approx(at(22, 12, 0)).margin(1));
    CHECK(s.onset_twitches == 1);
    REQUIRE(s.out_of_bed);
    CHECK(*s.sleep_onset < *s.out_of_bed);
}

TEST_CASE("onset_section_min: a fidget soon after a still run shows the sleeper was still awake", "[plugin][night][onset]") {
    // Restless until 22:20, still, then one more fidget stretch 22:27-22:29 and still after it.
    // Tudor-Locke's five minutes alone take 22:21; a 10-minute section with at most one moving
    // minute cannot start before the fidgets, so the onset is held back to 22:29.
    const NightSummary s = night_with_twitches({}, at(22, 20), 10, at(22, 27), at(22, 29));
    REQUIRE(s.sleep_onset);
    CHECK(*s.sleep_onset >= at(22, 29));
    CHECK(*s.sleep_onset <= at(22, 31));
    // Off (the default): the still run before the fidgets is taken.
    const NightSummary off = night_with_twitches({}, at(22, 20), 0, at(22, 27), at(22, 29));
    REQUIRE(off.sleep_onset);
    CHECK(std::abs(*off.sleep_onset - at(22, 21)) <= 60);
    // With no fidget after the still run the section starts where the run does.
    const NightSummary on = night_with_twitches({}, at(22, 20), 10);
    REQUIRE(on.sleep_onset);
    CHECK(std::abs(*on.sleep_onset - at(22, 21)) <= 60);
}
