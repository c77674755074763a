// The night simulator: deterministic, time-ordered, and its truth consistent with its messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "plugin/detect/detector.hpp"
#include "plugin/simulate/simulate.hpp"

using namespace hypnic;

namespace {

sim::SimParams params(std::uint64_t seed, int nights = 1, double hz = 25) {
    sim::SimParams p;
    p.seed = seed;
    p.nights = nights;
    p.hz = hz;
    return p;
}

struct Run {
    std::vector<sim::SimMessage> messages;
    std::vector<sim::TrueEvent> events;
    std::vector<sim::TrueNight> nights;
};

Run run(const sim::SimParams& p, const Zone& z, std::size_t max_messages = SIZE_MAX) {
    Run r;
    sim::Simulator s(p, z);
    sim::SimMessage m;
    while (r.messages.size() < max_messages && s.next(m)) r.messages.push_back(m);
    s.take_truth(r.events, r.nights);
    return r;
}

bool same(const sim::SimMessage& a, const sim::SimMessage& b) {
    if (a.arrival != b.arrival || a.channel != b.channel || a.reading.index() != b.reading.index()) return false;
    if (const auto* x = std::get_if<AccelBatch>(&a.reading)) {
        const auto& y = std::get<AccelBatch>(b.reading);
        return x->t0 == y.t0 && x->hz == y.hz && x->xyz_g == y.xyz_g;
    }
    if (const auto* x = std::get_if<PresenceReading>(&a.reading)) {
        const auto& y = std::get<PresenceReading>(b.reading);
        return x->t == y.t && x->in_bed == y.in_bed;
    }
    if (const auto* x = std::get_if<LightReading>(&a.reading)) {
        const auto& y = std::get<LightReading>(b.reading);
        return x->t == y.t && x->on == y.on && x->brightness_pct == y.brightness_pct;
    }
    const auto& x = std::get<FactorLog>(a.reading);
    const auto& y = std::get<FactorLog>(b.reading);
    return x.t == y.t && x.factor == y.factor && x.amount == y.amount;
}

}  // namespace

TEST_CASE("the same seed gives the same nights, sample for sample") {
    const FixedZone z;
    auto p = params(11);
    p.partner = true;
    const Run a = run(p, z, 3000);
    const Run b = run(p, z, 3000);
    REQUIRE(a.messages.size() == b.messages.size());
    for (std::size_t i = 0; i < a.messages.size(); ++i) REQUIRE(same(a.messages[i], b.messages[i]));
    REQUIRE(a.events.size() == b.events.size());
    for (std::size_t i = 0; i < a.events.size(); ++i) CHECK(a.events[i].start == b.events[i].start);
    const Run c = run(params(12), z, 3000);
    bool differs = c.messages.size() != a.messages.size();
    for (std::size_t i = 0; !differs && i < a.messages.size(); ++i) differs = !same(a.messages[i], c.messages[i]);
    CHECK(differs);
}

TEST_CASE("profile names round-trip and unknown ones are refused") {
    for (auto p : {sim::Profile::none, sim::Profile::caffeine, sim::Profile::stress, sim::Profile::exercise,
                   sim::Profile::plm, sim::Profile::mixed})
        CHECK(sim::profile_from_string(sim::to_string(p)) == p);
    CHECK_FALSE(sim::profile_from_string("coffee").has_value());
    CHECK_FALSE(sim::profile_from_string("").has_value());
}

TEST_CASE("messages are time-ordered and the truth matches them") {
    const FixedZone z(3600, "CET");
    auto p = params(3, 3);
    p.partner = true;
    const Run r = run(p, z);
    REQUIRE(r.nights.size() == 3);
    for (std::size_t i = 1; i < r.messages.size(); ++i) REQUIRE(r.messages[i].arrival >= r.messages[i - 1].arrival);

    for (const sim::TrueNight& n : r.nights) {
        INFO("night " << n.night);
        CHECK(n.in_bed < n.lights_out);
        CHECK(n.lights_out < n.sleep_onset);
        CHECK(n.sleep_onset < n.wake);
        CHECK(n.wake < n.out_of_bed);
        CHECK(n.asleep_h > 3.5);
        CHECK(n.asleep_h < 10);
        // The night is named after the local date of its evening.
        const LocalDate d = local_date(n.lights_out - 6 * 3600, z);
        CHECK(format_date(d) == n.night);
        // Presence ON at in-bed and OFF at out-of-bed, lights OFF at lights-out.
        bool on = false, off = false, dark = false;
        for (const auto& m : r.messages) {
            if (const auto* pr = std::get_if<PresenceReading>(&m.reading)) {
                on = on || (pr->in_bed && pr->t == n.in_bed);
                off = off || (!pr->in_bed && pr->t == n.out_of_bed);
            }
            if (const auto* l = std::get_if<LightReading>(&m.reading)) dark = dark || (!l->on && l->t == n.lights_out);
        }
        CHECK(on);
        CHECK(off);
        CHECK(dark);
        int onset = 0, twitches = 0, lms = 0, large = 0;
        for (const auto& e : r.events) {
            if (e.start < n.in_bed || e.start > n.out_of_bed) continue;
            CHECK(e.start + e.duration_s <= n.out_of_bed);
            if (n.bathroom_out) CHECK_FALSE((e.start > *n.bathroom_out && e.start < *n.bathroom_back));
            const bool window = e.start >= n.lights_out && e.start <= n.sleep_onset + sim::TRUTH_ONSET_WINDOW_AFTER_MIN * 60;
            CHECK(e.onset_window == window);
            switch (e.type) {
                case MovementType::twitch:
                    ++twitches;
                    onset += window;
                    CHECK(e.duration_s >= 0.05);
                    CHECK(e.duration_s <= 0.25);
                    break;
                case MovementType::limb_movement:
                    ++lms;
                    CHECK(e.duration_s >= 0.5);
                    CHECK(e.duration_s <= 10);
                    break;
                default:
                    ++large;
                    CHECK(e.gravity_shift);
                    CHECK(e.duration_s >= 3);
                    CHECK(e.duration_s <= 45);
                    break;
            }
        }
        CHECK(onset == n.onset_twitches);
        CHECK(twitches == n.twitches);
        CHECK(lms == n.limb_movements);
        CHECK(large == n.large_movements);
        if (n.twitch_heavy) CHECK(n.onset_twitches >= 5);
        else CHECK(n.onset_twitches <= 3);
        CHECK(n.plm_index == Approx(n.plm_count / n.asleep_h));
    }
    // Raw samples only around in-bed time, at the requested rate, and from both sensors.
    bool partner_seen = false;
    for (const auto& m : r.messages) {
        const auto* b = std::get_if<AccelBatch>(&m.reading);
        if (b == nullptr) continue;
        partner_seen = partner_seen || m.channel == sim::Channel::partner_accel;
        CHECK(b->hz == 25);
        CHECK(b->xyz_g.size() <= 25);
        CHECK(m.arrival >= b->t0 + static_cast<double>(b->xyz_g.size()) / 25 - 1e-6);
        bool inside = false;
        for (const auto& n : r.nights) inside = inside || (b->t0 >= n.in_bed - 61 && b->t0 <= n.out_of_bed + 31);
        CHECK(inside);
    }
    CHECK(partner_seen);
}

TEST_CASE("heavy nights follow the profile's habit") {
    const FixedZone z;
    auto p = params(5, 12);
    p.profile = sim::Profile::caffeine;
    p.hz = 1;  // the truth does not depend on the rate; keep the test quick
    const Run r = run(p, z);
    int heavy = 0;
    for (const auto& n : r.nights) {
        if (!n.twitch_heavy) continue;
        ++heavy;
        CHECK(n.heavy_cause == "caffeine");
        bool late = false;
        for (const auto& f : n.factors) late = late || (f.factor == Factor::caffeine && n.in_bed - f.t <= 8 * 3600 && f.t < n.in_bed);
        CHECK(late);
    }
    CHECK(heavy > 0);
    p.profile = sim::Profile::none;
    for (const auto& n : run(p, z).nights) CHECK_FALSE(n.twitch_heavy);
}

TEST_CASE("the detector finds the simulated movements of a night") {
    const FixedZone z;
    sim::Simulator s(params(21), z);
    Detector d(DetectorParams{});
    std::vector<DetectedMovement> found;
    sim::SimMessage m;
    while (s.next(m))
        if (const auto* b = std::get_if<AccelBatch>(&m.reading)) d.feed(*b, found);
    d.flush(1e12, found);
    std::vector<sim::TrueEvent> truth;
    std::vector<sim::TrueNight> nights;
    s.take_truth(truth, nights);
    REQUIRE_FALSE(truth.empty());
    int matched = 0;
    for (const auto& t : truth) {
        for (const auto& f : found) {
            if (f.type == t.type && std::abs(f.start - t.start) <= (t.type == MovementType::twitch ? 0.5 : 1.0)) {
                ++matched;
                break;
            }
        }
    }
    CHECK(static_cast<double>(matched) / static_cast<double>(truth.size()) > 0.85);
    CHECK(found.size() < truth.size() * 1.2);
}
