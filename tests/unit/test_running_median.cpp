// The detector's running median and median_of against plain reference implementations, value for value and bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "plugin/detect/running_median.hpp"

using namespace hypnic;

namespace {

/// The plain running median: erase the leaving sample's first equal from a sorted vector and
/// insert the arriving one after its last equal. The order of equal values (+0 and -0) is what
/// the fast one must reproduce.
class NaiveMedian {
public:
    NaiveMedian(std::size_t window, double fill) : ring_(window, fill), sorted_(window, fill) {}
    void push(double x) {
        const double old = ring_[head_];
        ring_[head_] = x;
        head_ = (head_ + 1) % ring_.size();
        sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), old));
        sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), x), x);
    }
    double median() const { return sorted_[sorted_.size() / 2]; }
    double centre() const { return ring_[(head_ + ring_.size() / 2) % ring_.size()]; }
    /// The middle value by sorting a copy: the order statistic itself.
    double sorted_copy_median() const {
        std::vector<double> v = ring_;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    }

private:
    std::vector<double> ring_;
    std::vector<double> sorted_;
    std::size_t head_ = 0;
};

std::uint64_t bits(double x) {
    std::uint64_t b = 0;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

/// Pushes `n` samples from `next` through both medians and checks every step bit for bit.
void check_against_naive(std::size_t window, std::size_t n, const std::function<double(std::size_t)>& next) {
    const double first = next(0);
    RunningMedian fast;
    fast.reset(window, first);
    NaiveMedian slow(window, first);
    for (std::size_t i = 1; i < n; ++i) {
        const double x = next(i);
        fast.push(x);
        slow.push(x);
        INFO("window " << window << ", sample " << i << " = " << x);
        REQUIRE(bits(fast.median()) == bits(slow.median()));
        REQUIRE(fast.median() == slow.sorted_copy_median());
        REQUIRE(bits(fast.centre()) == bits(slow.centre()));
    }
}

const std::vector<std::size_t> WINDOWS{1, 2, 3, 4, 5, 9, 51, 101, 201};

}  // namespace

TEST_CASE("running median equals the naive one on random noise", "[running_median]") {
    for (const std::size_t w : WINDOWS) {
        std::mt19937_64 rng(w);
        std::normal_distribution<double> g(0.99, 0.01);
        check_against_naive(w, 5000, [&](std::size_t) { return g(rng); });
    }
}

TEST_CASE("running median equals the naive one on heavy ties", "[running_median]") {
    // A few distinct values (a coarse ADC): every search lands in a run of equals.
    for (const std::size_t w : WINDOWS) {
        std::mt19937_64 rng(100 + w);
        std::uniform_int_distribution<int> level(-2, 2);
        check_against_naive(w, 5000, [&](std::size_t) { return 0.001 * level(rng); });
    }
}

TEST_CASE("running median keeps +0 and -0 in the naive order", "[running_median]") {
    // +0 and -0 compare equal but differ in bits: the fast median must pick the same one.
    for (const std::size_t w : WINDOWS) {
        std::mt19937_64 rng(200 + w);
        std::uniform_int_distribution<int> pick(0, 3);
        const double vals[] = {0.0, -0.0, 1.0, -1.0};
        check_against_naive(w, 4000, [&](std::size_t) { return vals[pick(rng)]; });
    }
}

TEST_CASE("running median handles constant, monotone and extreme sequences", "[running_median]") {
    constexpr double BIG = std::numeric_limits<double>::max();
    constexpr double TINY = std::numeric_limits<double>::denorm_min();
    for (const std::size_t w : WINDOWS) {
        check_against_naive(w, 600, [](std::size_t) { return 1.0; });
        check_against_naive(w, 600, [](std::size_t i) { return static_cast<double>(i); });
        check_against_naive(w, 600, [](std::size_t i) { return -static_cast<double>(i); });
        // Alternating between the largest magnitudes: every sample crosses the whole window.
        check_against_naive(w, 600, [](std::size_t i) { return i % 2 == 0 ? BIG : -BIG; });
        check_against_naive(w, 600, [](std::size_t i) { return i % 3 == 0 ? 1e300 : (i % 3 == 1 ? -1e300 : TINY); });
        check_against_naive(w, 600, [](std::size_t i) {
            return std::ldexp(i % 2 == 0 ? 1.0 : -1.0, static_cast<int>(i % 2000) - 1000);
        });
        // Spikes into a constant background (a jerk in a quiet night).
        check_against_naive(w, 600, [](std::size_t i) { return i % 37 == 0 ? 16.0 : 0.98; });
        std::mt19937_64 rng(300 + w);
        std::uniform_real_distribution<double> u(-BIG, BIG);
        check_against_naive(w, 2000, [&](std::size_t) { return u(rng); });
    }
}

TEST_CASE("median_of is the order statistic at size/2", "[running_median]") {
    std::vector<double> empty;
    CHECK(median_of(empty) == 0);
    const auto check = [](std::vector<double> v, const std::string& what) {
        std::vector<double> ref = v;
        std::sort(ref.begin(), ref.end());
        INFO(what << ", size " << v.size());
        REQUIRE(median_of(v) == ref[ref.size() / 2]);
        // Only reordered: the same values are still there.
        std::sort(v.begin(), v.end());
        REQUIRE(v == ref);
    };
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int> level(0, 9);
    std::lognormal_distribution<double> envelope(-5, 0.5);
    for (std::size_t n : {1, 2, 3, 16, 17, 18, 33, 60, 100, 101, 257, 1000, 5000}) {
        std::vector<double> v(n);
        for (double& q : v) q = envelope(rng);
        check(v, "noise");
        for (double& q : v) q = level(rng) * 0.25;
        check(v, "few distinct values");
        for (double& q : v) q = std::ldexp(1.0, level(rng) * 100 - 500);
        check(v, "huge and tiny magnitudes");
        std::fill(v.begin(), v.end(), 0.5);
        check(v, "constant");  // every round removes only the pivot: the bounded fallback
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
        check(v, "ascending");
        std::reverse(v.begin(), v.end());
        check(v, "descending");
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(std::min(i, n - i));
        check(v, "organ pipe");
        for (std::size_t i = 0; i < n; ++i) v[i] = i % 2 == 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
        check(v, "alternating extremes");
    }
}

TEST_CASE("a sorted window gives median_of's median and MAD bit for bit", "[running_median]") {
    // The floor's windows: values replaced one at a time, the median and the MAD read from the
    // sorted copy against median_of on plain copies.
    std::mt19937_64 rng(13);
    std::lognormal_distribution<double> envelope(-5, 0.5);
    std::uniform_int_distribution<int> level(0, 4);
    for (std::size_t cap : {1, 2, 3, 5, 60}) {
        for (int kind = 0; kind < 3; ++kind) {
            auto next = [&] { return kind == 0 ? envelope(rng) : kind == 1 ? 0.25 * level(rng) : (level(rng) == 0 ? 0.0 : -0.0); };
            std::vector<double> ring, sorted;
            std::size_t head = 0;
            for (int i = 0; i < 400; ++i) {
                const double x = next();
                if (ring.size() < cap) {
                    ring.push_back(x);
                    sorted_insert(sorted, x);
                } else {
                    sorted_replace(sorted, ring[head], x);
                    ring[head] = x;
                    head = (head + 1) % cap;
                }
                INFO("capacity " << cap << ", kind " << kind << ", step " << i);
                std::vector<double> ref = ring;
                std::sort(ref.begin(), ref.end());
                REQUIRE(sorted == ref);
                std::vector<double> copy = ring;
                const double m = median_of(copy);
                for (double& q : copy) q = std::abs(q - m);
                const double mad = median_of(copy);
                const auto [got_m, got_mad] = sorted_median_mad(sorted);
                // +0 and -0 compare equal, and median_of may return either (never in the
                // detector: envelopes and deviations are never -0); otherwise bit for bit.
                if (kind == 2)
                    REQUIRE(got_m == m);
                else
                    REQUIRE(bits(got_m) == bits(m));
                REQUIRE(bits(got_mad) == bits(mad));
            }
        }
    }
    const std::vector<double> empty;
    CHECK(sorted_median_mad(empty) == std::pair<double, double>{0.0, 0.0});
    // A value that is not there (a broken caller) is inserted rather than writing out of place.
    std::vector<double> s{1, 2, 3};
    sorted_replace(s, 7, 2.5);
    CHECK(s == std::vector<double>{1, 2, 2.5, 3});
}
