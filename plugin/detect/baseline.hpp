// Decimated median baseline: the detector's high-pass, an exact running median over every k-th raw sample, interpolated back to every sample.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "plugin/detect/running_median.hpp"
#include "plugin/detect/state_text.hpp"

namespace hypnic {

/// The slow part of one raw channel (gravity, posture, breathing), for subtraction. Every k-th
/// raw sample of a segment (the 1st, the (k+1)-th, ...) enters an exact running median over
/// 2·half_points + 1 such samples, centred on it: the window spans 2·half_points·k samples, the
/// same seconds as an exact median over 2·half_points·k + 1 samples. No sample is averaged, so a
/// value the median ignores (an impulse and its ringing, a minority of the window) is ignored
/// whole. Between two evaluation points the baseline is interpolated linearly. With k = 1 it is
/// exactly the centred running median over 2·half_points + 1 samples (same values, same delay).
///
/// Output is a fixed delay() = half_points·k + k − 1 samples behind the input: after each push(),
/// centre() is the raw sample that many pushes back and baseline() its baseline. Before the first
/// sample of a segment the channel is taken to have stood at that sample's value (reset(fill)).
/// Samples must be finite (the detector ends a segment on a non-finite sample). No allocation
/// after reset().
class DecimatedMedian {
public:
    /// Decimation factor (raw samples per evaluation point, ≥ 1) and evaluation points on each
    /// side of the centre (≥ 1).
    struct Shape {
        std::size_t k = 1;
        std::size_t half_points = 1;
        bool operator==(const Shape&) const = default;
        /// Samples between the centre of the window and its last sample (the exact median's half window).
        std::size_t half_span() const { return k * half_points; }
        /// Samples between a raw sample and the push that makes its baseline known.
        std::size_t delay() const { return half_span() + k - 1; }
        /// Raw samples kept: enough to recompute both medians in use from them alone.
        std::size_t history() const { return 2 * half_span() + 2 * k; }
    };

    /// The shape for an exact half window of `half` samples (window 2·half + 1) at `hz`: the
    /// largest k that keeps the baseline at `min_rate_hz` or faster and whose half_points·k is
    /// within `max_span_error` samples of `half` (k = 1 always qualifies, exactly).
    static Shape shape_for(std::size_t half, double hz, double min_rate_hz, std::size_t max_span_error = 0) {
        half = std::max<std::size_t>(1, half);
        const double kmax_d = min_rate_hz > 0 && hz > 0 ? std::floor(hz / min_rate_hz) : 1.0;
        const auto kmax = static_cast<std::size_t>(std::clamp(kmax_d, 1.0, static_cast<double>(half)));
        for (std::size_t k = kmax; k > 1; --k) {
            // half_points rounded to the nearest, halves up: the span is at most k/2 samples off.
            const std::size_t hp = std::max<std::size_t>(1, (2 * half + k) / (2 * k));
            const std::size_t span = hp * k;
            const std::size_t err = span > half ? span - half : half - span;
            if (err <= max_span_error) return Shape{k, hp};
        }
        return Shape{1, half};
    }

    /// Sets the shape and fills the whole history with `fill` (the first sample of a segment);
    /// the next push() is an evaluation point.
    void reset(Shape shape, double fill) {
        shape_ = Shape{std::max<std::size_t>(1, shape.k), std::max<std::size_t>(1, shape.half_points)};
        med_.reset(2 * shape_.half_points + 1, fill);
        raw_.assign(shape_.history(), fill);
        head_ = 0;
        centre_at_ = shape_.history() - 1 - shape_.delay();
        phase_ = 0;
        prev_ = cur_ = fill;
        inv_k_ = 1.0 / static_cast<double>(shape_.k);
    }

    /// Adds the next raw sample of the segment.
    void push(double x) {
        raw_[head_] = x;
        if (++head_ == raw_.size()) head_ = 0;
        if (phase_ == 0) {
            med_.push(x);
            prev_ = cur_;
            cur_ = med_.median();
        }
        // The next input's phase is also the phase of the sample now leaving (delay ≡ −1 mod k).
        if (++phase_ == shape_.k) phase_ = 0;
    }

    /// The raw sample delay() pushes back.
    double centre() const {
        // head_ < size, so one subtraction wraps the index (a division per sample is not free).
        std::size_t i = head_ + centre_at_;
        if (i >= raw_.size()) i -= raw_.size();
        return raw_[i];
    }
    /// Its baseline: the window's median on an evaluation point, else interpolated between the
    /// medians of the evaluation points before and after it.
    double baseline() const {
        if (phase_ == 0) return cur_;
        return prev_ + (static_cast<double>(phase_) * inv_k_) * (cur_ - prev_);
    }

    const Shape& shape() const { return shape_; }
    std::size_t delay() const { return shape_.delay(); }

    /// Restarts from raw samples, oldest first, the first of them of phase `phase` (its index
    /// in the segment mod k): as if the segment had stood at the first of them before. From
    /// history() samples or more the state is exactly the one that saw them; from fewer, the
    /// evaluation points older than them are taken as their first.
    void replay(const double* oldest_first, std::size_t n, std::size_t phase) {
        reset(shape_, n > 0 ? oldest_first[0] : 0.0);
        phase_ = phase % shape_.k;
        for (std::size_t i = 0; i < n; ++i) push(oldest_first[i]);
    }

    /// The shape, the phase and the raw history: the medians are recomputed from it on load.
    void save(state_text::Writer& w) const {
        w.integer(static_cast<long long>(shape_.k));
        w.integer(static_cast<long long>(shape_.half_points));
        w.integer(static_cast<long long>(phase_));
        w.integer(static_cast<long long>(raw_.size()));
        w.integer(static_cast<long long>(head_));
        for (double q : raw_) w.num(q);
    }
    /// Reads what save() wrote into a filter reset() with the same shape; another shape or
    /// history length rejects the reader (check r.ok()), and on any rejection nothing changes.
    void load(state_text::Reader& r) {
        if (r.count() != shape_.k || r.count() != shape_.half_points) r.reject();
        const auto phase = r.count(shape_.k - 1);
        if (r.count() != raw_.size()) r.reject();
        const auto head = r.count(raw_.size() - 1);
        std::vector<double> raw(raw_.size());
        for (double& q : raw) q = r.num();
        if (!r.ok()) return;
        std::rotate(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(head), raw.end());
        // The history is a whole number of k samples, so its oldest has the phase of the next input.
        replay(raw.data(), raw.size(), phase);
    }

private:
    Shape shape_{};
    RunningMedian med_;           // the evaluation points' window
    std::vector<double> raw_;     // the last history() raw samples; raw_[head_] is the oldest
    std::size_t head_ = 0;
    std::size_t centre_at_ = 0;   // offset from head_ of the sample delay() pushes back
    std::size_t phase_ = 0;       // phase of the next input (raw samples since the last point, mod k)
    double prev_ = 0, cur_ = 0;   // the medians at the last two evaluation points
    double inv_k_ = 1;
};

}  // namespace hypnic
