// The wind-down core on a fixed zone: plan, once-a-day schedule, adaptation, fades, override, restart, pause, reminders.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "plugin/winddown/winddown.hpp"

using namespace hypnic;
using namespace hypnic::winddown;

namespace {

// 2026-11-23 is a Monday.
UnixS at(int day, int h, int m = 0, int s = 0) {
    const auto d = std::chrono::sys_days(std::chrono::year(2026) / 11 / 23) + std::chrono::days(day);
    return static_cast<double>(d.time_since_epoch().count()) * 86400.0 + h * 3600 + m * 60 + s;
}

LocalDate evening(int day) { return LocalDate{std::chrono::sys_days(std::chrono::year(2026) / 11 / 23) + std::chrono::days(day)}; }

struct Fired {
    UnixS t;
    OutputBody body;
};

struct Rig {
    SleeperParams p;
    FixedZone zone{0};
    MemoryHistory history;
    std::unique_ptr<Winddown> w;
    std::vector<Fired> got;

    Rig() { p.id = "alex"; }
    void start() { w = std::make_unique<Winddown>(p, zone, history); }
    void keep(UnixS t, std::vector<OutputBody>& o) {
        for (auto& b : o) got.push_back(Fired{t, std::move(b)});
    }
    void tick(UnixS t) {
        std::vector<OutputBody> o;
        w->on_time(t, o);
        keep(t, o);
    }
    void input(Input in) {
        std::vector<OutputBody> o;
        w->on_input(in, in.arrival, o);
        keep(in.arrival, o);
    }
    // Wakes exactly when the core asks, like replay's virtual clock; every wake-up must do something.
    void run_until(UnixS from, UnixS end) {
        tick(from);
        for (int guard = 0; guard < 100000; ++guard) {
            const UnixS n = w->next_wakeup();
            if (!(n <= end)) break;
            const std::size_t before = got.size();
            tick(n);
            CHECK(got.size() > before);  // next_wakeup is honest: no idle polling
        }
        tick(end);
    }
    std::vector<std::pair<UnixS, WinddownTrigger>> triggers(std::optional<Stage> only = std::nullopt) const {
        std::vector<std::pair<UnixS, WinddownTrigger>> v;
        for (const auto& f : got)
            if (const auto* t = std::get_if<WinddownTrigger>(&f.body))
                if (!only || t->stage == *only) v.emplace_back(f.t, *t);
        return v;
    }
    std::vector<std::pair<UnixS, LightCommand>> commands() const {
        std::vector<std::pair<UnixS, LightCommand>> v;
        for (const auto& f : got)
            if (const auto* c = std::get_if<LightCommand>(&f.body)) v.emplace_back(f.t, *c);
        return v;
    }
    void light_state(std::size_t light, UnixS t, bool on, std::optional<double> pct) {
        Input in;
        in.sensor = SIZE_MAX;
        in.arrival = t;
        in.reading = LightReading{t, on, pct};
        in.winddown_light = light;
        input(in);
    }
};

NightSummary night_of(const std::string& date, bool heavy, std::optional<UnixS> in_bed = std::nullopt) {
    NightSummary n;
    n.night = date;
    n.twitch_heavy = heavy;
    n.heavy_reason = heavy ? "9 onset twitches, threshold 6" : "";
    n.in_bed = in_bed;
    return n;
}

const Evidence* extra(const WinddownTrigger& t, const std::string& key) {
    for (const auto& e : t.extra)
        if (e.key == key) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("the plan puts every stage at its offset before bedtime, in local time", "[winddown][plan]") {
    WinddownParams p;
    const FixedZone cet(3600, "CET");
    const EveningPlan plan = plan_evening(p, WinddownSettings{}, {}, evening(0), cet);
    CHECK(plan.bedtime == at(0, 22, 30) - 3600);
    CHECK(plan.at[0] == at(0, 14, 30) - 3600);  // caffeine 8 h before
    CHECK(plan.at[1] == at(0, 19, 30) - 3600);  // exercise 3 h before
    CHECK(plan.at[2] == at(0, 21, 30) - 3600);  // dimming 60 min before
    CHECK(plan.at[3] == at(0, 22, 0) - 3600);   // relax 30 min before
    CHECK(plan.at[4] == at(0, 22, 30) - 3600);  // lights out at bedtime
    CHECK_FALSE(plan.longer);
    CHECK(plan.reason.empty());
}

TEST_CASE("a bedtime after midnight and per-weekday bedtimes", "[winddown][plan]") {
    WinddownParams p;
    p.bedtime = "00:30";
    p.bedtime_by_weekday[4] = "23:15";  // Friday
    const FixedZone utc;
    const EveningPlan mon = plan_evening(p, WinddownSettings{}, {}, evening(0), utc);
    CHECK(mon.bedtime == at(1, 0, 30));  // the Monday evening's bedtime is on Tuesday
    CHECK(mon.at[2] == at(0, 23, 30));
    CHECK(bedtime_evening_s(p, {}, evening(4), utc) == 23 * 3600 + 15 * 60);
    const EveningPlan fri = plan_evening(p, WinddownSettings{}, {}, evening(4), utc);
    CHECK(fri.bedtime == at(4, 23, 15));
}

TEST_CASE("an automatic bedtime is the median in-bed time of recent nights, clamped to its window", "[winddown][plan]") {
    WinddownParams p;
    p.bedtime = "auto";
    const FixedZone utc;
    CHECK(bedtime_evening_s(p, {}, evening(5), utc) == 22 * 3600 + 30 * 60);  // no nights yet
    std::vector<NightSummary> nights = {night_of("2026-11-23", false, at(0, 23, 10)),
                                        night_of("2026-11-24", false, at(2, 0, 20)),  // after midnight
                                        night_of("2026-11-25", false, at(2, 23, 40))};
    CHECK(bedtime_evening_s(p, nights, evening(5), utc) == 23 * 3600 + 40 * 60);
    // Only nights before the evening count.
    CHECK(bedtime_evening_s(p, nights, evening(2), utc) == (23 * 3600 + 10 * 60 + 24 * 3600 + 20 * 60) / 2);
    p.auto_latest = "23:00";
    CHECK(bedtime_evening_s(p, nights, evening(5), utc) == 23 * 3600);
    nights = {night_of("2026-11-23", false, at(0, 19, 0))};
    CHECK(bedtime_evening_s(p, nights, evening(5), utc) == 21 * 3600);  // auto_earliest
}

TEST_CASE("every stage fires exactly once a day at its time and winddown/next always names the next", "[winddown][schedule]") {
    Rig r;
    r.start();
    r.run_until(at(0, 12), at(3, 12));
    for (Stage s : SCHEDULED) {
        const auto t = r.triggers(s);
        REQUIRE(t.size() == 3);
        for (std::size_t d = 0; d < t.size(); ++d) {
            CHECK(t[d].first == t[d].second.at);  // on time
            CHECK(t[d].second.bedtime == at(static_cast<int>(d), 22, 30));
            CHECK_FALSE(t[d].second.after_heavy_night);
        }
    }
    CHECK(r.triggers(Stage::caffeine_cutoff)[1].second.at == at(1, 14, 30));
    CHECK(r.triggers(Stage::lights_out)[2].second.at == at(2, 22, 30));
    // A next announcement right after each stage, naming the following stage.
    std::vector<WinddownNext> nexts;
    for (const auto& f : r.got)
        if (const auto* n = std::get_if<WinddownNext>(&f.body)) nexts.push_back(*n);
    REQUIRE(nexts.size() == 16);  // the first one at start, then one per stage
    CHECK(nexts.front().stage == Stage::caffeine_cutoff);
    CHECK(nexts.front().at == at(0, 14, 30));
    CHECK(nexts.back().stage == Stage::caffeine_cutoff);
    CHECK(nexts.back().at == at(3, 14, 30));
    std::vector<OutputBody> ret;
    r.w->retained(ret);
    REQUIRE(ret.size() == 2);
    CHECK(std::get<WinddownNext>(ret[1]).at == at(3, 14, 30));
}

TEST_CASE("after a twitch-heavy night the adaptive plan starts earlier and says why", "[winddown][adapt]") {
    Rig r;
    r.start();
    r.run_until(at(0, 12), at(1, 8));
    std::vector<OutputBody> o;
    r.w->on_night_closed(night_of("2026-11-23", true), at(1, 8), o);
    r.keep(at(1, 8), o);
    r.run_until(at(1, 8), at(2, 8));
    const auto caf = r.triggers(Stage::caffeine_cutoff);
    REQUIRE(caf.size() == 2);
    CHECK(caf[1].second.at == at(1, 12, 30));  // 2 h earlier
    CHECK(caf[1].second.after_heavy_night);
    CHECK(caf[1].second.reason.find("twitch-heavy") != std::string::npos);
    CHECK(caf[1].second.reason.find("9 onset twitches") != std::string::npos);
    const auto dim = r.triggers(Stage::dim_lights);
    CHECK(dim[1].second.at == at(1, 21, 0));  // 30 min earlier...
    CHECK(std::get<double>(extra(dim[1].second, "fade_min")->value) == 60);  // ...and 30 min longer
    CHECK(r.triggers(Stage::relax)[1].second.at == at(1, 21, 45));
    CHECK(r.triggers(Stage::exercise_cutoff)[1].second.at == at(1, 19, 30));
    CHECK(r.triggers(Stage::lights_out)[1].second.at == at(1, 22, 30));

    // A calm night brings the usual plan back.
    o.clear();
    r.w->on_night_closed(night_of("2026-11-24", false), at(2, 8), o);
    r.keep(at(2, 8), o);
    r.run_until(at(2, 8), at(3, 8));
    CHECK(r.triggers(Stage::caffeine_cutoff)[2].second.at == at(2, 14, 30));
    CHECK_FALSE(r.triggers(Stage::caffeine_cutoff)[2].second.after_heavy_night);
}

TEST_CASE("profiles: standard never adapts, extended always runs the longer plan", "[winddown][adapt]") {
    const FixedZone utc;
    WinddownParams p;
    const std::vector<NightSummary> heavy = {night_of("2026-11-23", true)};
    WinddownSettings s;
    s.profile = "standard";
    EveningPlan plan = plan_evening(p, s, heavy, evening(1), utc);
    CHECK(plan.after_heavy_night);
    CHECK_FALSE(plan.longer);
    CHECK(plan.at[0] == at(1, 14, 30));
    s.profile = "extended";
    plan = plan_evening(p, s, {}, evening(1), utc);
    CHECK(plan.longer);
    CHECK_FALSE(plan.after_heavy_night);
    CHECK(plan.at[2] == at(1, 21, 0));
    CHECK(plan.reason.find("extended") != std::string::npos);
    s.profile = "reminders_only";
    plan = plan_evening(p, s, heavy, evening(1), utc);
    CHECK(plan.longer);
    // The run-time caffeine cut-off replaces the configured one.
    s.profile = "adaptive";
    s.caffeine_cutoff_h = 6;
    plan = plan_evening(p, s, {}, evening(1), utc);
    CHECK(plan.at[0] == at(1, 16, 30));
}

TEST_CASE("dim_lights fades each light in steps from its brightness to the target", "[winddown][fade]") {
    Rig r;
    r.p.winddown.lights.resize(2);
    r.start();
    r.tick(at(0, 12));
    r.light_state(1, at(0, 20), true, 60.0);
    r.run_until(at(0, 20), at(0, 23));
    const auto cmds = r.commands();
    std::vector<LightCommand> l0, l1;
    for (const auto& [t, c] : cmds) {
        CHECK(t >= at(0, 21, 30));
        CHECK(t < at(0, 22, 0));
        (c.light == 0 ? l0 : l1).push_back(c);
    }
    REQUIRE(l0.size() == 30);  // one a minute over 30 min
    REQUIRE(l1.size() == 30);
    CHECK(*l0.front().brightness_pct < 100);
    CHECK(*l0.back().brightness_pct == Approx(20));
    CHECK(*l1.front().brightness_pct < 60);
    CHECK(*l1.back().brightness_pct == Approx(20));
    for (std::size_t i = 1; i < l0.size(); ++i) CHECK(*l0[i].brightness_pct < *l0[i - 1].brightness_pct);
    for (const auto& c : l0) {
        CHECK(c.on);
        CHECK(c.color_temp_k == 2200);
        CHECK(c.transition_s == Approx(60));
    }
    const auto dim = r.triggers(Stage::dim_lights);
    REQUIRE(dim.size() == 1);
    CHECK(std::get<double>(extra(dim[0].second, "dim_to_pct")->value) == 20);
}

TEST_CASE("a light that is off is never switched on, and a darker one only turns warm", "[winddown][fade]") {
    Rig r;
    r.p.winddown.lights.resize(2);
    r.start();
    r.tick(at(0, 12));
    r.light_state(0, at(0, 20), false, std::nullopt);
    r.light_state(1, at(0, 20), true, 10.0);
    r.run_until(at(0, 20), at(0, 23));
    for (const auto& [t, c] : r.commands()) {
        CHECK(c.light == 1);
        CHECK(*c.brightness_pct == Approx(10));
    }
    CHECK_FALSE(r.commands().empty());
}

TEST_CASE("a person changing the light by hand or turning it off stops the fade", "[winddown][fade][override]") {
    for (const bool turn_off : {false, true}) {
        Rig r;
        r.p.winddown.lights.resize(1);
        r.start();
        r.run_until(at(0, 12), at(0, 21, 40, 30));
        const auto before = r.commands();
        REQUIRE(before.size() == 11);
        // The light echoes the fade's own level: not an override.
        r.light_state(0, at(0, 21, 40, 40), true, *before.back().second.brightness_pct);
        r.run_until(at(0, 21, 40, 40), at(0, 21, 45, 30));
        REQUIRE(r.commands().size() == 16);
        if (turn_off)
            r.light_state(0, at(0, 21, 45, 40), false, std::nullopt);
        else
            r.light_state(0, at(0, 21, 45, 40), true, 90.0);
        r.run_until(at(0, 21, 45, 40), at(1, 12));
        CHECK(r.commands().size() == 16);
        CHECK(r.triggers(Stage::relax).size() == 1);  // the rest of the evening goes on
    }
}

TEST_CASE("a restart in the middle of a fade continues where it should be, without re-firing", "[winddown][fade][restart]") {
    Rig straight;
    straight.p.winddown.lights.resize(1);
    straight.start();
    straight.run_until(at(0, 12), at(0, 23));

    Rig r;
    r.p.winddown.lights.resize(1);
    r.start();
    r.run_until(at(0, 12), at(0, 21, 40, 30));
    r.w->checkpoint();
    const std::size_t sent_before = r.commands().size();
    REQUIRE(sent_before == 11);
    // Down for 5 minutes, then a new process on the same History.
    r.start();
    r.run_until(at(0, 21, 45, 30), at(0, 23));
    const auto cmds = r.commands();
    CHECK(r.triggers(Stage::dim_lights).size() == 1);
    REQUIRE(cmds.size() == 11 + 1 + 14);  // one jump to where the fade should be, then the rest
    CHECK(cmds[11].first == at(0, 21, 45, 30));
    const auto& want = straight.commands();
    // The jump lands on the level the uninterrupted fade had at that minute.
    CHECK(*cmds[11].second.brightness_pct == Approx(*want[15].second.brightness_pct));
    CHECK(*cmds.back().second.brightness_pct == Approx(20));
    CHECK(r.triggers(Stage::relax).size() == 1);
}

TEST_CASE("after a restart a missed stage fires only within the grace window", "[winddown][restart]") {
    Rig r;
    r.start();
    r.run_until(at(0, 12), at(0, 19));
    r.w->checkpoint();
    // Down from 19:00 to 19:40: exercise cut-off (19:30) is 10 min late, inside the 15-min grace.
    r.start();
    r.run_until(at(0, 19, 40), at(0, 20));
    auto ex = r.triggers(Stage::exercise_cutoff);
    REQUIRE(ex.size() == 1);
    CHECK(ex[0].first == at(0, 19, 40));
    CHECK(ex[0].second.at == at(0, 19, 30));
    CHECK(std::get<double>(extra(ex[0].second, "late_s")->value) == 600);
    r.w->checkpoint();
    // Down from 20:00 to 22:10: dimming (21:30) and relax (22:00) missed, relax inside the grace.
    r.start();
    r.run_until(at(0, 22, 10), at(0, 23));
    CHECK(r.triggers(Stage::dim_lights).empty());
    CHECK(r.triggers(Stage::relax).size() == 1);
    CHECK(r.triggers(Stage::lights_out).size() == 1);
    CHECK(r.triggers(Stage::caffeine_cutoff).size() == 1);  // never twice
}

TEST_CASE("the pause switch and the pause topic silence everything", "[winddown][pause]") {
    Rig r;
    r.p.winddown.lights.resize(1);
    r.start();
    r.tick(at(0, 12));
    WinddownSettings off;
    off.winddown = false;
    std::vector<OutputBody> o;
    r.w->set_settings(off, at(0, 12), o);
    REQUIRE_FALSE(o.empty());
    CHECK(std::get<WinddownSettings>(o[0]).winddown == false);
    r.run_until(at(0, 12), at(1, 12));
    CHECK(r.triggers().empty());
    CHECK(r.commands().empty());

    o.clear();
    r.w->set_settings(WinddownSettings{}, at(1, 12), o);
    // The pause topic (e.g. a guest is staying) during the fade.
    r.run_until(at(1, 12), at(1, 21, 35, 30));
    REQUIRE(r.commands().size() == 6);
    Input pause;
    pause.sensor = SIZE_MAX;
    pause.arrival = at(1, 21, 35, 40);
    pause.reading = LightReading{at(1, 21, 35, 40), true, std::nullopt};
    pause.winddown_pause = true;
    r.input(pause);
    r.run_until(at(1, 21, 35, 40), at(2, 12));
    CHECK(r.commands().size() == 6);
    CHECK(r.triggers(Stage::relax).empty());
    CHECK(r.triggers(Stage::caffeine_cutoff).size() == 1);
    pause.arrival = at(2, 12);
    pause.reading = LightReading{at(2, 12), false, std::nullopt};
    r.input(pause);
    r.run_until(at(2, 12), at(3, 0));
    CHECK(r.triggers(Stage::relax).size() == 1);
}

TEST_CASE("a caffeine or exercise log after its cut-off brings a reminder", "[winddown][reminder]") {
    Rig r;
    r.start();
    const auto log = [&](Factor f, UnixS t) {
        FactorLog l;
        l.t = t;
        l.factor = f;
        l.amount = f == Factor::caffeine ? 80 : 45;
        r.history.save_factor("alex", l);  // the night tracker saves it before the wind-down sees it
        Input in;
        in.sensor = SIZE_MAX;
        in.arrival = t;
        in.reading = l;
        r.input(in);
    };
    r.tick(at(0, 9));
    log(Factor::caffeine, at(0, 10));  // before the 14:30 cut-off: fine
    CHECK(r.triggers(Stage::caffeine_reminder).empty());
    r.run_until(at(0, 10), at(0, 18));
    log(Factor::caffeine, at(0, 18));  // the coffee machine at 18:00
    auto rem = r.triggers(Stage::caffeine_reminder);
    REQUIRE(rem.size() == 1);
    CHECK(rem[0].first == at(0, 18));
    CHECK(std::get<double>(extra(rem[0].second, "amount")->value) == 80);
    CHECK(std::get<std::string>(extra(rem[0].second, "cutoff")->value) == format_iso(at(0, 14, 30), r.zone));
    log(Factor::exercise, at(0, 18, 30));  // before the 19:30 exercise cut-off
    CHECK(r.triggers(Stage::exercise_reminder).empty());
    r.run_until(at(0, 18, 30), at(0, 20));
    log(Factor::exercise, at(0, 20));
    CHECK(r.triggers(Stage::exercise_reminder).size() == 1);
    log(Factor::stress, at(0, 20, 5));
    CHECK(r.triggers(Stage::caffeine_reminder).size() == 1);
    CHECK(r.triggers(Stage::exercise_reminder).size() == 1);
}

TEST_CASE("run-time settings persist across a restart and re-plan", "[winddown][settings]") {
    Rig r;
    r.p.winddown.lights.resize(1);
    r.start();
    r.tick(at(0, 12));
    WinddownSettings s;
    s.profile = "reminders_only";
    s.caffeine_cutoff_h = 6;
    std::vector<OutputBody> o;
    r.w->set_settings(s, at(0, 12), o);
    REQUIRE(o.size() == 2);
    CHECK(std::get<WinddownNext>(o[1]).at == at(0, 16, 30));
    r.start();  // a restart
    CHECK(r.w->settings().profile == "reminders_only");
    CHECK(r.w->settings().caffeine_cutoff_h == 6);
    r.run_until(at(0, 12), at(1, 0));
    CHECK(r.triggers(Stage::caffeine_cutoff).at(0).second.at == at(0, 16, 30));
    CHECK(r.triggers(Stage::dim_lights).size() == 1);
    CHECK(r.commands().empty());  // reminders only: no light commands
}

TEST_CASE("damaged state and settings blobs are ignored, never a crash", "[winddown][hostile]") {
    for (const std::string& blob :
         {std::string("garbage"), std::string("winddown-v1\ndone x y\nfade 0 1 nan 5 -3 99 1 2\nfade 99 1 0 60 30 0 100 20\n"),
          std::string("winddown-v1\nfade 0 7 0 60 30 0 100 20\ndone 1 4294967295\nlogged 1 2\n"), std::string("\0\n\xff", 3)}) {
        Rig r;
        r.p.winddown.lights.resize(1);
        r.history.put_state("winddown/alex", blob);
        r.history.put_state("winddown-settings/alex", blob == "garbage" ? "settings-v1 1 nonsense 8" : blob);
        r.start();
        CHECK(r.w->settings().profile == "adaptive");
        r.run_until(at(0, 12), at(1, 12));
        CHECK(r.triggers(Stage::lights_out).size() == 1);
        CHECK(r.commands().size() == 30);
    }
}
