// Order statistics for the detector: a centred running median over a fixed window, sorted windows with their median and MAD, and the median of a buffer.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>


namespace hypnic {

/// Running median over the last `window` samples (window odd, ≥ 1), with the sample in the
/// middle of the window. No allocation after reset(); push() is two binary searches and one
/// memmove of the elements ranked between the leaving and the arriving sample.
///
/// Invariant: sorted_ holds exactly the values of ring_ in ascending order. Samples must not be
/// NaN (the detector ends a segment on a non-finite sample instead).
class RunningMedian {
public:
    /// Fills the whole window with `fill` (the first sample of a segment).
    void reset(std::size_t window, double fill) {
        ring_.assign(window, fill);
        sorted_.assign(window, fill);
        head_ = 0;
    }

    /// Replaces the oldest sample by `x`.
    void push(double x) {
        const double old = ring_[head_];
        ring_[head_] = x;
        if (++head_ == ring_.size()) head_ = 0;
        double* s = sorted_.data();
        const std::size_t n = sorted_.size();
        // Where the leaving sample is (the first element not below it) and where the arriving one
        // goes (after the last element not above it), found by one branch-free halving loop that
        // runs both searches side by side: the comparisons are noise and unpredictable, and the
        // two chains of loads overlap instead of adding up.
        const double* a = s;
        const double* b = s;
        for (std::size_t len = n; len > 1;) {
            const std::size_t half = len / 2;
            a = a[half] < old ? a + half : a;
            b = b[half] <= x ? b + half : b;
            len -= half;
        }
        // Clamped only so that a broken invariant can never write outside the window.
        const std::size_t out = std::min(static_cast<std::size_t>(a - s) + (*a < old ? 1 : 0), n - 1);
        std::size_t in = static_cast<std::size_t>(b - s) + (*b <= x ? 1 : 0);
        // Erase at `out`, insert at `in` (an index counted with the leaving sample still there):
        // the elements between move one step, all in one memmove.
        if (x >= old) {
            in = std::max(in, out + 1);
            std::memmove(s + out, s + out + 1, (in - 1 - out) * sizeof(double));
            s[in - 1] = x;
        } else {
            in = std::min(in, out);
            std::memmove(s + in + 1, s + in, (out - in) * sizeof(double));
            s[in] = x;
        }
    }

    /// The median of the window (its middle element in sorted order).
    double median() const { return sorted_[sorted_.size() / 2]; }
    /// The sample in the middle of the window (the one the median is centred on).
    double centre() const {
        // head_ < size, so one subtraction wraps the index (a division per sample is not free).
        std::size_t i = head_ + ring_.size() / 2;
        if (i >= ring_.size()) i -= ring_.size();
        return ring_[i];
    }
    std::size_t size() const { return ring_.size(); }

private:
    std::vector<double> ring_;
    std::vector<double> sorted_;
    std::size_t head_ = 0;
};

/// Replaces one value equal to `old` by `x` in the ascending buffer `s` (or inserts `x` when
/// `old` is absent, which a caller's invariant excludes), keeping it ascending; no allocation.
inline void sorted_replace(std::vector<double>& s, double old, double x) {
    auto at = std::lower_bound(s.begin(), s.end(), old);
    if (at == s.end() || *at != old) {
        s.insert(std::upper_bound(s.begin(), s.end(), x), x);
        return;
    }
    // Slide the values between the old and the new place by one, then drop x in.
    if (x >= old) {
        auto to = std::upper_bound(at, s.end(), x);
        std::move(at + 1, to, at);
        *(to - 1) = x;
    } else {
        auto to = std::upper_bound(s.begin(), at, x);
        std::move_backward(to, at, at + 1);
        *to = x;
    }
}

/// Inserts `x` into the ascending buffer `s` after its equals.
inline void sorted_insert(std::vector<double>& s, double x) { s.insert(std::upper_bound(s.begin(), s.end(), x), x); }

/// The median of an ascending buffer as median_of takes it (the element at size/2; 0 when
/// empty) and the median absolute deviation from it (the element at size/2 of |s[i] − median|),
/// without copying: the deviations below and above the median are two ascending runs, merged up
/// to the middle. The same values as median_of on a copy, bit for bit.
inline std::pair<double, double> sorted_median_mad(const std::vector<double>& s) {
    if (s.empty()) return {0.0, 0.0};
    const std::size_t n = s.size();
    const std::size_t k = n / 2;
    const double m = s[k];
    // lo: next index below the median still to take (lo − 1), hi: next index from the median up.
    std::size_t lo = k, hi = k;
    double dev = 0;
    for (std::size_t taken = 0; taken <= k; ++taken) {
        const bool left = lo > 0 && (hi == n || std::abs(s[lo - 1] - m) <= std::abs(s[hi] - m));
        dev = left ? std::abs(s[--lo] - m) : std::abs(s[hi++] - m);
    }
    return {m, dev};
}

/// The element at index size/2 of `v` in ascending order (the upper median of an even count),
/// 0 for an empty buffer. Reorders `v`; the buffer is the caller's, so repeated calls allocate
/// nothing. `v` must not hold NaN. The value is the order statistic, the same whatever the
/// selection method (only +0 and -0, which compare equal, could come back either way).
inline double median_of(std::vector<double>& v) {
    if (v.empty()) return 0;
    double* const d = v.data();
    const std::size_t k = v.size() / 2;
    std::size_t lo = 0;
    std::size_t hi = v.size();
    // Quickselect with a branch-free partition: the detector calls this several times a second
    // per sleeper on a hundred noisy values, where std::nth_element's partition mispredicts on
    // almost every comparison. A pathological input (many equal values) is handed to
    // std::nth_element after a bounded number of rounds, so the cost stays O(n log n) at worst.
    for (int round = 0; hi - lo > 16; ++round) {
        if (round == 64) {
            std::nth_element(d + lo, d + k, d + hi);
            return d[k];
        }
        // Median of the first, middle and last values as the pivot, moved to the front.
        const std::size_t mid = lo + (hi - lo) / 2;
        double a = d[lo], b = d[mid], c = d[hi - 1];
        if (b < a) std::swap(a, b);
        if (c < b) {
            std::swap(b, c);
            if (b < a) std::swap(a, b);
        }
        d[lo] = b;
        d[mid] = a;
        d[hi - 1] = c;
        const double pivot = b;
        // [lo + 1, store) < pivot <= [store, i): every element is swapped, and the smaller ones
        // advance the boundary.
        std::size_t store = lo + 1;
        for (std::size_t i = lo + 1; i < hi; ++i) {
            const double x = d[i];
            d[i] = d[store];
            d[store] = x;
            store += x < pivot ? 1 : 0;
        }
        const std::size_t at = store - 1;
        std::swap(d[lo], d[at]);
        if (k == at) return d[at];
        if (k < at)
            hi = at;
        else
            lo = store;
    }
    // A short range: insertion sort it.
    for (std::size_t i = lo + 1; i < hi; ++i) {
        const double x = d[i];
        std::size_t j = i;
        for (; j > lo && d[j - 1] > x; --j) d[j] = d[j - 1];
        d[j] = x;
    }
    return d[k];
}

}  // namespace hypnic
