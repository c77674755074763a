// The detector's decimated median baseline against a direct computation, the exact running median, and the physics it must keep (oscillation and impulse leak, step, restarts).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iomanip>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "plugin/detect/baseline.hpp"
#include "plugin/detect/running_median.hpp"
#include "plugin/detect/state_text.hpp"

using namespace hypnic;

namespace {

constexpr double PI = 3.14159265358979323846;
// The detector's rule (detector.cpp): baseline at 50 Hz or faster, window span exact.
constexpr double MIN_RATE_HZ = 50;

/// The exact median's half window at `hz` for the default 0.5 Hz high-pass (a 1 s window).
std::size_t default_half(double hz) { return static_cast<std::size_t>(std::max(1.0, std::round(0.5 * 1.0 * hz))); }

std::uint64_t bits(double x) {
    std::uint64_t b = 0;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

/// The baseline of sample m computed directly from the whole signal (x[i < 0] = x[0]): medians
/// of every k-th sample around the evaluation points before and after m, interpolated. Past the
/// end the signal stays at its last sample (the detector's padding).
double direct_baseline(const std::vector<double>& x, DecimatedMedian::Shape s, long long m) {
    const auto k = static_cast<long long>(s.k);
    const auto h = static_cast<long long>(s.half_points);
    auto at = [&](long long i) { return x[static_cast<std::size_t>(std::clamp(i, 0LL, static_cast<long long>(x.size()) - 1))]; };
    auto point = [&](long long j) {
        std::vector<double> w;
        for (long long d = -h; d <= h; ++d) w.push_back(at((j + d) * k));
        std::sort(w.begin(), w.end());
        return w[w.size() / 2];
    };
    const long long j = m >= 0 ? m / k : -((-m + k - 1) / k);
    const long long r = m - j * k;
    const double a = point(j);
    if (r == 0) return a;
    const double b = point(j + 1);
    return a + (static_cast<double>(r) / static_cast<double>(k)) * (b - a);
}

/// Runs `x` through a filter of shape `s` and returns the baseline of every sample 0..n-1 (the
/// end padded with the last sample, as the detector does).
std::vector<double> baselines(const std::vector<double>& x, DecimatedMedian::Shape s) {
    DecimatedMedian f;
    f.reset(s, x.front());
    std::vector<double> out;
    const std::size_t d = s.delay();
    for (std::size_t i = 0; i < x.size() + d; ++i) {
        f.push(i < x.size() ? x[i] : x.back());
        if (i >= d) out.push_back(f.baseline());
    }
    return out;
}

/// The exact centred running median over 2·half + 1 samples, sample for sample (same padding).
std::vector<double> exact_baselines(const std::vector<double>& x, std::size_t half) {
    return baselines(x, DecimatedMedian::Shape{1, half});
}

/// Fraction of a sine of `f_hz` (amplitude 1, on a 1 g offset) that a baseline takes up: the
/// amplitude of the baseline's component at f_hz over 1, from 4 s to 24 s of a 28 s run.
double sine_leak(double hz, double f_hz, bool decimated) {
    const std::size_t half = default_half(hz);
    const auto s = decimated ? DecimatedMedian::shape_for(half, hz, MIN_RATE_HZ) : DecimatedMedian::Shape{1, half};
    std::vector<double> x;
    for (std::size_t i = 0; i < static_cast<std::size_t>(28 * hz); ++i) x.push_back(1.0 + std::sin(2 * PI * f_hz * static_cast<double>(i) / hz + 0.3));
    const auto b = baselines(x, s);
    // Project onto sin and cos over a whole number of periods.
    const double periods = std::floor(20 * f_hz);
    const auto from = static_cast<std::size_t>(4 * hz), to = from + static_cast<std::size_t>(std::round(periods / f_hz * hz));
    double c = 0, q = 0;
    for (std::size_t i = from; i < to; ++i) {
        const double ph = 2 * PI * f_hz * static_cast<double>(i) / hz;
        c += (b[i] - 1.0) * std::cos(ph);
        q += (b[i] - 1.0) * std::sin(ph);
    }
    const double n = static_cast<double>(to - from);
    return 2 * std::hypot(c, q) / n;
}

/// A hypnic jerk on a 1 g axis: a half-sine of `dur_s` at 0.2 g, then ringing at `ring_hz`
/// decaying with 0.1 s, plus white sensor noise of 0.002 g. Returns the largest excursion of the
/// baseline from 1 g around the jerk, over its peak (0.2 g): how much of the jerk the baseline
/// takes up (and the detector would lose).
double impulse_leak(double hz, double dur_s, double ring_hz, bool decimated, unsigned seed) {
    const std::size_t half = default_half(hz);
    const auto s = decimated ? DecimatedMedian::shape_for(half, hz, MIN_RATE_HZ) : DecimatedMedian::Shape{1, half};
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.002);
    const double t0 = 5;
    std::vector<double> x;
    for (std::size_t i = 0; i < static_cast<std::size_t>(10 * hz); ++i) {
        const double t = static_cast<double>(i) / hz;
        double v = 1.0 + noise(rng);
        if (t >= t0 && t < t0 + dur_s) v += 0.2 * std::sin(PI * (t - t0) / dur_s);
        if (t >= t0 + dur_s) v += 0.1 * std::exp(-(t - t0 - dur_s) / 0.1) * std::sin(2 * PI * ring_hz * (t - t0 - dur_s));
        x.push_back(v);
    }
    const auto b = baselines(x, s);
    // Only the excursion above what noise alone gives the same median (measured before the jerk).
    double quiet = 0, worst = 0;
    for (std::size_t i = static_cast<std::size_t>(2 * hz); i < static_cast<std::size_t>(4 * hz); ++i) quiet = std::max(quiet, std::abs(b[i] - 1.0));
    for (std::size_t i = static_cast<std::size_t>((t0 - 1) * hz); i < static_cast<std::size_t>((t0 + 2) * hz); ++i) worst = std::max(worst, std::abs(b[i] - 1.0));
    return std::max(0.0, worst - quiet) / 0.2;
}

const std::vector<double> RATES{25, 50, 100, 200};

}  // namespace

TEST_CASE("baseline shape keeps the exact window's span and runs at 50 Hz or faster", "[baseline]") {
    for (double hz : {25.0, 50.0, 60.0, 100.0, 128.0, 200.0, 400.0}) {
        INFO(hz << " Hz");
        const std::size_t half = default_half(hz);
        const auto s = DecimatedMedian::shape_for(half, hz, MIN_RATE_HZ);
        CHECK(s.half_span() == half);  // same seconds: 2·half samples between the window's ends
        CHECK((s.k == 1 || hz / static_cast<double>(s.k) >= MIN_RATE_HZ));
        CHECK(s.delay() == half + s.k - 1);
        CHECK((2 * s.half_points + 1) % 2 == 1);
    }
    CHECK(DecimatedMedian::shape_for(12, 25, MIN_RATE_HZ) == DecimatedMedian::Shape{1, 12});
    CHECK(DecimatedMedian::shape_for(25, 50, MIN_RATE_HZ) == DecimatedMedian::Shape{1, 25});  // 2 does not divide 25
    CHECK(DecimatedMedian::shape_for(50, 100, MIN_RATE_HZ) == DecimatedMedian::Shape{2, 25});
    CHECK(DecimatedMedian::shape_for(100, 200, MIN_RATE_HZ) == DecimatedMedian::Shape{4, 25});
    // Slower baselines: the largest k that divides the half window.
    CHECK(DecimatedMedian::shape_for(50, 100, 20) == DecimatedMedian::Shape{5, 10});
    CHECK(DecimatedMedian::shape_for(100, 200, 20) == DecimatedMedian::Shape{10, 10});
    CHECK(DecimatedMedian::shape_for(50, 100, 30) == DecimatedMedian::Shape{2, 25});  // 3 does not divide 50
    // A span error allowed: 50 Hz runs on every second sample, 13 points a side (1.04 s).
    CHECK(DecimatedMedian::shape_for(25, 50, 20, 1) == DecimatedMedian::Shape{2, 13});
    // Degenerate inputs fall back to the exact median.
    CHECK(DecimatedMedian::shape_for(0, 100, MIN_RATE_HZ) == DecimatedMedian::Shape{1, 1});
    CHECK(DecimatedMedian::shape_for(1, 100, MIN_RATE_HZ) == DecimatedMedian::Shape{1, 1});
    CHECK(DecimatedMedian::shape_for(50, 100, 0) == DecimatedMedian::Shape{1, 50});
    CHECK(DecimatedMedian::shape_for(50, -1, MIN_RATE_HZ) == DecimatedMedian::Shape{1, 50});
}

TEST_CASE("with k = 1 the baseline is the exact running median, bit for bit", "[baseline]") {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, 0.01);
    for (std::size_t half : {1u, 12u, 50u}) {
        DecimatedMedian f;
        RunningMedian m;
        const double first = 0.98;
        f.reset(DecimatedMedian::Shape{1, half}, first);
        m.reset(2 * half + 1, first);
        REQUIRE(f.delay() == half);
        for (int i = 0; i < 3000; ++i) {
            const double x = 0.98 + noise(rng) + (i % 500 < 20 ? 0.3 : 0.0);
            f.push(x);
            m.push(x);
            INFO("half " << half << ", sample " << i);
            REQUIRE(bits(f.baseline()) == bits(m.median()));
            REQUIRE(bits(f.centre()) == bits(m.centre()));
        }
    }
}

TEST_CASE("the decimated baseline equals its direct computation at every rate", "[baseline]") {
    std::mt19937 rng(11);
    std::normal_distribution<double> noise(0.0, 0.003);
    std::vector<DecimatedMedian::Shape> shapes;
    for (double hz : RATES) shapes.push_back(DecimatedMedian::shape_for(default_half(hz), hz, MIN_RATE_HZ));
    shapes.push_back({5, 10});
    shapes.push_back({2, 13});
    shapes.push_back({3, 7});
    shapes.push_back({4, 1});
    for (const auto& s : shapes) {
        INFO("k " << s.k << ", half points " << s.half_points);
        std::vector<double> x;
        for (int i = 0; i < 1500; ++i) x.push_back(1.0 + 0.05 * std::sin(i * 0.013) + noise(rng) + (i % 300 == 100 ? 0.2 : 0.0));
        const auto b = baselines(x, s);
        REQUIRE(b.size() == x.size());
        for (std::size_t m = 0; m < x.size(); ++m) {
            INFO("sample " << m);
            REQUIRE(b[m] == Approx(direct_baseline(x, s, static_cast<long long>(m))).margin(1e-12));
        }
    }
}

TEST_CASE("centre() is the raw sample delay() pushes back, the first one standing before", "[baseline]") {
    for (const DecimatedMedian::Shape s : {DecimatedMedian::Shape{1, 3}, DecimatedMedian::Shape{2, 25}, DecimatedMedian::Shape{5, 10}, DecimatedMedian::Shape{10, 10}}) {
        DecimatedMedian f;
        f.reset(s, 100.0);
        for (int i = 0; i < 500; ++i) {
            f.push(static_cast<double>(i));
            const long long back = i - static_cast<long long>(s.delay());
            CHECK(f.centre() == (back < 0 ? 100.0 : static_cast<double>(back)));
        }
    }
}

TEST_CASE("the decimated baseline takes up no more of a slow oscillation than an exact median at its rate", "[baseline]") {
    // A 1 s median over a sine takes up little of it when the window holds whole periods (1 Hz:
    // 0.02 at 100 Hz, 0.16 at 25 Hz where the window is 1.04 s) and a third of it between (0.8
    // and 1.5 Hz); breathing (0.2-0.4 Hz) it follows. Bounds: the exact median's figures (the
    // table test) with a margin. Taking every k-th sample, the decimated median is the exact one
    // at hz / k, whose share depends on how the points fall on the period (1 Hz: 0.018 with 101
    // or 21 points, 0.062 with 51).
    for (double hz : RATES) {
        const auto k = static_cast<double>(DecimatedMedian::shape_for(default_half(hz), hz, MIN_RATE_HZ).k);
        for (double f : {0.8, 1.0, 1.5}) {
            INFO(hz << " Hz, sine " << f << " Hz");
            const double exact = std::max(sine_leak(hz, f, false), sine_leak(hz / k, f, false)), dec = sine_leak(hz, f, true);
            CHECK(dec <= exact + 0.02);
            CHECK(dec <= (f == 1.0 ? 0.18 : 0.40));
        }
        INFO(hz << " Hz, breathing");
        CHECK(sine_leak(hz, 0.25, true) >= 0.6);  // the slow part is followed, so it is removed
    }
}

TEST_CASE("an impulse and its ringing stay out of the decimated baseline", "[baseline]") {
    for (double hz : RATES) {
        for (double dur : {0.1, 0.25, 0.5}) {
            for (double ring : {3.0, 5.0, 8.0}) {
                INFO(hz << " Hz, jerk " << dur << " s, ringing " << ring << " Hz");
                double exact = 0, dec = 0;
                for (unsigned seed = 1; seed <= 3; ++seed) {
                    exact = std::max(exact, impulse_leak(hz, dur, ring, false, seed));
                    dec = std::max(dec, impulse_leak(hz, dur, ring, true, seed));
                }
                CHECK(dec <= exact + 0.03);
                // A 0.5 s jerk fills half of the 1 s window, so the median follows part of it.
                CHECK(dec <= (dur < 0.3 ? 0.02 : 0.21));
            }
        }
    }
}

TEST_CASE("a step moves the decimated baseline within k samples of the exact one", "[baseline]") {
    for (double hz : RATES) {
        const std::size_t half = default_half(hz);
        const auto s = DecimatedMedian::shape_for(half, hz, MIN_RATE_HZ);
        for (std::size_t at : {300u, 301u, 303u}) {
            INFO(hz << " Hz, step at sample " << at);
            std::vector<double> x(800, 0.0);
            for (std::size_t i = at; i < x.size(); ++i) x[i] = 1.0;
            const auto exact = exact_baselines(x, half);
            const auto dec = baselines(x, s);
            // The exact median flips at the step; the decimated one ramps across one point spacing
            // around it, never overshooting, and is 0 or 1 away from the step.
            for (std::size_t i = 0; i < x.size(); ++i) {
                CHECK(exact[i] == (i >= at ? 1.0 : 0.0));
                CHECK(dec[i] >= 0.0);
                CHECK(dec[i] <= 1.0);
                if (i > 0) CHECK(dec[i] >= dec[i - 1]);
                if (i + s.k <= at) CHECK(dec[i] == 0.0);
                if (i >= at + s.k) CHECK(dec[i] == 1.0);
            }
        }
    }
}

TEST_CASE("reset starts a segment afresh, whatever came before", "[baseline]") {
    const auto s = DecimatedMedian::shape_for(50, 100, MIN_RATE_HZ);
    DecimatedMedian used, fresh;
    used.reset(s, 5.0);
    for (int i = 0; i < 777; ++i) used.push(std::sin(i * 0.1));
    used.reset(s, 0.5);
    fresh.reset(s, 0.5);
    for (int i = 0; i < 400; ++i) {
        const double x = 0.5 + 0.01 * std::cos(i * 0.37);
        used.push(x);
        fresh.push(x);
        REQUIRE(bits(used.baseline()) == bits(fresh.baseline()));
        REQUIRE(bits(used.centre()) == bits(fresh.centre()));
    }
}

TEST_CASE("the decimated baseline continues bit for bit after a checkpoint, at every phase", "[baseline][restart]") {
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 0.01);
    std::vector<double> x;
    for (int i = 0; i < 700; ++i) x.push_back(noise(rng) + (i % 97 < 9 ? 0.4 : 0.0));
    for (double hz : RATES) {
        const auto s = DecimatedMedian::shape_for(default_half(hz), hz, MIN_RATE_HZ);
        for (std::size_t split = 0; split < 2 * s.k + 3; ++split) {
            const std::size_t at = 250 + split;
            INFO(hz << " Hz, split after " << at);
            DecimatedMedian a, b;
            a.reset(s, x[0]);
            for (std::size_t i = 0; i < at; ++i) a.push(x[i]);
            state_text::Writer w;
            a.save(w);
            b.reset(s, -7.0);
            state_text::Reader r(w.str());
            b.load(r);
            REQUIRE(r.ok());
            for (std::size_t i = at; i < x.size(); ++i) {
                a.push(x[i]);
                b.push(x[i]);
                REQUIRE(bits(a.baseline()) == bits(b.baseline()));
                REQUIRE(bits(a.centre()) == bits(b.centre()));
            }
        }
    }
}

TEST_CASE("a damaged or foreign baseline checkpoint is refused and changes nothing", "[baseline][restart][hostile]") {
    const auto s = DecimatedMedian::Shape{5, 10};
    DecimatedMedian a;
    a.reset(s, 1.0);
    for (int i = 0; i < 123; ++i) a.push(1.0 + 0.001 * i);
    state_text::Writer w;
    a.save(w);
    std::vector<std::string> t;
    {
        std::istringstream in(w.str());
        for (std::string q; in >> q;) t.push_back(q);
    }
    REQUIRE(t.size() == 5 + s.history());
    auto text = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& q : v) out += q + ' ';
        return out;
    };
    std::vector<std::vector<std::string>> bad;
    auto with = [&](std::size_t i, const char* v) {
        auto b = t;
        b.at(i) = v;
        bad.push_back(b);
    };
    with(0, "4");                                       // another k
    with(1, "11");                                      // another window
    with(2, "5");                                       // phase out of range
    with(2, "-1");
    with(3, std::to_string(s.history() + 1).c_str());   // another history length
    with(4, std::to_string(s.history()).c_str());       // head out of range
    with(7, "nan");                                     // a sample that is not a number
    with(9, "inf");
    with(10, "1e999");
    with(11, "1.0.0");
    bad.push_back(std::vector<std::string>(t.begin(), t.end() - 1));  // truncated
    bad.push_back({});
    for (const auto& b : bad) {
        INFO(text(b).substr(0, 40));
        DecimatedMedian c;
        c.reset(s, 9.0);
        state_text::Reader r(text(b));
        c.load(r);
        CHECK_FALSE(r.ok());
        c.push(9.0);
        CHECK(c.baseline() == 9.0);
        CHECK(c.centre() == 9.0);
    }
}

TEST_CASE("an exact median's window replayed on the segment's phase rejoins the uninterrupted baseline", "[baseline][restart]") {
    // Checkpoints 1-3 held the last 2·half + 1 raw samples: after replaying them, every output
    // from k samples after the old filter's last one on equals the uninterrupted baseline.
    std::mt19937 rng(5);
    std::normal_distribution<double> noise(0.0, 0.01);
    std::vector<double> x;
    for (int i = 0; i < 900; ++i) x.push_back(noise(rng) + 0.2 * std::sin(i * 0.05));
    for (double hz : RATES) {
        const std::size_t half = default_half(hz);
        const auto s = DecimatedMedian::shape_for(half, hz, MIN_RATE_HZ);
        for (std::size_t seen : {300u, 301u, 302u, 303u, 304u, 310u}) {
            INFO(hz << " Hz, restart after " << seen << " samples");
            DecimatedMedian a, b;
            a.reset(s, x[0]);
            for (std::size_t i = 0; i < seen; ++i) a.push(x[i]);
            const std::size_t n = 2 * half + 1;
            const std::size_t oldest = seen - n;
            b.reset(s, 0);
            b.replay(x.data() + oldest, n, oldest % s.k);
            for (std::size_t i = seen; i < x.size(); ++i) {
                a.push(x[i]);
                b.push(x[i]);
                REQUIRE(bits(a.centre()) == bits(b.centre()));
                // The sample now leaving is i − delay; the old filter had handed on up to seen − 1 − half.
                const long long out = static_cast<long long>(i) - static_cast<long long>(s.delay());
                if (out >= static_cast<long long>(seen - half + s.k)) REQUIRE(bits(a.baseline()) == bits(b.baseline()));
                else CHECK(b.baseline() == Approx(a.baseline()).margin(0.05));
            }
        }
    }
}

TEST_CASE("baseline figures, exact and decimated side by side", "[.baseline-table]") {
    // Run with: build/tests/test_unit "[.baseline-table]"  (prints the table in docs/performance.md)
    std::cout << std::fixed << std::setprecision(3);
    std::cout << "sine leak (fraction of the amplitude taken up by the baseline)\n";
    std::cout << "hz   k  pts | 0.8Hz exact dec | 1.0Hz exact dec | 1.5Hz exact dec\n";
    for (double hz : RATES) {
        const auto s = DecimatedMedian::shape_for(default_half(hz), hz, MIN_RATE_HZ);
        std::cout << std::setw(3) << hz << "  " << std::setw(2) << s.k << " " << std::setw(3) << 2 * s.half_points + 1 << "  |";
        for (double f : {0.8, 1.0, 1.5}) std::cout << "       " << sine_leak(hz, f, false) << " " << sine_leak(hz, f, true) << " |";
        std::cout << "\n";
    }
    std::cout << "impulse leak (largest baseline excursion over the 0.2 g peak, worst of ringing 3/5/8 Hz, seeds 1-3)\n";
    std::cout << "hz  | 0.1s exact dec | 0.25s exact dec | 0.5s exact dec\n";
    for (double hz : RATES) {
        std::cout << std::setw(3) << hz << " |";
        for (double dur : {0.1, 0.25, 0.5}) {
            double e = 0, d = 0;
            for (double ring : {3.0, 5.0, 8.0})
                for (unsigned seed = 1; seed <= 3; ++seed) {
                    e = std::max(e, impulse_leak(hz, dur, ring, false, seed));
                    d = std::max(d, impulse_leak(hz, dur, ring, true, seed));
                }
            std::cout << "      " << e << " " << d << " |";
        }
        std::cout << "\n";
    }
    SUCCEED();
}
