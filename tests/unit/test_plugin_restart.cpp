// Restarts: a checkpointed night resumes in a new Plugin; damaged checkpoints are ignored; the closing hook.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "plugin/night/sleeper.hpp"
#include "test_night_fixture.hpp"

using namespace hypnic;
using namespace hypnic::test;

namespace {
Bedroom evening() {
    Bedroom room;
    room.add_accel(at(21, 55), at(1, 0, 0, 1));
    const auto pres = room.add_sensor(SensorKind::presence);
    const auto lights = room.add_sensor(SensorKind::lights);
    auto& a = room.streams[0];
    restless(a, at(22, 0), at(22, 20));
    a.bursts.push_back(twitch_at(at(22, 15, 30)));
    a.bursts.push_back(twitch_at(at(22, 23, 30)));
    a.bursts.push_back(twitch_at(at(23, 40, 30)));
    room.presence(pres, at(22, 0), true);
    room.light(lights, at(22, 10), false);
    room.presence(pres, at(0, 59, 50, 1), false);
    return room;
}

/// The evening's closed night, run without a stop.
NightSummary uninterrupted() {
    Bedroom straight = evening();
    straight.run(at(1, 40, 0, 1));
    const auto nights = straight.outputs<NightSummary>();
    REQUIRE(nights.size() == 1);
    return nights[0];
}

/// The evening run to 23:00 and checkpointed; `edit` may change the checkpoint text before a new
/// Plugin (a new process) starts on the same History. Returns the new Plugin's retained outputs.
std::vector<Output> stopped_at_23(Bedroom& room, const std::function<void(std::string&)>& edit = {}) {
    room.run(at(23, 0));
    room.plugin->checkpoint();
    REQUIRE(room.history.get_state("night/alex"));
    std::string blob = *room.history.get_state("night/alex");
    CHECK_FALSE(blob.empty());
    if (edit) {
        edit(blob);
        room.history.put_state("night/alex", blob);
    }
    room.plugin = std::make_unique<Plugin>(room.params, *room.zone, room.history);
    std::vector<Output> ret;
    room.plugin->retained(ret);
    return ret;
}
}  // namespace

TEST_CASE("a checkpointed night resumes after a restart and closes as if uninterrupted", "[plugin][night][restart]") {
    const std::vector<NightSummary> want{uninterrupted()};

    Bedroom room = evening();
    // A new process: same History, fresh Plugin.
    const auto ret = stopped_at_23(room);
    REQUIRE_FALSE(ret.empty());
    const auto& live = std::get<LiveState>(ret[0].body);
    CHECK(live.phase == Phase::asleep);
    CHECK(live.tonight.twitches == 2);
    room.run(at(1, 40, 0, 1));
    const auto got = room.outputs<NightSummary>();
    REQUIRE(got.size() == 1);
    CHECK(got[0].night == want[0].night);
    CHECK(*got[0].in_bed == *want[0].in_bed);
    CHECK(*got[0].lights_out == *want[0].lights_out);
    CHECK(*got[0].sleep_onset == *want[0].sleep_onset);
    CHECK(*got[0].out_of_bed == *want[0].out_of_bed);
    CHECK(got[0].onset_twitches == want[0].onset_twitches);
    CHECK(got[0].twitches == want[0].twitches);
    CHECK(got[0].limb_movements == want[0].limb_movements);
    // The detector's state is part of the checkpoint: the restart costs nothing, not even a minute.
    CHECK(got[0].asleep_h == want[0].asleep_h);
    CHECK(got[0].coverage == want[0].coverage);
    CHECK(got[0].onset_latency_min == want[0].onset_latency_min);
    CHECK(got[0].plm_index == want[0].plm_index);
    // Closing clears the checkpoint.
    CHECK(room.history.get_state("night/alex")->empty());
}

TEST_CASE("a version 2 night checkpoint still resumes", "[plugin][night][restart]") {
    // Version 3 only adds two fields to each movement held for the partner check. Without a
    // partner none is held, so with the version 2 magic the same text is what version 2 wrote.
    const NightSummary want = uninterrupted();
    Bedroom room = evening();
    const auto ret = stopped_at_23(room, [](std::string& blob) {
        REQUIRE(blob.rfind("hypnic-night-3 ", 0) == 0);
        blob.replace(0, 14, "hypnic-night-2");
    });
    REQUIRE_FALSE(ret.empty());
    CHECK(std::get<LiveState>(ret[0].body).phase == Phase::asleep);
    CHECK(std::get<LiveState>(ret[0].body).tonight.twitches == 2);
    room.run(at(1, 40, 0, 1));
    const auto got = room.outputs<NightSummary>();
    REQUIRE(got.size() == 1);
    CHECK(*got[0].sleep_onset == *want.sleep_onset);
    CHECK(got[0].twitches == want.twitches);
    CHECK(got[0].asleep_h == want.asleep_h);
    CHECK(got[0].coverage == want.coverage);
}

TEST_CASE("a damaged checkpoint is ignored, never a crash", "[plugin][night][restart][hostile]") {
    const std::vector<std::string> blobs{
        "garbage",
        "hypnic-night-1",
        "hypnic-night-1 9 0 -1 -1 - - 0 0 0 0 0 0 0 end",         // phase out of range
        "hypnic-night-1 1 nan -1 -1 - - 0 0 0 3 - 0 0 0 0 0 end",  // NaN time
        "hypnic-night-1 1 0 -1 -1 - - 0 0 99999999999 end",        // absurd minute count
        "hypnic-night-1 1 0 -1 -1 - - 0 0 0 1 - 0 0 0 0 end",      // wrong sensor count
        std::string(100000, '7'),
    };
    for (const auto& blob : blobs) {
        Bedroom room = evening();
        room.history.put_state("night/alex", blob);
        room.start();
        std::vector<Output> ret;
        room.plugin->retained(ret);
        // Only the live state comes from the night tracker: no night was restored from the damage.
        REQUIRE(!ret.empty());
        CHECK(std::count_if(ret.begin(), ret.end(), [](const Output& o) {
                  return std::holds_alternative<LiveState>(o.body) || std::holds_alternative<NightSummary>(o.body);
              }) == 1);
        CHECK(std::get<LiveState>(ret[0].body).phase == Phase::out_of_bed);
        room.run(at(1, 40, 0, 1));
        CHECK(room.outputs<NightSummary>().size() == 1);
    }
}

TEST_CASE("the night-closed hook runs once per closed night and may add outputs", "[night][hook]") {
    Bedroom room = evening();
    const FixedZone zone(0);
    night::SleeperNight sn(room.params.sleepers[0], zone, room.history);
    int calls = 0;
    std::string seen;
    sn.set_night_closed_hook([&](const NightSummary& n, UnixS, std::vector<OutputBody>& out) {
        ++calls;
        seen = n.night;
        out.push_back(WinddownNext{Stage::relax, 0});
    });
    // Presence and lights alone give no sleep: the stay is dropped, the hook is not called.
    std::vector<OutputBody> out;
    sn.on_presence(1, at(22, 0), PresenceReading{at(22, 0), true}, out);
    sn.on_presence(1, at(23, 0), PresenceReading{at(23, 0), false}, out);
    sn.on_time(at(23, 30), out);
    CHECK(calls == 0);
    // A night with bed data closes and calls the hook.
    AccelStream& s = room.streams[0];
    sn.on_presence(1, at(23, 40), PresenceReading{at(23, 40), true}, out);
    for (UnixS t = at(23, 40); t < at(1, 0, 0, 1); t += 1) sn.on_accel(0, t + 1, s.batch(t), out);
    sn.on_presence(1, at(1, 0, 0, 1), PresenceReading{at(1, 0, 0, 1), false}, out);
    sn.on_time(at(1, 30, 0, 1), out);
    CHECK(calls == 1);
    CHECK(seen == "2026-11-25");
    CHECK(std::count_if(out.begin(), out.end(), [](const OutputBody& b) { return std::holds_alternative<WinddownNext>(b); }) == 1);
    CHECK(sn.last_night());
}

TEST_CASE("a night checkpoint with a damaged partner movement is refused, never a crash",
          "[plugin][night][restart][hostile]") {
    // With a partner sensor, the partner's recent movements are part of the checkpoint (the
    // partner-bleed check needs them). A partner twitch just before the stop is one of them; its
    // peak time may not lie before its start, and only a twitch can be a jerk on top of a movement.
    const auto with_partner = [] {
        Bedroom room = evening();
        AccelStream& partner = room.add_accel(at(21, 55), at(1, 0, 0, 1), /*partner=*/true);
        partner.bursts.push_back(twitch_at(at(22, 59, 30), 0.3));
        // The bed sensor reports again (as a retained presence is delivered again on reconnecting):
        // a night whose checkpoint was refused starts again from here.
        room.presence(1, at(23, 5), true);
        return room;
    };
    // The tokens of the partner twitch: type, start, duration, peak, gravity shift, peak time, on top.
    const auto twitch_tokens = [](const std::string& blob) {
        std::vector<std::size_t> begins;
        for (std::size_t i = 0; i < blob.size();) {
            while (i < blob.size() && blob[i] == ' ') ++i;
            if (i < blob.size()) begins.push_back(i);
            while (i < blob.size() && blob[i] != ' ') ++i;
        }
        auto token = [&](std::size_t k) { return blob.substr(begins[k], blob.find(' ', begins[k]) - begins[k]); };
        for (std::size_t k = 0; k + 6 < begins.size(); ++k) {
            if (token(k) != "0") continue;
            const double start = std::strtod(token(k + 1).c_str(), nullptr);
            if (std::abs(start - at(22, 59, 30)) < 0.5 && std::strtod(token(k + 2).c_str(), nullptr) < 0.5)
                return std::vector<std::size_t>(begins.begin() + static_cast<std::ptrdiff_t>(k),
                                                begins.begin() + static_cast<std::ptrdiff_t>(k + 7));
        }
        return std::vector<std::size_t>{};
    };
    const auto set_token = [](std::string& blob, std::size_t begin, const std::string& value) {
        blob.replace(begin, blob.find(' ', begin) - begin, value);
    };

    {
        // Undamaged, the checkpoint holds the twitch and resumes.
        Bedroom room = with_partner();
        const auto ret = stopped_at_23(room, [&](std::string& blob) { REQUIRE(twitch_tokens(blob).size() == 7); });
        REQUIRE_FALSE(ret.empty());
        CHECK(std::get<LiveState>(ret[0].body).phase == Phase::asleep);
    }
    const std::vector<std::function<void(std::string&)>> damage{
        [&](std::string& blob) { set_token(blob, twitch_tokens(blob)[5], "-0.25"); },  // peak before the start
        [&](std::string& blob) { set_token(blob, twitch_tokens(blob)[5], "nan"); },
        [&](std::string& blob) {  // a limb movement marked as a jerk on top
            const auto t = twitch_tokens(blob);
            set_token(blob, t[6], "1");
            set_token(blob, t[0], "1");
        },
        [&](std::string& blob) { set_token(blob, twitch_tokens(blob)[6], "2"); },  // not a flag
    };
    for (std::size_t k = 0; k < damage.size(); ++k) {
        INFO("damage " << k);
        Bedroom room = with_partner();
        const auto ret = stopped_at_23(room, damage[k]);
        // The night was not restored from the damage: the new process starts out of bed, with
        // none of the evening's twitches, and the night starts again from the next readings.
        REQUIRE_FALSE(ret.empty());
        CHECK(std::get<LiveState>(ret[0].body).phase == Phase::out_of_bed);
        CHECK(std::get<LiveState>(ret[0].body).tonight.twitches == 0);
        room.run(at(1, 40, 0, 1));
        const auto nights = room.outputs<NightSummary>();
        REQUIRE(nights.size() == 1);
        CHECK(*nights[0].in_bed >= at(23, 0));
    }
}
