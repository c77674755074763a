// Movement detector on synthetic signals with known answers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "plugin/detect/detector.hpp"
#include "plugin/detect/state_text.hpp"

using namespace hypnic;

namespace {

using Vec3 = std::array<double, 3>;
constexpr double PI = 3.14159265358979323846;
constexpr UnixS T0 = 1795642800;  // 2026-11-25T21:00:00Z

/// A lying body: gravity, breathing (0.25 Hz, 3 mg), a 1 Hz heartbeat with harmonics (~1.5 mg)
/// and white sensor noise, plus whatever `extra` adds.
struct Body {
    double noise_g = 0.002;
    Vec3 gravity{0.05, -0.1, 0.99};
    std::mt19937_64 rng{42};
    std::normal_distribution<double> n01{0.0, 1.0};
    std::function<Vec3(double)> extra = [](double) { return Vec3{0, 0, 0}; };

    Vec3 at(double t) {
        Vec3 a = gravity;
        const double breath = 0.003 * std::sin(2 * PI * 0.25 * t);
        double bcg = 0;
        for (int n = 1; n <= 8; ++n) bcg += std::sin(2 * PI * 1.05 * n * t + n) / n;
        bcg *= 0.0006;
        a[2] += breath;
        a[1] += bcg;
        const Vec3 e = extra(t);
        for (std::size_t k = 0; k < 3; ++k) a[k] += e[k] + noise_g * n01(rng);
        return a;
    }
};

/// Feeds [from, to) seconds of `body` in 1-s batches at `hz`.
void feed(Detector& d, Body& body, double hz, double from_s, double to_s, std::vector<DetectedMovement>& out) {
    const auto per = static_cast<std::size_t>(std::lround(hz));
    for (double s = from_s; s < to_s - 1e-9; s += 1.0) {
        AccelBatch b;
        b.t0 = T0 + s;
        b.hz = hz;
        for (std::size_t i = 0; i < per; ++i) {
            const Vec3 a = body.at(s + static_cast<double>(i) / hz);
            b.xyz_g.push_back({static_cast<float>(a[0]), static_cast<float>(a[1]), static_cast<float>(a[2])});
        }
        d.feed(b, out);
    }
}

/// A jerk: a raised-cosine impulse of `dur_s` and `peak_g` on z, then 5 Hz ringing at `ring` of
/// the peak decaying with `decay_s` (0.08 s: a bed as science.md describes it).
Vec3 jerk(double t, double at_s, double dur_s, double peak_g, double ring = 0.4, double decay_s = 0.08) {
    const double tau = t - at_s;
    if (tau < 0) return {0, 0, 0};
    if (tau < dur_s) return {0.3 * peak_g * std::sin(PI * tau / dur_s), 0, peak_g * std::pow(std::sin(PI * tau / dur_s), 2)};
    const double r = tau - dur_s;
    if (r > std::max(0.5, 6 * decay_s)) return {0, 0, 0};
    return {0, 0, ring * peak_g * std::exp(-r / decay_s) * std::sin(2 * PI * 5 * r)};
}

}  // namespace

TEST_CASE("a single impulse is one twitch at its time, at 25, 50 and 100 Hz") {
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        Detector d(DetectorParams{});
        Body body;
        body.extra = [](double t) { return jerk(t, 30.0, 0.12, 0.15); };
        std::vector<DetectedMovement> out;
        feed(d, body, hz, 0, 60, out);
        d.flush(T0 + 60, out);
        REQUIRE(out.size() == 1);
        CHECK(out[0].type == MovementType::twitch);
        CHECK(out[0].start == Approx(T0 + 30).margin(0.1));
        CHECK(out[0].duration_s < 0.5);
        CHECK(out[0].peak_g > 0.04);
        CHECK(out[0].peak_g < 0.2);
        CHECK_FALSE(out[0].gravity_shift);
        CHECK(d.sample_rate_hz() == hz);
    }
}

TEST_CASE("mattress ringing does not stretch a long jerk past the twitch limit") {
    Detector d(DetectorParams{});
    Body body;
    // 250 ms impulse, ringing starting at half the peak: the longest jerk science.md describes.
    body.extra = [](double t) { return jerk(t, 20.0, 0.25, 0.3, 0.5); };
    std::vector<DetectedMovement> out;
    feed(d, body, 50, 0, 40, out);
    d.flush(T0 + 40, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MovementType::twitch);
    CHECK(out[0].duration_s < 0.5);
}

TEST_CASE("two seconds of 3 Hz movement are one limb movement") {
    Detector d(DetectorParams{});
    Body body;
    body.extra = [](double t) -> Vec3 {
        if (t < 20 || t > 22) return {0, 0, 0};
        const double a = 0.04 * std::sin(2 * PI * 3 * (t - 20));
        return {a, 0.5 * a, 0.3 * a};
    };
    std::vector<DetectedMovement> out;
    feed(d, body, 50, 0, 40, out);
    d.flush(T0 + 40, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MovementType::limb_movement);
    CHECK(out[0].start == Approx(T0 + 20).margin(0.3));
    CHECK(out[0].duration_s == Approx(2.0).margin(0.4));
    CHECK_FALSE(out[0].gravity_shift);
}

TEST_CASE("an hour of heartbeat, breathing and noise gives no movement") {
    for (double hz : {25.0, 50.0}) {
        INFO("hz " << hz);
        Detector d(DetectorParams{});
        Body body;
        body.noise_g = 0.003;
        std::vector<DetectedMovement> out;
        feed(d, body, hz, 0, 3600, out);
        d.flush(T0 + 3600, out);
        CHECK(out.empty());
        std::vector<EpochActivity> epochs;
        d.take_epochs(epochs);
        REQUIRE(epochs.size() == 60);
        for (const auto& e : epochs) {
            CHECK(e.activity == 0);
            CHECK(e.active_s == 0);
        }
    }
}

TEST_CASE("a posture change is a large movement with a gravity shift") {
    Detector d(DetectorParams{});
    Body body;
    // 6 s of movement during which gravity turns by 20 degrees about x.
    body.extra = [](double t) -> Vec3 {
        const double x = std::clamp((t - 21) / 4, 0.0, 1.0);
        const double ang = 20 * PI / 180 * x * x * (3 - 2 * x);
        const Vec3 g0{0.05, -0.1, 0.99};
        const Vec3 g{g0[0], g0[1] * std::cos(ang) - g0[2] * std::sin(ang), g0[1] * std::sin(ang) + g0[2] * std::cos(ang)};
        Vec3 e{g[0] - g0[0], g[1] - g0[1], g[2] - g0[2]};
        if (t >= 20 && t <= 26) {
            const double s = 0.1 * std::sin(2 * PI * 2.3 * t) + 0.06 * std::sin(2 * PI * 5.1 * t + 1);
            e[0] += s;
            e[2] += 0.5 * s;
        }
        return e;
    };
    std::vector<DetectedMovement> out;
    feed(d, body, 50, 0, 45, out);
    d.flush(T0 + 45, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MovementType::large_movement);
    CHECK(out[0].gravity_shift);
    CHECK(out[0].start == Approx(T0 + 20).margin(0.5));
    CHECK(out[0].duration_s == Approx(6).margin(1));
}

TEST_CASE("the same movement without a gravity shift stays a limb movement; beyond lm_max_s it is large") {
    for (double len : {6.0, 12.0}) {
        INFO("length " << len);
        Detector d(DetectorParams{});
        Body body;
        body.extra = [len](double t) -> Vec3 {
            if (t < 20 || t > 20 + len) return {0, 0, 0};
            return {0.05 * std::sin(2 * PI * 2.3 * t), 0.03 * std::sin(2 * PI * 4.1 * t), 0};
        };
        std::vector<DetectedMovement> out;
        feed(d, body, 50, 0, 50, out);
        d.flush(T0 + 50, out);
        REQUIRE(out.size() == 1);
        CHECK_FALSE(out[0].gravity_shift);
        CHECK(out[0].type == (len > 10 ? MovementType::large_movement : MovementType::limb_movement));
    }
}

TEST_CASE("a gap ends the movement in progress and lowers the epoch's coverage") {
    Detector d(DetectorParams{}, 60);
    Body body;
    body.extra = [](double t) -> Vec3 {
        if (t < 20 || t > 26) return {0, 0, 0};
        return {0.05 * std::sin(2 * PI * 3 * t), 0, 0};
    };
    std::vector<DetectedMovement> out;
    feed(d, body, 50, 0, 23, out);   // the movement is cut at 23 s
    feed(d, body, 50, 40, 130, out);  // data resumes at 40 s
    d.flush(T0 + 130, out);
    REQUIRE_FALSE(out.empty());
    CHECK(out[0].start == Approx(T0 + 20).margin(0.3));
    CHECK(out[0].start + out[0].duration_s <= T0 + 23.2);
    std::vector<EpochActivity> epochs;
    d.take_epochs(epochs);
    REQUIRE(epochs.size() == 2);
    CHECK(epochs[0].coverage == Approx(43.0 / 60).margin(0.02));
    CHECK(epochs[0].active_s > 2);
    CHECK(epochs[0].activity > 0);
    CHECK(epochs[1].coverage == Approx(1.0).margin(0.02));
    CHECK(epochs[1].activity == 0);
    CHECK(d.consumed_until() == Approx(T0 + 130).margin(0.05));
}

TEST_CASE("re-delivered and overlapping batches are not counted twice") {
    Detector d(DetectorParams{});
    Body body;
    body.extra = [](double t) { return jerk(t, 20.3, 0.1, 0.2); };
    std::vector<DetectedMovement> out;
    std::vector<AccelBatch> batches;
    for (int s = 0; s < 40; ++s) {
        AccelBatch b;
        b.t0 = T0 + s;
        b.hz = 50;
        for (int i = 0; i < 50; ++i) {
            const Vec3 a = body.at(s + i / 50.0);
            b.xyz_g.push_back({static_cast<float>(a[0]), static_cast<float>(a[1]), static_cast<float>(a[2])});
        }
        batches.push_back(b);
    }
    for (std::size_t i = 0; i < batches.size(); ++i) {
        d.feed(batches[i], out);
        if (i > 0) d.feed(batches[i - 1], out);  // QoS 1 re-delivery
    }
    d.flush(T0 + 40, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].start == Approx(T0 + 20.3).margin(0.1));
}

TEST_CASE("a one-axis scalar stream finds an impulse once its floor is known") {
    Detector d(DetectorParams{});
    std::mt19937_64 rng(7);
    std::normal_distribution<double> n01(0, 1);
    std::vector<DetectedMovement> out;
    for (int s = 0; s < 40; ++s) {
        ScalarBatch b;
        b.t0 = T0 + s;
        b.hz = 25;
        for (int i = 0; i < 25; ++i) {
            const double t = s + i / 25.0;
            // A load cell in arbitrary units: a large static level, breathing, noise, one impulse.
            double v = 5000 + 20 * std::sin(2 * PI * 0.25 * t) + 3 * n01(rng);
            if (t >= 25 && t < 25.2) v += 150 * std::sin(PI * (t - 25) / 0.2);
            b.v.push_back(static_cast<float>(v));
        }
        d.feed(b, out);
    }
    d.flush(T0 + 40, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == MovementType::twitch);
    CHECK(out[0].start == Approx(T0 + 25).margin(0.15));
    CHECK_FALSE(out[0].gravity_shift);
}

TEST_CASE("hostile batches are ignored or end the segment, never crash") {
    Detector d(DetectorParams{});
    std::vector<DetectedMovement> out;
    AccelBatch empty;
    empty.t0 = T0;
    empty.hz = 50;
    d.feed(empty, out);
    AccelBatch zero_rate;
    zero_rate.t0 = T0;
    zero_rate.hz = 0;
    zero_rate.xyz_g.push_back({0, 0, 1});
    d.feed(zero_rate, out);
    AccelBatch nan_rate = zero_rate;
    nan_rate.hz = std::numeric_limits<double>::quiet_NaN();
    d.feed(nan_rate, out);
    CHECK(d.sample_rate_hz() == 0);
    CHECK(d.consumed_until() == 0);

    Body body;
    feed(d, body, 50, 0, 10, out);
    AccelBatch bad;
    bad.t0 = T0 + 10;
    bad.hz = 50;
    for (int i = 0; i < 50; ++i) bad.xyz_g.push_back({0, std::numeric_limits<float>::infinity(), 1});
    d.feed(bad, out);
    feed(d, body, 50, 11, 30, out);
    d.flush(T0 + 30, out);
    CHECK(out.empty());
    std::vector<EpochActivity> epochs;
    d.take_epochs(epochs);
    CHECK(epochs.empty());  // the epoch [0, 60) is not over yet
}

TEST_CASE("a change of sample rate restarts the filters without inventing movement") {
    Detector d(DetectorParams{});
    Body body;
    std::vector<DetectedMovement> out;
    feed(d, body, 50, 0, 30, out);
    feed(d, body, 100, 30, 60, out);
    d.flush(T0 + 60, out);
    CHECK(out.empty());
    CHECK(d.sample_rate_hz() == 100);
}

namespace {

bool same(const DetectedMovement& a, const DetectedMovement& b) {
    return a.type == b.type && a.start == b.start && a.duration_s == b.duration_s && a.peak_g == b.peak_g &&
           a.gravity_shift == b.gravity_shift && a.on_g == b.on_g && a.crest_g == b.crest_g && a.rise_s == b.rise_s &&
           a.decay_s == b.decay_s && a.impulse == b.impulse && a.twitch_limit_s == b.twitch_limit_s &&
           a.on_top == b.on_top && a.peak_after_s == b.peak_after_s;
}

bool same(const EpochActivity& a, const EpochActivity& b) {
    return a.start == b.start && a.activity == b.activity && a.coverage == b.coverage && a.active_s == b.active_s;
}

/// A body with a twitch, a limb movement and a posture change inside one 3-minute stretch, and a
/// short crest 1 s before a second limb movement (the two are one movement).
Body busy_body() {
    Body body;
    body.extra = [](double t) {
        Vec3 v = jerk(t, 70.3, 0.12, 0.12);
        if (t >= 118 && t < 118.15) v[2] += 0.05 * std::sin(PI * (t - 118) / 0.15);
        if (t >= 119.2 && t < 121.2) v[0] += 0.03 * std::sin(2 * PI * 3 * (t - 119.2));
        if (t >= 100 && t < 102.5) v[0] += 0.03 * std::sin(2 * PI * 3 * t);
        if (t >= 140 && t < 146) {
            v[1] += 0.08 * std::sin(2 * PI * 2 * t);
            v[2] += 0.08 * std::sin(2 * PI * 1.3 * t);
        }
        return v;
    };
    return body;
}

}  // namespace

TEST_CASE("a detector restored from its saved state continues sample for sample", "[detect][restart]") {
    for (double hz : {25.0, 100.0}) {
        // Split points: before the floor is known, inside the twitch and its ringing, inside the
        // limb movement, in the merge gap after it, inside the posture change, in quiet time.
        // Also while the crest before the second limb movement waits for it (119) and while that
        // movement runs with the crest set aside (120).
        for (double split_s : {3.0, 71.0, 101.0, 103.0, 119.0, 120.0, 143.0, 160.0}) {
            INFO("hz " << hz << ", split at " << split_s << " s");
            Body body_a = busy_body(), body_b = busy_body();
            Detector whole(DetectorParams{});
            std::vector<DetectedMovement> want, got;
            std::vector<EpochActivity> want_epochs, got_epochs;
            feed(whole, body_a, hz, 0, 200, want);
            whole.flush(T0 + 200, want);
            whole.take_epochs(want_epochs);

            Detector first(DetectorParams{});
            feed(first, body_b, hz, 0, split_s, got);
            first.take_epochs(got_epochs);
            state_text::Writer w;
            first.save_state(w);
            Detector second(DetectorParams{});
            state_text::Reader r(w.str());
            REQUIRE(second.restore_state(r));
            CHECK(second.consumed_until() == first.consumed_until());
            CHECK(second.sample_rate_hz() == hz);
            feed(second, body_b, hz, split_s, 200, got);
            second.flush(T0 + 200, got);
            second.take_epochs(got_epochs);

            REQUIRE(want.size() >= 3);
            REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < want.size(); ++i) CHECK(same(got[i], want[i]));
            REQUIRE(got_epochs.size() == want_epochs.size());
            for (std::size_t i = 0; i < want_epochs.size(); ++i) CHECK(same(got_epochs[i], want_epochs[i]));
        }
    }
}

namespace {

/// The checkpoint text of a detector that has seen [0, to_s) seconds of `body` at 25 Hz, and
/// (when asked) the time up to which it had consumed samples.
std::string saved_after(Body body, double to_s, UnixS* consumed = nullptr) {
    Detector src(DetectorParams{});
    std::vector<DetectedMovement> out;
    feed(src, body, 25, 0, to_s, out);
    state_text::Writer w;
    src.save_state(w);
    if (consumed) *consumed = src.consumed_until();
    return w.str();
}

}  // namespace

TEST_CASE("a damaged detector state is refused and leaves the detector as it was", "[detect][restart][hostile]") {
    UnixS src_consumed = 0;
    const std::string good = saved_after(busy_body(), 90, &src_consumed);

    std::vector<std::string> bad{
        "",
        "garbage",
        "detector-1",
        "detector-1 nan 3",
        "detector-1 25 2",           // two channels: no such sensor
        "detector-1 1e9 3",          // absurd rate
        "detector-1 0 3 end",        // a channel count without a rate
        good.substr(0, good.size() / 2),
        good.substr(0, good.size() - 14),  // the end marker cut off
    };
    // One number replaced by NaN, one by a word, one window length changed.
    std::string nan_in = good;
    nan_in.replace(nan_in.find(' ', 20) + 1, 1, "nan ");
    bad.push_back(nan_in);
    std::string word_in = good;
    word_in.replace(word_in.find(' ', 40) + 1, 1, "x");
    bad.push_back(word_in);
    for (const auto& text : bad) {
        INFO(text.substr(0, 60));
        Detector d(DetectorParams{});
        Body again = busy_body();
        std::vector<DetectedMovement> before;
        feed(d, again, 25, 0, 10, before);
        const UnixS consumed = d.consumed_until();
        state_text::Reader r(text);
        CHECK_FALSE(d.restore_state(r));
        CHECK(d.consumed_until() == consumed);
    }
    // And the good text is accepted (so the cases above fail for their damage only).
    Detector d(DetectorParams{});
    state_text::Reader r(good);
    CHECK(d.restore_state(r));
    CHECK(d.consumed_until() == src_consumed);
}

// ---- twitch rules: noise crests, impulses seen first by the sustain envelope, crests of limb movements

namespace {

Vec3 operator+(Vec3 a, const Vec3& b) {
    for (std::size_t k = 0; k < 3; ++k) a[k] += b[k];
    return a;
}

/// Sensor noise with heavy tails (Laplace, `scale_g` per axis): its largest values in a second
/// spread far more than a Gaussian floor of the same median would suggest.
std::function<Vec3(double)> laplace_noise(double scale_g, std::uint64_t seed, std::function<Vec3(double)> plus) {
    auto rng = std::make_shared<std::mt19937_64>(seed);
    return [rng, scale_g, plus](double t) {
        std::exponential_distribution<double> e(1.0);
        Vec3 v = plus(t);
        for (double& q : v) q += scale_g * (e(*rng) - e(*rng));
        return v;
    };
}

std::vector<DetectedMovement> run(Body& body, double hz, double seconds) {
    Detector d(DetectorParams{});
    std::vector<DetectedMovement> out;
    feed(d, body, hz, 0, seconds, out);
    d.flush(T0 + seconds, out);
    return out;
}

int count_near(const std::vector<DetectedMovement>& v, double at_s, MovementType type, double tol_s = 0.5) {
    return static_cast<int>(std::count_if(v.begin(), v.end(), [&](const DetectedMovement& m) {
        return m.type == type && std::abs(m.start - (T0 + at_s)) <= tol_s;
    }));
}

}  // namespace

TEST_CASE("a short burst no higher than the noise's own crests is no twitch; a jerk above them is", "[detect][twitch]") {
    const double hz = 50;
    auto body_with = [](double peak_g) {
        Body b;
        b.noise_g = 0;
        b.extra = laplace_noise(0.003, 7, [peak_g](double t) { return jerk(t, 100.0, 0.1, peak_g, 0.0); });
        return b;
    };
    // A strong jerk shows where the thresholds stand, and how its envelope peak scales.
    Body strong = body_with(0.3);
    const auto ref = run(strong, hz, 130);
    REQUIRE(count_near(ref, 100, MovementType::twitch) == 1);
    const auto& j = *std::find_if(ref.begin(), ref.end(), [](const DetectedMovement& m) { return m.type == MovementType::twitch; });
    INFO("on " << j.on_g << " g, crest " << j.crest_g << " g");
    // Heavy tails: the crest the noise reaches in many nights is well above the on threshold.
    REQUIRE(j.crest_g > 1.3 * j.on_g);
    const double per_g = j.peak_g / 0.3;

    // The same jerk scaled to peak between the on threshold and the crest: above the floor's
    // ordinary spread, but no higher than the noise itself gets. No event.
    const double between_g = 0.5 * (j.on_g + j.crest_g) / per_g;
    Body weak = body_with(between_g);
    CHECK(count_near(run(weak, hz, 130), 100, MovementType::twitch) == 0);
    // Twice the crest: a twitch.
    Body clear = body_with(2 * j.crest_g / per_g);
    CHECK(count_near(run(clear, hz, 130), 100, MovementType::twitch) == 1);
}

TEST_CASE("an hour of heavy-tailed noise gives no twitch at 25, 50 and 100 Hz", "[detect][twitch]") {
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        Body b;
        b.noise_g = 0;
        b.extra = laplace_noise(0.003, 11, [](double) { return Vec3{0, 0, 0}; });
        const auto out = run(b, hz, 3600);
        CHECK(std::count_if(out.begin(), out.end(), [](const DetectedMovement& m) { return m.type == MovementType::twitch; }) == 0);
    }
}

TEST_CASE("a jerk the sustain envelope notices first is still one short twitch at its impulse", "[detect][twitch]") {
    // At 100 Hz the 0.3 s sustain envelope, with less noise, crosses its threshold before the
    // short one; the jerk's length must still be counted from the impulse.
    for (double peak_g : {0.06, 0.19, 0.36}) {
        INFO("peak " << peak_g << " g");
        Body b;
        b.noise_g = 0.004;
        b.extra = [peak_g](double t) { return jerk(t, 30.0, 0.24, peak_g, 0.3); };
        const auto out = run(b, 100, 60);
        REQUIRE(out.size() == 1);
        CHECK(out[0].type == MovementType::twitch);
        CHECK(out[0].start == Approx(T0 + 30).margin(0.15));
        CHECK(out[0].duration_s < 0.5);
    }
}

TEST_CASE("a short crest next to a limb movement is part of it; short bursts alone stay twitches", "[detect][twitch]") {
    auto lm = [](double t, double from, double len) -> Vec3 {
        if (t < from || t >= from + len) return {0, 0, 0};
        const double a = 0.03 * std::sin(2 * PI * 3 * (t - from));
        return {a, 0.5 * a, 0.3 * a};
    };
    auto crest = [](double t, double at) -> Vec3 {
        if (t < at || t >= at + 0.15) return {0, 0, 0};
        return {0, 0, 0.05 * std::sin(PI * (t - at) / 0.15)};
    };
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        SECTION("a crest 1 s before") {
            Body b;
            b.extra = [&](double t) { return crest(t, 20) + lm(t, 21.15, 2); };
            const auto out = run(b, hz, 40);
            REQUIRE(out.size() == 1);
            CHECK(out[0].type == MovementType::limb_movement);
            CHECK(out[0].start == Approx(T0 + 20).margin(0.15));
            CHECK(out[0].duration_s == Approx(3.15).margin(0.4));
        }
        SECTION("a crest 1 s after") {
            Body b;
            b.extra = [&](double t) { return lm(t, 20, 2) + crest(t, 23); };
            const auto out = run(b, hz, 40);
            REQUIRE(out.size() == 1);
            CHECK(out[0].type == MovementType::limb_movement);
            CHECK(out[0].start == Approx(T0 + 20).margin(0.3));
            CHECK(out[0].duration_s == Approx(3.15).margin(0.4));
        }
        SECTION("two jerks 1 s apart are two twitches") {
            Body b;
            b.extra = [](double t) { return jerk(t, 20, 0.1, 0.15) + jerk(t, 21.1, 0.1, 0.15); };
            const auto out = run(b, hz, 40);
            CHECK(count_near(out, 20, MovementType::twitch) == 1);
            CHECK(count_near(out, 21.1, MovementType::twitch) == 1);
            CHECK(out.size() == 2);
        }
        SECTION("a jerk 3 s before a limb movement is its own twitch") {
            Body b;
            b.extra = [&](double t) { return jerk(t, 20, 0.1, 0.15) + lm(t, 23.2, 2); };
            const auto out = run(b, hz, 40);
            CHECK(count_near(out, 20, MovementType::twitch) == 1);
            CHECK(count_near(out, 23.2, MovementType::limb_movement) == 1);
            CHECK(out.size() == 2);
        }
    }
}

TEST_CASE("a short burst that rises slowly is the crest of a limb movement, one that rises at once is a twitch",
          "[detect][twitch]") {
    // The same 6 Hz oscillation and the same peak; one climbs to it over 0.8 s and stops, the
    // other starts at full strength and lasts as long as the first one stays above threshold.
    auto burst = [](double t, double from, double ramp_s, double hold_s) -> Vec3 {
        const double tau = t - from;
        if (tau < 0 || tau >= ramp_s + hold_s) return {0, 0, 0};
        const double env = tau < ramp_s ? tau / ramp_s : 1.0;
        const double a = 0.03 * env * std::sin(2 * PI * 6 * tau);
        return {0.3 * a, 0.2 * a, a};
    };
    for (double hz : {50.0, 100.0}) {
        INFO("hz " << hz);
        Body slow;
        slow.extra = [&](double t) { return burst(t, 20, 0.8, 0.0); };
        const auto out_slow = run(slow, hz, 40);
        REQUIRE(out_slow.size() == 1);
        CHECK(out_slow[0].type == MovementType::limb_movement);
        Body fast;
        fast.extra = [&](double t) { return burst(t, 20, 0.0, 0.25); };
        const auto out_fast = run(fast, hz, 40);
        REQUIRE(out_fast.size() == 1);
        CHECK(out_fast[0].type == MovementType::twitch);
        CHECK(out_fast[0].rise_s <= 0.1);
    }
}

TEST_CASE("a short limb movement whose ramps lie under the on level is timed from where it rose above the off level",
          "[detect][twitch]") {
    // A 6 Hz movement of 0.56-0.6 s with 0.15 s raised-cosine ramps at each end, a few times
    // stronger than the on threshold: its envelope climbs from the off to the on level within
    // 0.02-0.05 s (well within RISE_MAX_S, so not a slow crest), and from the on crossing to where it
    // falls below the off level it lasts just under 0.5 s. Counted from where it first rose above the
    // off level, as its end is counted at the off level, it lasts longer than a twitch.
    struct Case {
        double hz, dur_s, amp_g;
    };
    for (const Case& k : {Case{50, 0.6, 0.02}, Case{100, 0.56, 0.03}, Case{100, 0.58, 0.03}}) {
        INFO("hz " << k.hz << ", " << k.dur_s << " s, " << k.amp_g << " g");
        Body body;
        body.extra = [&](double t) -> Vec3 {
            const double tau = t - 30, ramp = 0.15;
            if (tau < 0 || tau >= k.dur_s) return {0, 0, 0};
            double env = 1;
            if (tau < ramp) env = 0.5 - 0.5 * std::cos(PI * tau / ramp);
            else if (tau > k.dur_s - ramp) env = 0.5 - 0.5 * std::cos(PI * (k.dur_s - tau) / ramp);
            const double a = k.amp_g * env * std::sin(2 * PI * 6 * tau);
            return {0.3 * a, 0.2 * a, a};
        };
        const auto out = run(body, k.hz, 60);
        REQUIRE(out.size() == 1);
        CHECK(out[0].type == MovementType::limb_movement);
        CHECK(out[0].rise_s > 0);
        CHECK(out[0].rise_s <= 0.1);
        CHECK(out[0].duration_s >= 0.5);
        CHECK(out[0].duration_s - out[0].rise_s < 0.5);  // from the on crossing alone: twitch length
        CHECK(out[0].start == Approx(T0 + 30).margin(0.2));
    }
}

TEST_CASE("a short burst of two strokes is a limb movement; one stroke with its ringing is a twitch", "[detect][twitch]") {
    // Two 0.12 s strokes 0.15 s apart (0.39 s in all): between them the short envelope falls below
    // the release level, then comes back as high. A jerk is one impulse whose ringing only decays.
    auto stroke = [](double t, double at) -> Vec3 {
        const double tau = t - at;
        if (tau < 0 || tau >= 0.12) return {0, 0, 0};
        const double a = 0.1 * std::pow(std::sin(PI * tau / 0.12), 2);
        return {0.2 * a, 0.3 * a, a};
    };
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        Body two;
        two.extra = [&](double t) { return stroke(t, 30) + stroke(t, 30.27); };
        const auto out = run(two, hz, 60);
        REQUIRE(out.size() == 1);
        CHECK(out[0].type == MovementType::limb_movement);
        CHECK(out[0].start == Approx(T0 + 30).margin(0.15));
        Body one;
        one.extra = [](double t) { return jerk(t, 30, 0.12, 0.1, 0.5); };
        const auto single = run(one, hz, 60);
        REQUIRE(single.size() == 1);
        CHECK(single[0].type == MovementType::twitch);
    }
}

namespace {

constexpr std::size_t GRAVITY_BLOCKS_IN_TEST = 24;  // the detector's gravity history (6 s of 0.25 s blocks)

/// Rewrites a detector-5 section as the section an older version (1, 2 or 4) would have written
/// for the same state. Versions 1-4 lack the short envelope's recent values and each candidate's
/// jerks on top of it. Versions 1-3 hold the exact running median's window (the last 2·half + 1
/// raw samples, which the decimated high-pass's history ends with) instead of the high-pass;
/// version 2 lacks the learnt impulse decays and each candidate's four decay fields; version 1
/// also the noise-crest statistics, each candidate's eight newer fields and the rise run.
/// `marks`, when given, receives where (index in words of the section) some of its lists start.
struct Marks {
    std::size_t decays = 0;            ///< the learnt impulse decays' count
    std::size_t hist = 0;              ///< the count of the short envelope's recent values
    std::vector<std::size_t> on_top;   ///< each candidate's count of jerks on top of it
};

std::string as_version(const std::string& v5, int version, Marks* marks = nullptr) {
    std::istringstream in(v5);
    std::vector<std::string> t;
    for (std::string w; in >> w;) t.push_back(w);
    std::vector<std::string> out;
    std::size_t i = 0;
    auto keep = [&](std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) out.push_back(t.at(i++));
    };
    auto keep_count = [&](std::size_t per, std::size_t extra) {  // a count n, `extra` fields, n * per values
        const auto n = std::stoul(t.at(i));
        keep(1 + extra + n * per);
    };
    auto candidate = [&]() {
        keep(3);
        const bool g = t.at(i) == "1";
        keep(1 + (g ? 3 : 0));
        keep(6);
        if (version >= 2) keep(8);
        else i += 8;
        if (version >= 3) keep(4);
        else i += 4;  // the decay fields (from version 3)
        if (marks) marks->on_top.push_back(i);
        i += 1 + 4 * std::stoul(t.at(i));  // the jerks on top of it (version 5)
    };
    REQUIRE(t.at(i) == "detector-5");
    out.push_back("detector-" + std::to_string(version));
    ++i;
    const double hz = std::stod(t.at(i));
    const int channels = std::stoi(t.at(i + 1));
    keep(2);
    if (hz > 0) {
        keep(4 + 3);
        for (int c = 0; c < channels && version >= 4; ++c) keep(5 + std::stoul(t.at(i + 3)));  // the same high-pass
        for (int c = 0; c < channels && version < 4; ++c) {  // high-pass: k, half points, phase, size, head, ring
            const auto k = std::stoul(t.at(i)), hp = std::stoul(t.at(i + 1)), n = std::stoul(t.at(i + 3));
            const auto head = std::stoul(t.at(i + 4));
            i += 5;
            std::vector<std::string> ring(t.begin() + static_cast<std::ptrdiff_t>(i), t.begin() + static_cast<std::ptrdiff_t>(i + n));
            std::rotate(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(head), ring.end());
            i += n;
            const std::size_t window = 2 * k * hp + 1;  // the exact median's, as its span is the same
            out.push_back(std::to_string(window));
            out.push_back("0");
            out.insert(out.end(), ring.end() - static_cast<std::ptrdiff_t>(window), ring.end());
        }
        if (version >= 4) keep(1);
        else REQUIRE(t.at(i++) == "0");  // samples to skip after an older restart: none here
        keep_count(1, 2);                                      // envelopes: size, head, sum, ring
        keep_count(1, 2);
        if (marks) marks->hist = i;
        i += 1 + std::stoul(t.at(i)) + 2;                      // the short envelope's recent values (version 5)
        keep_count(1, 0);                                      // the second's values
        keep_count(1, 0);
    }
    keep(2);
    keep_count(2, 2);  // floors: size, head, filled, (median, MAD) per second
    keep_count(2, 2);
    if (version >= 2) keep_count(1, 2);  // crest statistics
    else i += 3 + std::stoul(t.at(i));
    if (marks) marks->decays = i;
    if (version >= 3) keep_count(1, 0);
    else i += 1 + std::stoul(t.at(i));  // impulse decays (from version 3)
    keep(1 + 4 + 3 + GRAVITY_BLOCKS_IN_TEST * 4);
    keep(1);  // active
    candidate();
    if (t.at(i) == "1") {
        keep(1);
        candidate();
    } else {
        keep(1);
    }
    if (version >= 2) {
        const bool waiting = t.at(i) == "1";
        keep(1);
        if (waiting) candidate();
    } else {
        REQUIRE(t.at(i++) == "0");  // a neighbour waiting has no version 1 form; the splits avoid one
    }
    keep(1);  // last_end
    if (version >= 2) {
        const bool run = t.at(i) == "1";
        keep(run ? 2 : 1);
    } else if (t.at(i++) == "1") {
        ++i;  // the rise run
    }
    while (i < t.size()) out.push_back(t.at(i++));
    std::string s;
    for (const auto& w : out) s += w + ' ';
    return s;
}

}  // namespace

TEST_CASE("detector-1, -2 and -4 sections of older checkpoints are still resumed", "[detect][restart]") {
    // Split inside the limb movement (pending and in-progress candidates, no neighbour waiting).
    // At 100 Hz the high-pass is decimated: the older window is replayed on the segment's phase.
    // (The section is made from a newer detector, which had handed on k − 1 fewer samples than
    // an older one would have; the restart skips those as for an older one, so only the
    // movements, not the epochs' activity, are compared.)
    for (int version : {1, 2, 4}) {
        for (double split_s : {101.0, 160.0}) {
            for (double hz : {50.0, 100.0}) {
                INFO("version " << version << ", split at " << split_s << " s, " << hz << " Hz");
                Body body_a = busy_body(), body_b = busy_body();
                Detector whole(DetectorParams{});
                std::vector<DetectedMovement> want, got;
                feed(whole, body_a, hz, 0, 200, want);
                whole.flush(T0 + 200, want);

                Detector first(DetectorParams{});
                feed(first, body_b, hz, 0, split_s, got);
                state_text::Writer w;
                first.save_state(w);
                const std::string old = as_version(w.str(), version);
                Detector second(DetectorParams{});
                state_text::Reader r(old);
                REQUIRE(second.restore_state(r));
                CHECK(second.consumed_until() == first.consumed_until());
                feed(second, body_b, hz, split_s, 200, got);
                second.flush(T0 + 200, got);
                // The crest bound (version 1) and the ringing are learnt again after the restart, so only
                // the movements are compared.
                REQUIRE(got.size() == want.size());
                for (std::size_t i = 0; i < want.size(); ++i) {
                    CHECK(got[i].type == want[i].type);
                    CHECK(got[i].start == Approx(want[i].start).margin(1e-6));
                    CHECK(got[i].duration_s == Approx(want[i].duration_s).margin(1e-6));
                }
            }
        }
    }
}

namespace {

/// A body that jerks every 40 s from 30 s on, `count` times: impulses of `dur_s` at 0.2 g with
/// 5 Hz ringing starting at half the peak and decaying with `decay_s`.
Body jerking_body(int count, double dur_s, double decay_s) {
    Body body;
    body.extra = [=](double t) {
        Vec3 v{0, 0, 0};
        for (int k = 0; k < count; ++k) {
            const Vec3 j = jerk(t, 30.0 + 40.0 * k, dur_s, 0.2, 0.5, decay_s);
            for (std::size_t a = 0; a < 3; ++a) v[a] += j[a];
        }
        return v;
    };
    return body;
}

std::vector<DetectedMovement> detect(const DetectorParams& p, Body body, double hz, double to_s) {
    Detector d(p);
    std::vector<DetectedMovement> out;
    feed(d, body, hz, 0, to_s, out);
    d.flush(T0 + to_s, out);
    return out;
}

}  // namespace

TEST_CASE("a long jerk that peaks late is a twitch though the bed rings past twitch_max_s at the off level",
          "[detect][ringing][twitch]") {
    // A 340 ms impulse (longer than the 75-250 ms science.md gives, as a strong jerk can be) whose
    // ringing starts at 0.6 of the peak, on a bed that rings as science.md describes. The short
    // envelope peaks late and stays above the off level for more than 0.5 s, but it falls to the
    // release level within the limit, as fast as the bed rings: the body moved only that long.
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        Body body;
        body.extra = [](double t) { return jerk(t, 30.0, 0.34, 0.3, 0.6, 0.08); };
        const auto out = detect(DetectorParams{}, body, hz, 60);
        REQUIRE(out.size() == 1);
        CHECK(out[0].type == MovementType::twitch);
        CHECK(out[0].impulse);
        CHECK(out[0].twitch_limit_s == 0.5);  // nothing learnt: the fixed limit
        CHECK(out[0].duration_s < 0.5);
        CHECK(out[0].peak_after_s > 0.1);
    }
}

TEST_CASE("a jerk whose ringing lasts longer is never a twitch again once it was a limb movement", "[detect][ringing][twitch]") {
    // The same jerk on beds that ring longer and longer (decay 0.03-0.20 s in 5 ms steps): its fall
    // to the release level only lengthens, so once it is too long for a twitch it stays too long.
    // A jerk that reaches twitch_max_s only with its rise from the off level (one or two samples)
    // must be judged by its fall like one that reaches it without: otherwise a slightly shorter
    // ringing turned a twitch into a limb movement and back.
    for (double hz : {25.0, 50.0, 100.0})
        for (double dur_s : {0.2, 0.25, 0.3})
            for (double peak_g : {0.06, 0.2}) {
                std::string classes;
                for (int k = 0; k <= 34; ++k) {
                    const double decay_s = 0.03 + 0.005 * k;
                    Body body;
                    body.extra = [=](double t) { return jerk(t, 30.0, dur_s, peak_g, 0.6, decay_s); };
                    const auto out = detect(DetectorParams{}, body, hz, 60);
                    REQUIRE(out.size() == 1);
                    classes += out[0].type == MovementType::twitch ? 'T' : 'L';
                }
                INFO("hz " << hz << ", jerk " << dur_s << " s of " << peak_g << " g: " << classes);
                CHECK(classes.front() == 'T');
                const std::size_t first_limb = classes.find('L');
                CHECK((first_limb == std::string::npos || classes.find('T', first_limb) == std::string::npos));
            }
}

TEST_CASE("a movement that starts at full strength and fades over 0.6 s stays a limb movement", "[detect][ringing]") {
    // It rises as fast as a jerk and falls below half its peak within 0.5 s, but it fades far more
    // slowly than the bed rings: the body kept moving, so the fall to the release level is no
    // jerk's end, and its 0.6 s make it a limb movement.
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        Body body;
        body.extra = [](double t) -> Vec3 {
            const double tau = t - 30.0;
            if (tau < 0 || tau >= 0.6) return {0, 0, 0};
            const double a = 0.15 * (1 - tau / 0.6) * std::sin(2 * PI * 6 * tau);
            return {0.3 * a, 0.2 * a, a};
        };
        const auto out = detect(DetectorParams{}, body, hz, 60);
        REQUIRE(out.size() == 1);
        CHECK(out[0].type == MovementType::limb_movement);
        CHECK(out[0].decay_s > 0.3);
    }
}

TEST_CASE("a bed that rings longer stretches the twitch limit, learnt from its own impulses", "[detect][ringing]") {
    // 250 ms jerks on a bed whose ringing decays with 0.24 s (science.md: 0.06-0.11 s). Without
    // learning, their fall to the release level takes longer than twice the prior ringing time and
    // ends past the fixed 0.5 s limit, so at 25 Hz most are published as limb movements.
    DetectorParams fixed;
    fixed.ring_scale_max = 1;  // no learning
    const auto before = detect(fixed, jerking_body(10, 0.25, 0.24), 25, 440);
    REQUIRE(before.size() == 10);
    CHECK(std::count_if(before.begin(), before.end(), [](const auto& m) { return m.type != MovementType::twitch; }) >= 5);
    for (const auto& m : before) CHECK(m.twitch_limit_s == 0.5);
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        const auto out = detect(DetectorParams{}, jerking_body(10, 0.25, 0.24), hz, 440);
        REQUIRE(out.size() == 10);
        for (std::size_t k = 0; k < out.size(); ++k) {
            INFO("jerk " << k);
            CHECK(out[k].start == Approx(T0 + 30 + 40.0 * static_cast<double>(k)).margin(0.1));
            CHECK(out[k].impulse);
            CHECK(out[k].decay_s > 0.18);
            // The first three teach before the limit moves; from then on each is a twitch.
            if (k < 3) CHECK(out[k].twitch_limit_s == 0.5);
            else {
                CHECK(out[k].twitch_limit_s > 0.55);
                CHECK(out[k].twitch_limit_s <= 0.8);
                CHECK(out[k].type == MovementType::twitch);
                CHECK(out[k].duration_s < out[k].twitch_limit_s);
            }
        }
    }
}

TEST_CASE("a bed that rings as science.md describes barely moves the twitch limit", "[detect][ringing]") {
    // 100 ms jerks, ringing decaying with 0.07 s: the limit stays within 10 % of twitch_max_s.
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        const auto out = detect(DetectorParams{}, jerking_body(8, 0.1, 0.07), hz, 360);
        REQUIRE(out.size() == 8);
        for (const auto& m : out) {
            CHECK(m.type == MovementType::twitch);
            CHECK(m.impulse);
            CHECK(m.twitch_limit_s >= 0.5);
            CHECK(m.twitch_limit_s <= 0.55);
        }
    }
}

TEST_CASE("the learnt stretch is bounded by ring_scale_max", "[detect][ringing]") {
    // Ringing that decays with 0.4 s: far beyond any mattress science.md describes.
    const auto out = detect(DetectorParams{}, jerking_body(8, 0.25, 0.4), 50, 360);
    REQUIRE(out.size() >= 8);
    for (const auto& m : out) CHECK(m.twitch_limit_s <= 0.5 * DetectorParams{}.ring_scale_max + 1e-12);
    CHECK(out.back().twitch_limit_s > 0.5);
}

TEST_CASE("limb movements and double strokes teach nothing about the bed's ringing", "[detect][ringing]") {
    Body body;
    body.extra = [](double t) -> Vec3 {
        Vec3 v{0, 0, 0};
        for (int k = 0; k < 6; ++k) {
            // A limb movement that starts at full strength: a fast rise, but it goes on for 1.2 s.
            const double a0 = 20.0 + 60.0 * k;
            if (t >= a0 && t < a0 + 1.2) v[0] += 0.1 * std::sin(2 * PI * 3 * (t - a0));
            // Two strokes 0.3 s apart: each rises fast, but the envelope comes back after the first.
            const Vec3 j1 = jerk(t, a0 + 30, 0.1, 0.2, 0.1), j2 = jerk(t, a0 + 30.3, 0.1, 0.2, 0.1);
            for (std::size_t i = 0; i < 3; ++i) v[i] += j1[i] + j2[i];
        }
        return v;
    };
    const auto out = detect(DetectorParams{}, body, 50, 400);
    REQUIRE(out.size() >= 12);
    for (const auto& m : out) {
        INFO("at " << m.start - T0 << " s");
        CHECK_FALSE(m.impulse);
        CHECK(m.twitch_limit_s == 0.5);
    }
}

TEST_CASE("a detector restored after it learnt the ringing continues with the same limit", "[detect][ringing][restart]") {
    for (double split_s : {150.0, 191.0}) {  // quiet time; inside the fifth jerk's ringing
        INFO("split at " << split_s << " s");
        Body body_a = jerking_body(8, 0.25, 0.17), body_b = jerking_body(8, 0.25, 0.17);
        Detector whole(DetectorParams{}), first(DetectorParams{}), second(DetectorParams{});
        std::vector<DetectedMovement> want, got;
        feed(whole, body_a, 50, 0, 360, want);
        whole.flush(T0 + 360, want);
        feed(first, body_b, 50, 0, split_s, got);
        state_text::Writer w;
        first.save_state(w);
        state_text::Reader r(w.str());
        REQUIRE(second.restore_state(r));
        feed(second, body_b, 50, split_s, 360, got);
        second.flush(T0 + 360, got);
        REQUIRE(want.size() == 8);
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) CHECK(same(got[i], want[i]));
        CHECK(want.back().twitch_limit_s > 0.5);
    }
}

TEST_CASE("a damaged list of learnt impulse decays is refused", "[detect][ringing][restart][hostile]") {
    const std::string good = saved_after(jerking_body(4, 0.25, 0.17), 200);
    Marks marks;
    as_version(good, 2, &marks);
    const std::size_t at = marks.decays;
    std::istringstream in(good);
    std::vector<std::string> t;
    for (std::string s; in >> s;) t.push_back(s);
    REQUIRE(t.at(at) == "4");  // four decays learnt
    REQUIRE(at < t.size());
    for (const char* bad : {"-0.1", "nan", "5", "0"}) {
        INFO("decay " << bad);
        std::vector<std::string> b = t;
        b[at + 1] = bad;
        std::string text;
        for (const auto& s : b) text += s + ' ';
        Detector d(DetectorParams{});
        state_text::Reader r(text);
        CHECK_FALSE(d.restore_state(r));
    }
}

namespace {

/// A limb movement of `len_s` from `from_s`: two strokes (2.3 and 4.1 Hz) of `amp_g` each.
Vec3 strokes(double t, double from_s, double len_s, double amp_g) {
    if (t < from_s || t >= from_s + len_s) return {0, 0, 0};
    const double tau = t - from_s;
    return {amp_g * std::sin(2 * PI * 2.3 * tau), amp_g * std::sin(2 * PI * 4.1 * tau + 1), 0};
}

std::vector<DetectedMovement> on_top_of(const std::vector<DetectedMovement>& v) {
    std::vector<DetectedMovement> r;
    std::copy_if(v.begin(), v.end(), std::back_inserter(r), [](const DetectedMovement& m) { return m.on_top; });
    return r;
}

/// A 6 s limb movement from 20 s with a 0.15 s jerk on top of it at 23 s.
Body jerk_on_movement_body() {
    Body b;
    b.extra = [](double t) { return strokes(t, 20, 6, 0.015) + jerk(t, 23, 0.15, 0.15); };
    return b;
}

}  // namespace

TEST_CASE("a jerk on top of a limb movement in progress is a twitch beside it", "[detect][on_top]") {
    for (double hz : {25.0, 50.0, 100.0}) {
        INFO("hz " << hz);
        SECTION("in the middle of it") {
            Body b = jerk_on_movement_body();
            const auto out = run(b, hz, 45);
            REQUIRE(out.size() == 2);
            CHECK(count_near(out, 20, MovementType::limb_movement) == 1);
            const auto jerks = on_top_of(out);
            REQUIRE(jerks.size() == 1);
            CHECK(jerks[0].type == MovementType::twitch);
            CHECK(jerks[0].start == Approx(T0 + 23).margin(0.15));
            CHECK(jerks[0].duration_s <= 0.3);
            CHECK(jerks[0].peak_g > 0.05);
            CHECK(jerks[0].peak_after_s <= jerks[0].duration_s);
        }
        SECTION("where the movement starts") {
            Body b;
            b.extra = [](double t) { return strokes(t, 20, 6, 0.015) + jerk(t, 20, 0.15, 0.15); };
            const auto out = run(b, hz, 45);
            REQUIRE(out.size() == 2);
            CHECK(count_near(out, 20, MovementType::limb_movement) == 1);
            REQUIRE(on_top_of(out).size() == 1);
            CHECK(on_top_of(out)[0].start == Approx(T0 + 20).margin(0.15));
        }
        SECTION("the same limb movement without it has nothing on top") {
            Body b;
            b.extra = [](double t) { return strokes(t, 20, 6, 0.015); };
            const auto out = run(b, hz, 45);
            REQUIRE(out.size() == 1);
            CHECK(out[0].type == MovementType::limb_movement);
        }
    }
}

TEST_CASE("a jerk inside a short limb movement is no jerk on top: the movement must go on for a second beside it",
          "[detect][on_top]") {
    for (double hz : {50.0, 100.0}) {
        INFO("hz " << hz);
        Body b;
        // 1.6 s of movement with the jerk in its middle: 0.65-0.8 s on either side of it.
        b.extra = [](double t) { return strokes(t, 20, 1.6, 0.015) + jerk(t, 20.7, 0.15, 0.15); };
        const auto out = run(b, hz, 45);
        REQUIRE_FALSE(out.empty());
        CHECK(on_top_of(out).empty());
        CHECK(std::none_of(out.begin(), out.end(), [](const DetectedMovement& m) { return m.type == MovementType::twitch; }));
    }
}

TEST_CASE("the strokes of irregular limb movements are no jerks on top of them", "[detect][on_top]") {
    // Forty limb and large movements of 1.5-12 s, each two or three strokes of 0.7-8 Hz with random
    // weights, phases and directions under a slow swell (science.md: 0.5-10 s, 0.5-8 Hz), 0.01-0.1 g.
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    struct Move {
        double at, len, amp, swell_hz;
        int k;
        std::array<double, 3> f, ph, w;
        std::array<Vec3, 3> dir;
    };
    std::vector<Move> moves;
    for (int i = 0; i < 40; ++i) {
        Move m{};
        m.at = 20 + 30.0 * i;
        m.len = 1.5 + 10.5 * u(rng);
        m.amp = 0.01 + 0.09 * u(rng);
        m.swell_hz = 0.1 + 0.5 * u(rng);
        m.k = 2 + static_cast<int>(2 * u(rng));
        for (int j = 0; j < 3; ++j) {
            m.f[j] = 0.7 + 7.3 * u(rng);
            m.ph[j] = 2 * PI * u(rng);
            m.w[j] = 0.3 + 0.7 * u(rng);
            m.dir[j] = {u(rng) - 0.5, u(rng) - 0.5, u(rng) - 0.5};
        }
        moves.push_back(m);
    }
    Body b;
    b.extra = [&moves](double t) {
        Vec3 v{0, 0, 0};
        for (const Move& m : moves) {
            const double tau = t - m.at;
            if (tau < 0 || tau >= m.len) continue;
            const double ramp = std::min(0.15, m.len / 4);
            double env = 1;
            if (tau < ramp) env = 0.5 - 0.5 * std::cos(PI * tau / ramp);
            else if (tau > m.len - ramp) env = 0.5 - 0.5 * std::cos(PI * (m.len - tau) / ramp);
            env *= 0.65 + 0.35 * std::sin(2 * PI * m.swell_hz * tau);
            for (int j = 0; j < m.k; ++j)
                for (std::size_t a = 0; a < 3; ++a)
                    v[a] += m.amp * env * m.w[j] * std::sin(2 * PI * m.f[j] * tau + m.ph[j]) * m.dir[j][a];
        }
        return v;
    };
    for (double hz : {25.0, 100.0}) {
        INFO("hz " << hz);
        Body body = b;
        const auto out = run(body, hz, 20 + 30.0 * 40);
        CHECK(out.size() >= 30);  // the weakest few stay under the on level
        CHECK(on_top_of(out).empty());
        for (const auto& m : out) CHECK(m.type != MovementType::twitch);
    }
}

TEST_CASE("a detector restored while a jerk on top waits for its movement continues sample for sample",
          "[detect][on_top][restart]") {
    // Before the jerk (23), about when its surroundings have come in (24), after it was noted (25),
    // and after the movement ended while it waits for the merge gap (27). Batches are whole seconds.
    for (double hz : {25.0, 100.0}) {
        for (double split_s : {23.0, 24.0, 25.0, 27.0}) {
            INFO("hz " << hz << ", split at " << split_s << " s");
            Body body_a = jerk_on_movement_body(), body_b = jerk_on_movement_body();
            Detector whole(DetectorParams{}), first(DetectorParams{}), second(DetectorParams{});
            std::vector<DetectedMovement> want, got;
            feed(whole, body_a, hz, 0, 45, want);
            whole.flush(T0 + 45, want);
            feed(first, body_b, hz, 0, split_s, got);
            state_text::Writer w;
            first.save_state(w);
            state_text::Reader r(w.str());
            REQUIRE(second.restore_state(r));
            feed(second, body_b, hz, split_s, 45, got);
            second.flush(T0 + 45, got);
            REQUIRE(on_top_of(want).size() == 1);
            REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < want.size(); ++i) CHECK(same(got[i], want[i]));
        }
    }
}

TEST_CASE("a damaged list of jerks on top or of recent envelope values is refused", "[detect][on_top][restart][hostile]") {
    // At 25 s the movement is in progress and carries the jerk it had on top.
    Detector src(DetectorParams{});
    Body body = jerk_on_movement_body();
    std::vector<DetectedMovement> out;
    feed(src, body, 25, 0, 25, out);
    state_text::Writer w;
    src.save_state(w);
    const std::string good = w.str();
    Marks marks;
    as_version(good, 4, &marks);
    std::istringstream in(good);
    std::vector<std::string> t;
    for (std::string s; in >> s;) t.push_back(s);
    REQUIRE(t.at(marks.on_top.at(0)) == "1");  // the movement in progress: one jerk on top
    const std::size_t j = marks.on_top.at(0) + 1;   // its start, duration, peak, time to peak
    const std::size_t h = marks.hist;
    auto text_of = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += x + ' ';
        return s;
    };
    {
        Detector d(DetectorParams{});
        state_text::Reader r(text_of(t));
        REQUIRE(d.restore_state(r));
    }
    std::vector<std::vector<std::string>> bad;
    for (auto [at, value] : std::initializer_list<std::pair<std::size_t, const char*>>{
             {j + 1, "5"}, {j + 1, "0"}, {j + 1, "nan"}, {j + 3, "-0.1"}, {j + 3, "0.9"},  // duration, time to peak
             {j - 1, "65"},                                                            // more than a movement holds
             {h, "3"}, {h + 1, "-1"}, {h + 1, "inf"},                                  // recent values
             {h + 1 + std::stoul(t.at(h)), "100000"}}) {                                // their head
        auto b = t;
        b.at(at) = value;
        bad.push_back(b);
    }
    for (const auto& b : bad) {
        INFO(text_of(b).substr(0, 80));
        Detector d(DetectorParams{});
        state_text::Reader r(text_of(b));
        CHECK_FALSE(d.restore_state(r));
    }
}

