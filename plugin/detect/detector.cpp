// Streaming movement detector: median detrend, RMS envelope, adaptive noise floor, hysteresis, classification.
#include "plugin/detect/detector.hpp"

#include "plugin/detect/baseline.hpp"
#include "plugin/detect/running_median.hpp"
#include "plugin/detect/state_text.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>

namespace hypnic {

namespace {

using Vec3 = std::array<double, 3>;

constexpr double PI = 3.14159265358979323846;
constexpr double MAD_TO_SIGMA = 1.4826;
// The high-pass median runs on every k-th raw sample, k as large as keeps it at this rate or
// faster: far above twice the 3-8 Hz mattress ringing (science.md), so a ringing impulse is not
// aliased into a slow swing the median would follow. At 20 Hz (k = 5 at 100 Hz) two of 225
// twitches and one night's exact onset-twitch count were lost on the perturbed accuracy runs; at
// 50 Hz the runs stay within one or two events of the exact median, in both directions, with its
// onset counts (docs/performance.md). Its window may differ from the exact one by at most this
// many raw samples.
constexpr double HIGHPASS_MIN_RATE_HZ = 50;
constexpr std::size_t HIGHPASS_MAX_SPAN_ERROR = 0;
// Gravity is averaged over blocks of this length; pre/post windows are whole blocks.
constexpr double GRAVITY_BLOCK_S = 0.25;
constexpr std::size_t GRAVITY_BLOCKS = 24;  // 6 s of history
// Posture before a movement: [onset - 1.5 s, onset - 0.25 s]; after: [end + 0.25 s, end + 1.5 s].
constexpr double GRAVITY_GUARD_S = 0.25;
constexpr double GRAVITY_SPAN_S = 1.5;
// Quiet seconds needed before the measured floor replaces the absolute bound.
constexpr std::size_t MIN_FLOOR_SECONDS = 5;
// A gravity estimate below this magnitude (g) is not a posture (free fall, scalar sensor, junk).
constexpr double MIN_GRAVITY_G = 0.2;
// The short envelope of noise averages only a few samples at 25 Hz, so its tail is long: the on
// threshold also stays at least this multiple of the floor's median.
constexpr double ON_MEDIAN_RATIO = 3;
// Sustain envelope window: long enough to span the dip between strokes of a 1–2 Hz movement.
constexpr double SUSTAIN_S = 0.3;
// A jerk's mattress ringing has decayed to a few percent 0.33 s after the impulse, and the sustain
// envelope forgets it SUSTAIN_S later: energy that is still there after this is the body moving on.
constexpr double TAIL_FROM_S = 0.65;
// A short burst is only the crest of a weak, longer movement when most of its tail is active.
constexpr double TAIL_ACTIVE_SHARE = 0.5;
// Noise crests. The largest value of the short envelope in one quiet second is the maximum of
// many noise samples, so it follows an extreme-value (Gumbel) law, whatever the sample rate and
// envelope length; its location and scale are estimated robustly from the quiet seconds (median and
// MAD of the standard Gumbel law below). Over n seconds the noise's maximum grows by scale·ln(n):
// a twitch must rise above the level noise reaches once in CREST_SECONDS (ten nights of ten hours).
constexpr double GUMBEL_MEDIAN = 0.36651;  // -ln(ln 2)
constexpr double GUMBEL_MAD = 0.76705;     // P(|X - median| <= MAD) = 1/2 for the standard law
constexpr double CREST_SECONDS = 360000;
// A short burst this close (end to start, s) to a movement of limb length is one of its crests
// that the noise cut off, not a movement of its own: the two are one movement. The same span as
// the posture read-out, so nothing waits longer than it already did.
constexpr double NEIGHBOUR_S = 1.5;
// A jerk's impulse peaks within half of its 50-250 ms, so its short envelope climbs from the off
// to the on level in a few hundredths of a second (a sample or two at 25 Hz). A short burst that
// took longer than this is the slow crest of a weak limb movement (at least two sample periods,
// since a crossing is only seen at the samples).
constexpr double RISE_MAX_S = 0.1;
// Ringing of this bed. A movement teaches the bed's ringing time only when it is a clear impulse:
// a fast rise (RISE_MAX_S), a peak at least this many times the on threshold (so its decay to the
// release level is measured well above the noise), one dominant peak (never back above the
// release level once below it), no energy sustained after it, and a decay no longer than
// IMPULSE_MAX_DECAY_S. Fewer than IMPULSE_MIN impulses: the prior (ring_decay_s) holds.
constexpr double IMPULSE_PEAK_ON = 4;
// A jerk's EMG burst lasts at most 250 ms (science.md); with the envelope's window its short
// envelope has fallen below half its peak within this time of its start. A short limb movement
// holds its level until its end.
constexpr double IMPULSE_WIDTH_S = 0.3;
constexpr double IMPULSE_MAX_DECAY_S = 1.0;
constexpr std::size_t IMPULSE_MIN = 3;
// Ringing only decays, but the short envelope of a 3-8 Hz oscillation dips between its cycles:
// after a dip below the release level, only a return above this share of the peak is a second
// stroke.
constexpr double RERISE_FRAC = 0.5;
// After its peak, a jerk's short envelope falls as fast as the bed rings (its muscle burst lasts
// at most 250 ms, science.md); a limb movement that fades keeps moving the body while it falls. A
// clear impulse whose envelope stayed above the off level past twitch_max_s ends at the release
// level only when its fall there took at most this many times the bed's ringing time
// (ring_decay_s, stretched by what the bed taught).
constexpr double RING_DECAY_SPREAD = 2;
// A jerk on top of a movement in progress (the sleeper's own, or the partner's felt through the
// mattress). Its energy comes and goes within IMPULSE_WIDTH_S plus the bed's ringing, while a limb
// movement's short envelope swells and ebbs with its 0.5-8 Hz strokes. So a crest of the short
// envelope is a jerk of its own when it is the highest within IMPULSE_WIDTH_S either side, is
// narrower than IMPULSE_WIDTH_S halfway between it and its surroundings, and is EMBED_PROMINENCE
// times the highest value of the EMBED_SPAN_S before its rise and of the EMBED_SPAN_S after its
// ringing (IMPULSE_WIDTH_S plus ring_decay_s at its longest), one of which is above the off level
// (something it is on top of). The energy ratio is the square, 12: more than the strokes of a
// movement rise above their neighbours over half a second.
constexpr double EMBED_SPAN_S = 0.5;
constexpr double EMBED_PROMINENCE = 3.5;
// ...and when the movement under it goes on for at least this long before or after it: a short
// limb movement has quiet on both sides, so its own strongest stroke would stand out as well.
constexpr double EMBED_HOST_S = 1.0;
// At most this many per movement (a movement lasts at most max_movement_s).
constexpr std::size_t EMBED_MAX = 64;

double angle_deg(const Vec3& a, const Vec3& b) {
    const double na = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    const double nb = std::sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
    if (na < MIN_GRAVITY_G || nb < MIN_GRAVITY_G) return 0;
    const double c = std::clamp((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (na * nb), -1.0, 1.0);
    return std::acos(c) * 180.0 / PI;
}

/// Trailing mean of squared magnitudes over a fixed number of samples.
class RmsWindow {
public:
    void reset(std::size_t n) {
        ring_.assign(std::max<std::size_t>(1, n), 0.0);
        head_ = 0;
        sum_ = 0;
    }
    double push(double e2) {
        sum_ += e2 - ring_[head_];
        ring_[head_] = e2;
        head_ = (head_ + 1) % ring_.size();
        if (head_ == 0) {  // re-sum once per window so rounding never accumulates
            sum_ = 0;
            for (double q : ring_) sum_ += q;
        }
        return std::sqrt(std::max(0.0, sum_) / static_cast<double>(ring_.size()));
    }
    std::size_t size() const { return ring_.size(); }
    void save(state_text::Writer& w) const {
        w.integer(static_cast<long long>(ring_.size()));
        w.integer(static_cast<long long>(head_));
        w.num(sum_);
        for (double q : ring_) w.num(q);
    }
    void load(state_text::Reader& r) {
        if (r.count() != ring_.size()) r.reject();
        const auto head = r.count(ring_.size());
        const double sum = r.num();
        std::vector<double> ring(ring_.size());
        for (double& q : ring) q = r.num();
        if (!r.ok() || head >= ring_.size()) return;
        ring_ = std::move(ring);
        head_ = head;
        sum_ = sum;
    }

private:
    std::vector<double> ring_;
    std::size_t head_ = 0;
    double sum_ = 0;
};

/// Robust level of one envelope over quiet seconds: per second the median and the MAD of its
/// samples, over the last N seconds the median of each. Sorted copies of the N seconds are kept
/// up to date (one value out, one in per second), so the level needs no copy and no selection.
class FloorStats {
public:
    void reset(std::size_t seconds) {
        medians_.assign(std::max<std::size_t>(1, seconds), 0.0);
        mads_.assign(medians_.size(), 0.0);
        head_ = filled_ = 0;
        sorted_medians_.clear();
        sorted_mads_.clear();
        sorted_medians_.reserve(medians_.size());
        sorted_mads_.reserve(medians_.size());
    }
    /// Median of one second's samples (reorders them).
    static double second_median(std::vector<double>& v) { return median_of(v); }
    void add_second(std::vector<double>& v, double median) {
        for (double& q : v) q = std::abs(q - median);
        const double mad = median_of(v);
        if (filled_ == medians_.size()) {
            sorted_replace(sorted_medians_, medians_[head_], median);
            sorted_replace(sorted_mads_, mads_[head_], mad);
        } else {
            sorted_insert(sorted_medians_, median);
            sorted_insert(sorted_mads_, mad);
        }
        medians_[head_] = median;
        mads_[head_] = mad;
        head_ = (head_ + 1) % medians_.size();
        if (filled_ < medians_.size()) ++filled_;
    }
    std::size_t filled() const { return filled_; }
    std::size_t capacity() const { return medians_.size(); }
    /// (median, sigma): sigma combines the spread inside a second (median MAD) with the spread
    /// of the per-second medians, because a smooth envelope barely moves within one second but
    /// wanders from second to second.
    std::pair<double, double> level() const {
        const auto [level, between] = sorted_median_mad(sorted_medians_);
        const double within = sorted_mads_.empty() ? 0.0 : sorted_mads_[sorted_mads_.size() / 2];
        return {level, MAD_TO_SIGMA * std::sqrt(within * within + between * between)};
    }
    void save(state_text::Writer& w) const {
        w.integer(static_cast<long long>(medians_.size()));
        w.integer(static_cast<long long>(head_));
        w.integer(static_cast<long long>(filled_));
        for (std::size_t i = 0; i < medians_.size(); ++i) {
            w.num(medians_[i]);
            w.num(mads_[i]);
        }
    }
    void load(state_text::Reader& r) {
        if (r.count() != medians_.size()) r.reject();
        const auto head = r.count(medians_.size());
        const auto filled = r.count(medians_.size());
        std::vector<double> med(medians_.size()), mad(medians_.size());
        for (std::size_t i = 0; i < med.size(); ++i) {
            med[i] = r.num();
            mad[i] = r.num();
        }
        // Until the window is full, the seconds fill it from the start.
        if (filled < medians_.size() && head != filled) r.reject();
        if (!r.ok() || head >= medians_.size()) return;
        medians_ = std::move(med);
        mads_ = std::move(mad);
        head_ = head;
        filled_ = filled;
        sorted_medians_.assign(medians_.begin(), medians_.begin() + static_cast<std::ptrdiff_t>(filled_));
        sorted_mads_.assign(mads_.begin(), mads_.begin() + static_cast<std::ptrdiff_t>(filled_));
        std::sort(sorted_medians_.begin(), sorted_medians_.end());
        std::sort(sorted_mads_.begin(), sorted_mads_.end());
    }

private:
    std::vector<double> medians_, mads_;
    std::vector<double> sorted_medians_, sorted_mads_;  // the first `filled_` of each, ascending
    std::size_t head_ = 0, filled_ = 0;
};

/// The largest short-envelope value of each of the last N quiet seconds, and the level that noise
/// reaches only once in CREST_SECONDS (0 while fewer than MIN_FLOOR_SECONDS are known).
class CrestStats {
public:
    void reset(std::size_t seconds) {
        maxima_.assign(std::max<std::size_t>(1, seconds), 0.0);
        head_ = filled_ = 0;
        sorted_.clear();
        sorted_.reserve(maxima_.size());
    }
    void add_second(double max_g) {
        if (filled_ == maxima_.size())
            sorted_replace(sorted_, maxima_[head_], max_g);
        else
            sorted_insert(sorted_, max_g);
        maxima_[head_] = max_g;
        head_ = (head_ + 1) % maxima_.size();
        if (filled_ < maxima_.size()) ++filled_;
    }
    double bound() const {
        if (filled_ < std::min(MIN_FLOOR_SECONDS, maxima_.size())) return 0;
        const auto [median, mad] = sorted_median_mad(sorted_);
        const double scale = mad / GUMBEL_MAD;
        return median + scale * (std::log(CREST_SECONDS) - GUMBEL_MEDIAN);
    }
    void save(state_text::Writer& w) const {
        w.integer(static_cast<long long>(maxima_.size()));
        w.integer(static_cast<long long>(head_));
        w.integer(static_cast<long long>(filled_));
        for (double q : maxima_) w.num(q);
    }
    void load(state_text::Reader& r) {
        if (r.count() != maxima_.size()) r.reject();
        const auto head = r.count(maxima_.size());
        const auto filled = r.count(maxima_.size());
        std::vector<double> m(maxima_.size());
        for (double& q : m) q = r.num();
        if (filled < maxima_.size() && head != filled) r.reject();
        if (!r.ok() || head >= maxima_.size()) return;
        maxima_ = std::move(m);
        head_ = head;
        filled_ = filled;
        sorted_.assign(maxima_.begin(), maxima_.begin() + static_cast<std::ptrdiff_t>(filled_));
        std::sort(sorted_.begin(), sorted_.end());
    }

private:
    std::vector<double> maxima_;
    std::vector<double> sorted_;  // the first `filled_` maxima, ascending
    std::size_t head_ = 0, filled_ = 0;
};

/// A jerk found on top of a longer movement (EMBED_PROMINENCE).
struct OnTop {
    double start = 0;
    double duration = 0;
    double peak = 0;
    double peak_after = 0;  // from its start to its peak, s
};

struct GravityBlock {
    double start = 0;
    Vec3 mean{};
};

/// A movement being tracked or waiting for its merge gap / posture read-out.
struct Candidate {
    double start = 0;
    double last_above = 0;   // centre time of the last sample above the off level
    double peak = 0;
    std::optional<Vec3> pre_gravity;
    bool released = false;   // ended by the ringing rule (release_frac) rather than the floor
    // The tail after a short movement (TAIL_FROM_S..GRAVITY_SPAN_S past its end): samples seen,
    // samples whose sustain envelope is still above its off level, and the last such sample.
    std::size_t tail_n = 0;
    std::size_t tail_active = 0;
    double tail_last = 0;
    // The whole gap since its end: samples seen and those with the sustain envelope above its off level.
    std::size_t gap_n = 0;
    std::size_t gap_active = 0;
    // Thresholds in force when it started: a twitch's peak must clear both.
    double on_g = 0;
    double crest_g = 0;
    bool sustain_start = false;
    bool fast_seen = false;  // the short envelope has crossed its on threshold
    // The short envelope's run above the off level that led to the start, and the peak's time.
    double rise_from = 0;
    double peak_t = 0;
    // Gravity shift read out when it was set aside as a neighbour (before the next movement).
    bool gravity_fixed = false;
    bool gravity_shift = false;
    // Decay from the peak: the last sample at or above the release level (release_frac of the
    // peak, at least the off level), whether the envelope has been below it since the peak, and
    // whether it came back above RERISE_FRAC of the peak afterwards (a second stroke).
    double decay_last = 0;
    bool dipped = false;
    bool rerise = false;
    double half_at = -1;  // first sample below RERISE_FRAC of the peak after it (-1: not yet)
    std::vector<OnTop> on_top;  // jerks on top of it, in time order
};

}  // namespace

struct Detector::Impl {
    DetectorParams p;
    double epoch_s;

    // Stream configuration (changes reset the filters).
    double hz = 0;
    double dt = 0;
    int channels = 0;
    std::size_t half = 0;        // high-pass half window, samples (the exact median's; checkpoints 1-3)
    DecimatedMedian::Shape hp_shape{};
    std::size_t delay = 0;       // samples between a raw sample and its detrended value
    std::size_t env_len = 1;     // envelope window, samples

    // Segment state: a segment is a gap-free run of samples.
    bool in_segment = false;
    double seg_start = 0;        // time of the segment's first sample
    double last_t = 0;           // time of the last raw sample pushed
    std::size_t pushed = 0;      // raw samples pushed in this segment (padding excluded)
    Vec3 last_raw{};
    std::array<DecimatedMedian, 3> med;
    // Samples coming out of the high-pass that were processed before a restart from an older
    // checkpoint (whose filter had a shorter delay): they are not processed twice.
    std::size_t skip = 0;

    // Envelopes: the short one finds and times movements; the sustain one (SUSTAIN_S) keeps a
    // limb movement whole through the dips of a slow or weak oscillation.
    RmsWindow env_fast, env_slow;
    // The short envelope's last values, for jerks on top of a movement: newest at head - 1.
    std::vector<double> env_hist;
    std::size_t hist_head = 0, hist_filled = 0;
    std::size_t n_reach = 1, n_fall = 1, n_span = 1;

    // Noise floor: per quiet second, median and MAD of each envelope.
    std::vector<double> sec_vals, sec_vals_slow;
    long long sec_index = std::numeric_limits<long long>::min();
    bool sec_quiet = true;
    FloorStats floor_fast, floor_slow;
    CrestStats crest;
    double crest_thr = 0;        // noise-crest bound of the short envelope (0: not known yet)
    double on_thr = 0;
    double off_thr = 0;
    double sustain_thr = 0;
    double slow_on_thr = 0;
    double floor_med = 0;
    bool stuck = false;          // activity outlived max_movement_s: the floor is learning it

    // Gravity blocks.
    std::array<GravityBlock, GRAVITY_BLOCKS> blocks{};
    std::size_t block_head = 0;
    std::size_t block_count = 0;
    long long block_index = std::numeric_limits<long long>::min();
    Vec3 block_sum{};
    std::size_t block_n = 0;

    // Movement state.
    bool active = false;
    // Centre time of the first sample of the short envelope's current run above the off level
    // (NaN while below it): how long a movement took to rise from the off to the on level.
    double above_off_since = std::numeric_limits<double>::quiet_NaN();
    Candidate cur;
    std::optional<Candidate> pending;
    std::optional<Candidate> neighbour;  // a finished movement waiting for the one that started within NEIGHBOUR_S
    // Decay times (s) of the last ring_impulses clear impulses, oldest first, and the scale of
    // the twitch limit they give (1 until IMPULSE_MIN are known).
    std::vector<double> impulse_decays;
    double ring_scale = 1;
    double last_end = -1e300;    // end of the last movement, for quiet-second bookkeeping

    // Epochs.
    long long epoch_index = std::numeric_limits<long long>::min();
    EpochActivity epoch;
    std::vector<EpochActivity> done_epochs;

    Impl(const DetectorParams& params, double epoch_len_s) : p(params), epoch_s(epoch_len_s > 0 ? epoch_len_s : 60) {
        const std::size_t n = static_cast<std::size_t>(std::max(1.0, std::round(p.noise_window_s)));
        floor_fast.reset(n);
        floor_slow.reset(n);
        crest.reset(n);
        update_thresholds();
    }

    bool is_accel() const { return channels == 3; }
    double slow_window_s() const { return static_cast<double>(env_slow.size()) * dt; }
    /// The twitch duration limit on this bed: twitch_max_s stretched by its learnt ringing.
    double twitch_limit() const { return p.twitch_max_s * ring_scale; }

    /// Learnt ringing time over the prior: the median decay of the last impulses, bounded to
    /// [1, ring_scale_max]. A bed can only stretch the 0.5 s a jerk moves the body, never shorten it.
    void update_ring_scale() {
        ring_scale = 1;
        if (impulse_decays.size() < IMPULSE_MIN || !(p.ring_decay_s > 0)) return;
        std::vector<double> d = impulse_decays;
        ring_scale = std::clamp(median_of(d) / p.ring_decay_s, 1.0, std::max(1.0, p.ring_scale_max));
    }

    /// A clear impulse (see IMPULSE_PEAK_ON) that fell below half its peak within `width_s`.
    bool is_impulse(const Candidate& c, double decay_s, double width_s = IMPULSE_WIDTH_S) const {
        return c.fast_seen && !c.rerise && c.start - c.rise_from <= std::max(RISE_MAX_S, 2 * dt) + 1e-9 &&
               c.half_at >= 0 && c.half_at - c.start <= width_s + 1e-9 &&
               c.peak >= IMPULSE_PEAK_ON * c.on_g && c.tail_n > 0 && 2 * c.tail_active <= c.tail_n && decay_s > 0 &&
               decay_s <= IMPULSE_MAX_DECAY_S;
    }

    void learn_impulse(double decay_s) {
        const auto n = static_cast<std::size_t>(std::max(1, p.ring_impulses));
        impulse_decays.push_back(decay_s);
        while (impulse_decays.size() > n) impulse_decays.erase(impulse_decays.begin());
        update_ring_scale();
    }

    void configure(double rate_hz, int nch) {
        hz = rate_hz;
        dt = 1.0 / rate_hz;
        channels = nch;
        const double median_window_s = 0.5 / std::max(0.05, p.highpass_hz);
        half = static_cast<std::size_t>(std::max(1.0, std::round(0.5 * median_window_s * hz)));
        hp_shape = DecimatedMedian::shape_for(half, hz, HIGHPASS_MIN_RATE_HZ, HIGHPASS_MAX_SPAN_ERROR);
        delay = hp_shape.delay();
        env_len = static_cast<std::size_t>(std::max(3.0, std::round(p.envelope_ms / 1000.0 * hz)));
        env_fast.reset(env_len);
        env_slow.reset(static_cast<std::size_t>(std::max(static_cast<double>(env_len), std::round(SUSTAIN_S * hz))));
        n_reach = static_cast<std::size_t>(std::max(1.0, std::round(IMPULSE_WIDTH_S * hz)));
        n_fall = static_cast<std::size_t>(
            std::max(1.0, std::round((IMPULSE_WIDTH_S + p.ring_decay_s * std::max(1.0, p.ring_scale_max)) * hz)));
        n_span = static_cast<std::size_t>(std::max(1.0, std::round(EMBED_SPAN_S * hz)));
        env_hist.assign(n_fall + n_reach + 2 * n_span + 1, 0.0);
        hist_head = hist_filled = 0;
        sec_vals.clear();
        sec_vals_slow.clear();
        sec_vals.reserve(static_cast<std::size_t>(hz) + 2);
        sec_vals_slow.reserve(static_cast<std::size_t>(hz) + 2);
        update_thresholds();
    }

    void update_thresholds() {
        const bool known = floor_fast.filled() > 0 && floor_fast.filled() >= std::min(MIN_FLOOR_SECONDS, floor_fast.capacity());
        double sigma = 0, med_s = 0, sigma_s = 0;
        floor_med = 0;
        crest_thr = crest.bound();
        if (known) {
            std::tie(floor_med, sigma) = floor_fast.level();
            std::tie(med_s, sigma_s) = floor_slow.level();
        }
        if (channels == 1) {
            // Scalar sensors have no physical unit: thresholds are purely relative to the floor,
            // and nothing is detected before the floor is known.
            if (!known) {
                on_thr = off_thr = sustain_thr = slow_on_thr = std::numeric_limits<double>::infinity();
                return;
            }
            const double tiny = 1e-12;
            on_thr = std::max({floor_med + p.on_k * sigma, 2.0 * floor_med, tiny});
            off_thr = std::min(on_thr, std::max({floor_med + p.off_k * sigma, 1.5 * floor_med, tiny}));
            sustain_thr = std::max({med_s + p.off_k * sigma_s, 1.5 * med_s, tiny});
            slow_on_thr = std::max({med_s + p.on_k * sigma_s, 2.0 * med_s, tiny});
            return;
        }
        // Until the floor is known (the first seconds of a detector's life) nothing is detected:
        // a threshold guessed before the noise is measured would fire on a noisy sensor.
        if (!known) {
            on_thr = off_thr = sustain_thr = slow_on_thr = std::numeric_limits<double>::infinity();
            return;
        }
        const double min_off = p.on_k > 0 ? p.min_on_g * p.off_k / p.on_k : p.min_on_g;
        on_thr = std::max({p.min_on_g, floor_med + p.on_k * sigma, ON_MEDIAN_RATIO * floor_med});
        off_thr = std::min(on_thr, std::max(min_off, floor_med + p.off_k * sigma));
        slow_on_thr = std::max(p.min_on_g, med_s + p.on_k * sigma_s);
        sustain_thr = std::min(slow_on_thr, std::max(min_off, med_s + p.off_k * sigma_s));
    }

    // ---- segments -------------------------------------------------------------------------

    void start_segment(double t, const Vec3& x) {
        in_segment = true;
        seg_start = t;
        last_t = t - dt;
        pushed = 0;
        for (int c = 0; c < channels; ++c) med[static_cast<std::size_t>(c)].reset(hp_shape, x[static_cast<std::size_t>(c)]);
        skip = 0;
        env_fast.reset(env_fast.size());
        env_slow.reset(env_slow.size());
        hist_head = hist_filled = 0;
        block_count = 0;
        block_index = std::numeric_limits<long long>::min();
        block_sum = {};
        block_n = 0;
    }

    /// Ends the current segment: pads the high-pass so the last samples are processed, then
    /// ends any movement (a gap never joins two movements).
    void end_segment(std::vector<DetectedMovement>& out) {
        if (!in_segment) return;
        const double t_last = last_t;
        for (std::size_t i = 0; i < delay && pushed > 0; ++i) push_raw(t_last + static_cast<double>(i + 1) * dt, last_raw, true, out);
        if (active) close_active(out);
        finalize_pending(out, true);
        if (neighbour) emit(*neighbour, true, out);  // never without a follower, but a checkpoint may say so
        neighbour.reset();
        close_second();
        in_segment = false;
        last_t = t_last;
    }

    // ---- per sample --------------------------------------------------------------------------

    void push_raw(double t, const Vec3& x, bool padding, std::vector<DetectedMovement>& out) {
        for (int c = 0; c < channels; ++c) med[static_cast<std::size_t>(c)].push(x[static_cast<std::size_t>(c)]);
        if (!padding) {
            ++pushed;
            last_t = t;
            last_raw = x;
        }
        // The sample leaving the high-pass is `delay` samples back.
        const double tc = t - static_cast<double>(delay) * dt;
        if (tc < seg_start - 1e-9) return;  // window still filling with the first sample's copies
        if (skip > 0) {
            --skip;
            return;
        }
        Vec3 v{};
        Vec3 raw{};
        double e2 = 0;
        for (int c = 0; c < channels; ++c) {
            const auto k = static_cast<std::size_t>(c);
            raw[k] = med[k].centre();
            v[k] = raw[k] - med[k].baseline();
            e2 += v[k] * v[k];
        }
        process(tc, raw, e2, out);
    }

    void process(double tc, const Vec3& raw, double e2, std::vector<DetectedMovement>& out) {
        const double env = env_fast.push(e2);
        const double slow = env_slow.push(e2);

        track_second(tc);
        track_gravity(tc, raw);
        step_state(tc, env, slow, out);
        env_hist[hist_head] = env;
        hist_head = (hist_head + 1) % env_hist.size();
        if (hist_filled < env_hist.size()) ++hist_filled;
        find_on_top(tc);
        track_epoch(tc, env);
        sec_vals.push_back(env);
        sec_vals_slow.push_back(slow);
        if (active || tc - last_end < 1.0) sec_quiet = false;
    }

    void track_second(double tc) {
        const auto s = static_cast<long long>(std::floor(tc));
        if (s != sec_index) {
            close_second();
            sec_index = s;
            sec_quiet = true;
            sec_vals.clear();
            sec_vals_slow.clear();
        }
    }

    /// Teaches the floor one second of envelope when it was quiet (or when activity is stuck on).
    void close_second() {
        // Only whole seconds teach the floor: a second needs most of its samples.
        if (hz > 0 && static_cast<double>(sec_vals.size()) >= 0.8 * hz && sec_vals.size() == sec_vals_slow.size()) {
            const double m = FloorStats::second_median(sec_vals);
            // A second teaches the floor when nothing moved in it, or when its typical level is
            // still below the on threshold: noise that keeps poking above a threshold set too low
            // (start-up, a noisier sensor) then raises the floor instead of holding it down.
            if (sec_quiet || stuck || m < on_thr) {
                crest.add_second(*std::max_element(sec_vals.begin(), sec_vals.end()));
                floor_fast.add_second(sec_vals, m);
                floor_slow.add_second(sec_vals_slow, FloorStats::second_median(sec_vals_slow));
                update_thresholds();
            }
        }
        sec_vals.clear();
        sec_vals_slow.clear();
    }

    void track_gravity(double tc, const Vec3& raw) {
        const auto b = static_cast<long long>(std::floor(tc / GRAVITY_BLOCK_S));
        if (b != block_index) {
            if (block_n > 0) {
                GravityBlock& g = blocks[block_head];
                g.start = static_cast<double>(block_index) * GRAVITY_BLOCK_S;
                for (std::size_t k = 0; k < 3; ++k) g.mean[k] = block_sum[k] / static_cast<double>(block_n);
                block_head = (block_head + 1) % GRAVITY_BLOCKS;
                if (block_count < GRAVITY_BLOCKS) ++block_count;
            }
            block_index = b;
            block_sum = {};
            block_n = 0;
        }
        for (std::size_t k = 0; k < 3; ++k) block_sum[k] += raw[k];
        ++block_n;
    }

    /// Mean of the completed gravity blocks lying wholly inside [from, to].
    std::optional<Vec3> gravity_between(double from, double to) const {
        Vec3 sum{};
        int n = 0;
        for (std::size_t i = 0; i < block_count; ++i) {
            const GravityBlock& g = blocks[(block_head + GRAVITY_BLOCKS - 1 - i) % GRAVITY_BLOCKS];
            if (g.start >= from - 1e-9 && g.start + GRAVITY_BLOCK_S <= to + 1e-9) {
                for (std::size_t k = 0; k < 3; ++k) sum[k] += g.mean[k];
                ++n;
            }
        }
        if (n == 0) return std::nullopt;
        for (double& q : sum) q /= n;
        return sum;
    }

    void step_state(double tc, double env, double slow, std::vector<DetectedMovement>& out) {
        if (!(env >= off_thr)) above_off_since = std::numeric_limits<double>::quiet_NaN();
        else if (std::isnan(above_off_since)) above_off_since = tc;
        if (stuck) {
            // The floor is catching up with a lasting change (a fan, a pump): no movements until
            // the envelope is back under the off level.
            if (env < off_thr) stuck = false;
            return;
        }
        if (!active) {
            if (pending) {
                const double after = tc - pending->last_above;
                ++pending->gap_n;
                if (slow >= sustain_thr) ++pending->gap_active;
                if (after > TAIL_FROM_S && after <= GRAVITY_SPAN_S) {
                    ++pending->tail_n;
                    if (slow >= sustain_thr) {
                        ++pending->tail_active;
                        pending->tail_last = tc - 0.5 * slow_window_s();
                    }
                }
            }
            if (pending && tc - pending->last_above > std::max(p.merge_gap_s, GRAVITY_SPAN_S)) finalize_pending(out, false);
            double on_eff = on_thr;
            double slow_on_eff = slow_on_thr;
            // A limb movement that went on below the on threshold (its sustain envelope stayed up
            // through most of the gap) and comes back above it is still the same movement.
            const bool goes_on = pending && pending->last_above - pending->start >= p.twitch_max_s && pending->gap_n > 0 &&
                                 2 * pending->gap_active > pending->gap_n;
            const bool in_gap = pending && (tc - pending->last_above <= p.merge_gap_s || goes_on);
            // After the ringing rule ended a short movement, only a new rise above that level
            // (not the decaying ringing itself) continues it.
            if (in_gap && pending->released) {
                on_eff = std::max(on_eff, p.release_frac * pending->peak);
                slow_on_eff = std::max(slow_on_eff, p.release_frac * pending->peak);
            }
            // The short envelope catches impulses; the sustain envelope, with less noise, catches
            // weak but lasting oscillation (its start is backdated by half its window).
            const bool fast_on = env > on_eff;
            if (fast_on || slow > slow_on_eff) {
                const double t_start = fast_on ? tc : tc - 0.5 * slow_window_s();
                if (in_gap) {
                    cur = *pending;
                    cur.released = false;
                    cur.tail_n = cur.tail_active = cur.gap_n = cur.gap_active = 0;  // counted again after the new end
                    pending.reset();
                } else {
                    if (pending && !neighbour && tc - pending->last_above <= NEIGHBOUR_S) {
                        // Whether the two are one movement depends on how long the new one is.
                        pending->gravity_shift = shift_of(*pending, false);
                        pending->gravity_fixed = true;
                        neighbour = std::move(pending);
                        pending.reset();
                    }
                    finalize_pending(out, false);
                    cur = Candidate{};
                    cur.start = t_start;
                    cur.on_g = on_eff;
                    cur.crest_g = crest_thr;
                    cur.sustain_start = !fast_on;
                    cur.fast_seen = fast_on;
                    cur.rise_from = fast_on && !std::isnan(above_off_since) ? above_off_since : t_start;
                    if (is_accel()) cur.pre_gravity = gravity_between(t_start - GRAVITY_SPAN_S, t_start - GRAVITY_GUARD_S);
                }
                if (env > cur.peak) {
                    cur.peak = env;
                    cur.peak_t = tc;
                }
                track_decay(cur, tc, env);
                cur.last_above = std::max(cur.last_above, t_start);
                active = true;
            }
            return;
        }
        if (!cur.fast_seen && env > cur.on_g) {
            cur.fast_seen = true;
            // The sustain envelope (lower noise, lower threshold) crossed first; when the short one
            // follows within two of its own windows, the energy came as an impulse that starts
            // here, and its length is counted from here, not from the sustain envelope's backdated
            // start. A weak limb movement builds up for longer before the short envelope crosses.
            if (cur.sustain_start && tc - cur.start - 0.5 * slow_window_s() <= 2 * static_cast<double>(env_len) * dt) {
                cur.start = tc;
                cur.rise_from = std::isnan(above_off_since) ? tc : above_off_since;
                cur.last_above = std::max(cur.last_above, tc);
                if (is_accel()) cur.pre_gravity = gravity_between(tc - GRAVITY_SPAN_S, tc - GRAVITY_GUARD_S);
            }
        }
        if (env > cur.peak) {
            cur.peak = env;
            cur.peak_t = tc;
        }
        track_decay(cur, tc, env);
        double off_eff = off_thr;
        bool ringing_rule = false;
        if (tc - cur.start < p.twitch_max_s && p.release_frac * cur.peak > off_eff) {
            off_eff = p.release_frac * cur.peak;
            ringing_rule = true;
        }
        if (env >= off_eff) {
            cur.last_above = tc;
        } else if (!ringing_rule && tc - cur.start >= p.twitch_max_s && slow >= sustain_thr) {
            // A limb movement dips between strokes; the sustain envelope bridges the dip (it lags
            // by half its window, which the end takes back).
            cur.last_above = std::max(cur.last_above, tc - 0.5 * slow_window_s());
        } else {
            cur.released = ringing_rule;
            close_active(out);
            return;
        }
        if (tc - cur.start > p.max_movement_s) {
            close_active(out);
            finalize_pending(out, true);
            stuck = true;
        }
    }

    /// The short envelope `back` samples before the newest.
    double hist(std::size_t back) const { return env_hist[(hist_head + 2 * env_hist.size() - 1 - back) % env_hist.size()]; }

    /// The movement (in progress, pending or set aside) whose span holds `t`.
    Candidate* holder_of(double t) {
        auto holds = [&](const Candidate& c, double end) { return t >= c.start - IMPULSE_WIDTH_S && t <= end + 1e-9; };
        if (active && holds(cur, last_t)) return &cur;
        if (pending && holds(*pending, pending->last_above)) return &*pending;
        if (neighbour && holds(*neighbour, neighbour->last_above)) return &*neighbour;
        return nullptr;
    }

    /// Looks at the sample whose surroundings have just come in (EMBED_PROMINENCE): a jerk on top
    /// of the movement that holds it is noted there.
    void find_on_top(double tc) {
        if (hist_filled < env_hist.size()) return;
        const std::size_t a = n_fall + n_span;  // the sample looked at
        Candidate* c = holder_of(tc - static_cast<double>(a) * dt);
        if (c == nullptr || c->on_top.size() >= EMBED_MAX) return;
        const double peak = hist(a);
        if (!(peak >= c->on_g) || peak < c->crest_g) return;
        for (std::size_t j = a - n_reach; j <= a + n_reach; ++j)
            if (j != a && (j > a ? hist(j) >= peak : hist(j) > peak)) return;  // the first of equal values
        double base = 0;
        for (std::size_t j = 0; j <= n_span; ++j) base = std::max(base, hist(j));
        for (std::size_t j = a + n_reach; j <= a + n_reach + n_span; ++j) base = std::max(base, hist(j));
        // Quiet on both sides, it is a burst of its own and no jerk on top of anything.
        if (base < off_thr || peak < EMBED_PROMINENCE * base) return;
        const double mid = 0.5 * (peak + base);
        std::size_t rise = a, fall = a;
        while (rise < a + n_reach && hist(rise + 1) >= mid) ++rise;
        while (fall > a - n_reach && hist(fall - 1) >= mid) --fall;
        if (hist(rise + 1) >= mid || hist(fall - 1) >= mid) return;
        const double width = static_cast<double>(rise - fall + 1) * dt;
        if (width > IMPULSE_WIDTH_S + 1e-9) return;
        c->on_top.push_back({tc - static_cast<double>(rise) * dt, width, peak, static_cast<double>(rise - a) * dt});
    }

    /// Follows the fall from the peak to the release level (once the short envelope has crossed
    /// its on threshold): the last sample at or above it, and whether a second stroke followed a dip.
    void track_decay(Candidate& c, double tc, double env) const {
        if (!c.fast_seen) return;
        if (c.dipped && env >= RERISE_FRAC * c.peak) c.rerise = true;
        if (env >= c.peak) c.half_at = -1;
        else if (c.half_at < 0 && env < RERISE_FRAC * c.peak) c.half_at = tc;
        if (env >= std::max(p.release_frac * c.peak, off_thr)) c.decay_last = tc;
        else c.dipped = true;
    }

    void close_active(std::vector<DetectedMovement>&) {
        active = false;
        pending = cur;
        last_end = cur.last_above;
    }

    /// First to last sample above the off level, less half the trailing envelope window (the
    /// envelope outlasts the movement by up to one window); at least one sample.
    double measured_s(const Candidate& c) const {
        return std::max(dt, c.last_above - c.start + dt - 0.5 * static_cast<double>(env_len) * dt);
    }

    /// Posture before against posture after; `cut_short`: the data ended, no partial read-out.
    bool shift_of(const Candidate& c, bool cut_short) const {
        if (c.gravity_fixed) return c.gravity_shift;
        if (!is_accel() || !c.pre_gravity) return false;
        std::optional<Vec3> post = gravity_between(c.last_above + GRAVITY_GUARD_S, c.last_above + GRAVITY_SPAN_S);
        if (!post && !cut_short) post = gravity_between(c.last_above, c.last_above + GRAVITY_SPAN_S);
        return post && angle_deg(*c.pre_gravity, *post) >= p.gravity_shift_deg;
    }

    void finalize_pending(std::vector<DetectedMovement>& out, bool cut_short) {
        if (!pending) return;
        Candidate c = std::move(*pending);
        pending.reset();
        if (neighbour) {
            Candidate n = std::move(*neighbour);
            neighbour.reset();
            // A short burst next to a movement of limb length is a crest of it that the noise
            // cut off (its first or its last): one movement. Two short ones stay two (a jerk can
            // come twice), and two long ones stay two (two limb movements of a PLM series).
            if ((measured_s(n) < p.twitch_max_s) != (measured_s(c) < p.twitch_max_s)) {
                n.last_above = c.last_above;
                if (c.peak > n.peak) {
                    n.peak = c.peak;
                    n.peak_t = c.peak_t;
                }
                n.fast_seen = n.fast_seen || c.fast_seen;
                n.released = c.released;
                n.tail_n = c.tail_n;
                n.tail_active = c.tail_active;
                n.tail_last = c.tail_last;
                n.gap_n = c.gap_n;
                n.gap_active = c.gap_active;
                n.gravity_fixed = false;
                n.rerise = true;  // two bursts, not one impulse
                n.on_top.insert(n.on_top.end(), c.on_top.begin(), c.on_top.end());
                if (n.on_top.size() > EMBED_MAX) n.on_top.resize(EMBED_MAX);
                c = std::move(n);
            } else {
                emit(n, false, out);
            }
        }
        emit(c, cut_short, out);
    }

    void emit(const Candidate& c, bool cut_short, std::vector<DetectedMovement>& out) {
        DetectedMovement m;
        m.decay_s = c.fast_seen ? c.decay_last - c.peak_t : 0;
        m.impulse = is_impulse(c, m.decay_s);
        m.twitch_limit_s = twitch_limit();
        // The movement is classified with what the bed taught before it; then it teaches.
        if (classify(c, cut_short, m)) {
            out.push_back(m);
            // A twitch is its own jerk; a longer movement carries those on top of it (EMBED_HOST_S).
            if (m.type != MovementType::twitch)
                for (const OnTop& j : c.on_top)
                    if (std::max(j.start - c.start, c.last_above - (j.start + j.duration)) >= EMBED_HOST_S) {
                        DetectedMovement t;
                        t.type = MovementType::twitch;
                        t.start = j.start;
                        t.duration_s = j.duration;
                        t.peak_g = j.peak;
                        t.peak_after_s = j.peak_after;
                        t.on_g = c.on_g;
                        t.crest_g = c.crest_g;
                        t.on_top = true;
                        t.twitch_limit_s = m.twitch_limit_s;
                        out.push_back(t);
                    }
        }
        if (m.impulse) learn_impulse(m.decay_s);
    }

    /// Fills in the movement's class and shape; false when it is no event at all.
    bool classify(const Candidate& c, bool cut_short, DetectedMovement& m) const {
        m.start = c.start;
        m.duration_s = measured_s(c);
        m.peak_g = c.peak;
        m.on_g = c.on_g;
        m.crest_g = c.crest_g;
        m.sustain_start = c.sustain_start;
        m.rise_s = c.start - c.rise_from;
        m.peak_after_s = c.peak_t - c.start;
        // A jerk is over once its ringing has died away. A burst that is short only because just
        // the crest of a weak, longer movement crossed the on threshold keeps moving below it:
        // its sustain envelope stays up. It lasted that long, so it is no twitch.
        if (m.duration_s < p.twitch_max_s && c.tail_n > 0 &&
            static_cast<double>(c.tail_active) > TAIL_ACTIVE_SHARE * static_cast<double>(c.tail_n))
            m.duration_s = std::max(m.duration_s, c.tail_last - c.start);
        m.gravity_shift = shift_of(c, cut_short);
        // A clear impulse whose ringing kept it above the off level past twitch_max_s (a bed that
        // rings longer, or a long jerk peaking late): the jerk is over where its envelope fell to
        // the release level, as for any younger movement, provided it fell there as fast as this
        // bed rings (RING_DECAY_SPREAD). It is a twitch when that end stays within the limit,
        // stretched by the learnt ringing. Everything else keeps the fixed limit, so limb movements
        // are cut and merged as before.
        double limit = p.twitch_max_s;
        // The body's part is over within twitch_max_s (the premise of that limit), so here the
        // impulse only has to fall below half its peak within it; teaching asks for 0.3 s. Its
        // length is counted with its rise from the off level, as below: one that reaches the limit
        // only with its rise is judged by its fall as well.
        const double rise = c.start - c.rise_from;
        if (m.duration_s + rise >= p.twitch_max_s && is_impulse(c, m.decay_s, p.twitch_max_s) &&
            m.decay_s <= RING_DECAY_SPREAD * p.ring_decay_s * ring_scale + 1e-9) {
            const double impulse_s = std::max(dt, c.decay_last - c.start + dt - 0.5 * static_cast<double>(env_len) * dt);
            if (impulse_s < twitch_limit()) {
                m.duration_s = impulse_s;
                limit = twitch_limit();
            }
        }
        if (m.duration_s < limit) {
            // A jerk is an impulse: its short envelope crosses the on threshold and rises above
            // the highest crest the noise floor reaches in many nights. A short burst that does
            // neither is the noise's own extreme (or a weak stir too small to be named): no event.
            if (!c.fast_seen || c.peak < c.crest_g) return false;
            m.type = MovementType::twitch;
            // Its end is where it fell below the off level, so its start is where it rose above
            // it: a short limb movement whose ramps stay under the on level loses them at both
            // ends, and only counted from there does it reach the limit. A slow rise alone marks
            // the crest of a weak limb movement (RISE_MAX_S). So does a second stroke: a jerk is
            // one impulse, and its ringing only decays, so once below the release level it never
            // comes back above RERISE_FRAC of its peak; two strokes are a limb that moved.
            if (rise > std::max(RISE_MAX_S, 2 * dt) + 1e-9 || m.duration_s + rise >= limit || c.rerise) {
                // It began when it first rose above the off level.
                m.type = MovementType::limb_movement;
                m.duration_s += rise;
                m.start = c.rise_from;
            }
        } else if (m.duration_s > p.lm_max_s || (m.duration_s >= p.large_min_s && m.gravity_shift))
            m.type = MovementType::large_movement;
        else
            m.type = MovementType::limb_movement;
        return true;
    }

    void track_epoch(double tc, double env) {
        const auto e = static_cast<long long>(std::floor(tc / epoch_s));
        if (e != epoch_index) {
            if (epoch_index != std::numeric_limits<long long>::min() && epoch.coverage > 0) done_epochs.push_back(finished_epoch());
            epoch_index = e;
            epoch = EpochActivity{};
            epoch.start = static_cast<double>(e) * epoch_s;
            epoch.epoch_s = epoch_s;
        }
        epoch.coverage += dt;  // seconds for now; a share once finished
        if (active) {
            epoch.active_s += dt;
            if (on_thr > 0 && std::isfinite(on_thr)) epoch.activity += dt * env / on_thr;
        }
    }

    EpochActivity finished_epoch() const {
        EpochActivity e = epoch;
        e.coverage = std::clamp(e.coverage / epoch_s, 0.0, 1.0);
        return e;
    }

    // ---- checkpoint ------------------------------------------------------------------------------

    static void save_candidate(state_text::Writer& w, const Candidate& c) {
        w.num(c.start);
        w.num(c.last_above);
        w.num(c.peak);
        w.integer(c.pre_gravity ? 1 : 0);
        if (c.pre_gravity)
            for (double q : *c.pre_gravity) w.num(q);
        w.integer(c.released);
        w.integer(static_cast<long long>(c.tail_n));
        w.integer(static_cast<long long>(c.tail_active));
        w.num(c.tail_last);
        w.integer(static_cast<long long>(c.gap_n));
        w.integer(static_cast<long long>(c.gap_active));
        w.num(c.on_g);
        w.num(c.crest_g);
        w.integer(c.sustain_start);
        w.integer(c.fast_seen);
        w.num(c.rise_from);
        w.num(c.peak_t);
        w.integer(c.gravity_fixed);
        w.integer(c.gravity_shift);
        w.num(c.decay_last);
        w.integer(c.dipped);
        w.integer(c.rerise);
        w.num(c.half_at);
        w.integer(static_cast<long long>(c.on_top.size()));
        for (const OnTop& j : c.on_top) {
            w.num(j.start);
            w.num(j.duration);
            w.num(j.peak);
            w.num(j.peak_after);
        }
    }

    static Candidate load_candidate(state_text::Reader& r, int version) {
        Candidate c;
        c.start = r.num();
        c.last_above = r.num();
        c.peak = r.num();
        if (r.flag()) {
            Vec3 g{};
            for (double& q : g) q = r.num();
            c.pre_gravity = g;
        }
        c.released = r.flag();
        c.tail_n = r.count();
        c.tail_active = r.count(c.tail_n);
        c.tail_last = r.num();
        c.gap_n = r.count();
        c.gap_active = r.count(c.gap_n);
        if (version >= 2) {
            c.on_g = r.num();
            c.crest_g = r.num();
            c.sustain_start = r.flag();
            c.fast_seen = r.flag();
            c.rise_from = r.num();
            c.peak_t = r.num();
            c.gravity_fixed = r.flag();
            c.gravity_shift = r.flag();
        } else {
            c.fast_seen = true;
            c.rise_from = c.peak_t = c.start;
        }
        if (version >= 3) {
            c.decay_last = r.num();
            c.dipped = r.flag();
            c.rerise = r.flag();
            c.half_at = r.num();
        } else {
            // Its decay was not followed: it teaches nothing about the bed.
            c.decay_last = c.peak_t;
            c.rerise = true;
        }
        if (version >= 5)
            for (std::size_t i = 0, n = r.count(EMBED_MAX); r.ok() && i < n; ++i) {
                OnTop j;
                j.start = r.num();
                j.duration = r.num();
                j.peak = r.num();
                j.peak_after = r.num();
                if (!(j.duration > 0 && j.duration <= IMPULSE_WIDTH_S + 1e-6 && j.peak_after >= 0 &&
                      j.peak_after <= j.duration))
                    r.reject();
                c.on_top.push_back(j);
            }
        return c;
    }

    static void save_values(state_text::Writer& w, const std::vector<double>& v) {
        w.integer(static_cast<long long>(v.size()));
        for (double q : v) w.num(q);
    }

    static void load_values(state_text::Reader& r, std::vector<double>& v, std::size_t max) {
        v.clear();
        for (std::size_t i = 0, n = r.count(max); r.ok() && i < n; ++i) v.push_back(r.num());
    }

    /// Everything a restarted detector needs to continue sample for sample: the filter windows,
    /// the second being collected for the floor, the floor itself, the gravity blocks, the
    /// movement in progress or pending, and the open epoch. Thresholds follow from the floor.
    void save(state_text::Writer& w) const {
        constexpr long long NONE = std::numeric_limits<long long>::min();
        w.word("detector-5");
        w.num(hz);
        w.integer(channels);
        if (hz > 0) {
            w.integer(in_segment);
            w.num(seg_start);
            w.num(last_t);
            w.integer(static_cast<long long>(pushed));
            for (double q : last_raw) w.num(q);
            for (int c = 0; c < channels; ++c) med[static_cast<std::size_t>(c)].save(w);
            w.integer(static_cast<long long>(skip));
            env_fast.save(w);
            env_slow.save(w);
            save_values(w, env_hist);
            w.integer(static_cast<long long>(hist_head));
            w.integer(static_cast<long long>(hist_filled));
            save_values(w, sec_vals);
            save_values(w, sec_vals_slow);
        }
        w.integer(sec_index);
        w.integer(sec_quiet);
        floor_fast.save(w);
        floor_slow.save(w);
        crest.save(w);
        save_values(w, impulse_decays);
        w.integer(stuck);
        w.integer(static_cast<long long>(block_head));
        w.integer(static_cast<long long>(block_count));
        w.integer(block_index);
        w.integer(static_cast<long long>(block_n));
        for (double q : block_sum) w.num(q);
        for (const GravityBlock& g : blocks) {
            w.num(g.start);
            for (double q : g.mean) w.num(q);
        }
        w.integer(active);
        save_candidate(w, cur);
        w.integer(pending ? 1 : 0);
        if (pending) save_candidate(w, *pending);
        w.integer(neighbour ? 1 : 0);
        if (neighbour) save_candidate(w, *neighbour);
        w.num(last_end);
        w.integer(std::isnan(above_off_since) ? 0 : 1);
        if (!std::isnan(above_off_since)) w.num(above_off_since);
        w.integer(epoch_index == NONE ? 0 : 1);
        if (epoch_index != NONE) {
            w.integer(epoch_index);
            w.num(epoch.activity);
            w.num(epoch.coverage);
            w.num(epoch.active_s);
        }
        w.integer(static_cast<long long>(done_epochs.size()));
        for (const EpochActivity& e : done_epochs) {
            w.num(e.start);
            w.num(e.activity);
            w.num(e.coverage);
            w.num(e.active_s);
        }
        w.word("detector-end");
    }

    /// Restores the high-pass from the window of the exact running median that checkpoints 1-3
    /// held (per channel: size, head, then the last 2·half + 1 raw samples, the oldest at head):
    /// the window is replayed into the decimated median on the segment's phase, and the samples
    /// the older filter had already handed on are skipped once they come out again. Evaluation
    /// points older than the window are taken as its oldest sample, as at a segment start.
    void load_exact_window(state_text::Reader& r) {
        const std::size_t n = 2 * half + 1;
        std::array<std::vector<double>, 3> ring;
        for (int c = 0; c < channels; ++c) {
            auto& q = ring[static_cast<std::size_t>(c)];
            if (r.count() != n) r.reject();
            const auto head = r.count(n - 1);
            q.resize(n);
            for (double& v : q) v = r.num();
            if (!r.ok()) return;
            std::rotate(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(head), q.end());
        }
        // Segment index of the window's oldest sample (negative: a copy of the first sample).
        const auto seen = static_cast<long long>(pushed);
        const long long oldest = seen - static_cast<long long>(n);
        const auto k = static_cast<long long>(hp_shape.k);
        const auto phase = static_cast<std::size_t>(((oldest % k) + k) % k);
        for (int c = 0; c < channels; ++c) {
            const auto& q = ring[static_cast<std::size_t>(c)];
            auto& m = med[static_cast<std::size_t>(c)];
            m.reset(hp_shape, 0);
            m.replay(q.data(), q.size(), phase);
        }
        // The old filter handed on samples up to seen − 1 − half; the new one hands on seen − delay next.
        const long long done_to = seen - 1 - static_cast<long long>(half);
        const long long next = std::max(0LL, seen - static_cast<long long>(delay));
        skip = done_to >= next ? static_cast<std::size_t>(done_to - next + 1) : 0;
    }

    /// Reads what save() wrote into this freshly constructed detector; false when malformed.
    bool load(state_text::Reader& r) {
        constexpr long long NONE = std::numeric_limits<long long>::min();
        constexpr long long BIG = std::numeric_limits<long long>::max();
        // Version 1 lacked the noise-crest statistics and the thresholds a candidate started
        // with: it is still resumed, and the crest bound is learnt again from the next seconds.
        // Version 2 lacked the bed's ringing: it is learnt again from the next impulses.
        // Versions 1-3 held the exact running median's window: it is replayed into the high-pass.
        // Versions 1-4 lacked the short envelope's recent values: jerks on top of a movement are
        // looked for again once they have come in.
        const int version = r.next_is("detector-5")   ? 5
                            : r.next_is("detector-4") ? 4
                            : r.next_is("detector-3") ? 3
                            : r.next_is("detector-2") ? 2
                            : r.word("detector-1")    ? 1
                                                      : 0;
        if (version == 0) return false;
        const double rate = r.num();
        const auto nch = static_cast<int>(r.integer(0, 3));
        if (!r.ok()) return false;
        if (rate > 0) {
            if (rate > 100000 || (nch != 1 && nch != 3)) return false;
            configure(rate, nch);
            in_segment = r.flag();
            seg_start = r.num();
            last_t = r.num();
            pushed = static_cast<std::size_t>(r.integer(0, BIG));
            for (double& q : last_raw) q = r.num();
            if (version >= 4) {
                for (int c = 0; c < channels; ++c) {
                    auto& m = med[static_cast<std::size_t>(c)];
                    m.reset(hp_shape, 0);
                    m.load(r);
                }
                skip = r.count(delay);
            } else {
                load_exact_window(r);
            }
            env_fast.load(r);
            env_slow.load(r);
            if (version >= 5) {
                std::vector<double> h;
                load_values(r, h, env_hist.size());
                if (h.size() != env_hist.size()) r.reject();
                for (double q : h)
                    if (!(q >= 0) || !std::isfinite(q)) r.reject();
                const auto head = r.count(env_hist.size() - 1);
                const auto filled = r.count(env_hist.size());
                if (filled < env_hist.size() && head != filled) r.reject();
                if (r.ok()) {
                    env_hist = std::move(h);
                    hist_head = head;
                    hist_filled = filled;
                }
            }
            const auto per_second = static_cast<std::size_t>(2 * rate) + 8;
            load_values(r, sec_vals, per_second);
            load_values(r, sec_vals_slow, per_second);
        } else if (rate != 0 || nch != 0) {
            return false;
        }
        sec_index = r.integer(NONE, BIG);
        sec_quiet = r.flag();
        floor_fast.load(r);
        floor_slow.load(r);
        if (version >= 2) crest.load(r);
        if (version >= 3) {
            load_values(r, impulse_decays, static_cast<std::size_t>(std::max(1, p.ring_impulses)));
            for (double d : impulse_decays)
                if (!(d > 0 && d <= IMPULSE_MAX_DECAY_S)) r.reject();
            update_ring_scale();
        }
        stuck = r.flag();
        block_head = r.count(GRAVITY_BLOCKS - 1);
        block_count = r.count(GRAVITY_BLOCKS);
        block_index = r.integer(NONE, BIG);
        block_n = static_cast<std::size_t>(r.integer(0, BIG));
        for (double& q : block_sum) q = r.num();
        for (GravityBlock& g : blocks) {
            g.start = r.num();
            for (double& q : g.mean) q = r.num();
        }
        active = r.flag();
        cur = load_candidate(r, version);
        if (r.flag()) pending = load_candidate(r, version);
        if (version >= 2 && r.flag()) neighbour = load_candidate(r, version);
        last_end = r.num();
        if (version >= 2 && r.flag()) above_off_since = r.num();
        if (r.flag()) {
            epoch_index = r.integer(NONE + 1, BIG);
            epoch = EpochActivity{};
            epoch.start = static_cast<double>(epoch_index) * epoch_s;
            epoch.epoch_s = epoch_s;
            epoch.activity = r.num();
            epoch.coverage = r.num();
            epoch.active_s = r.num();
        }
        for (std::size_t i = 0, n = r.count(); r.ok() && i < n; ++i) {
            EpochActivity e;
            e.start = r.num();
            e.epoch_s = epoch_s;
            e.activity = r.num();
            e.coverage = r.num();
            e.active_s = r.num();
            done_epochs.push_back(e);
        }
        if (!r.word("detector-end") || !r.ok()) return false;
        update_thresholds();
        return true;
    }

    // ---- batches ------------------------------------------------------------------------------

    template <class Sample>
    void feed(double t0, double rate_hz, std::size_t n, int nch, Sample sample, std::vector<DetectedMovement>& out) {
        if (!(rate_hz > 0) || !std::isfinite(rate_hz) || !std::isfinite(t0) || n == 0) return;
        if (rate_hz != hz || nch != channels) {
            end_segment(out);
            configure(rate_hz, nch);
        }
        for (std::size_t i = 0; i < n; ++i) {
            const double t = t0 + static_cast<double>(i) * dt;
            Vec3 x{};
            bool finite = true;
            sample(i, x);
            for (int c = 0; c < nch; ++c) finite = finite && std::isfinite(x[static_cast<std::size_t>(c)]);
            if (!finite) {
                // A broken sample is a hole in the data, never a value.
                end_segment(out);
                continue;
            }
            if (in_segment) {
                if (t <= last_t + 0.5 * dt) continue;         // already consumed (re-delivery, overlap)
                if (t > last_t + 1.5 * dt) end_segment(out);  // a gap ends everything in progress
            } else if (pushed > 0 && t <= last_t + 0.5 * dt) {
                continue;
            }
            if (!in_segment) start_segment(t, x);
            push_raw(t, x, false, out);
        }
    }

    void flush(double t, std::vector<DetectedMovement>& out) {
        end_segment(out);
        if (epoch_index != std::numeric_limits<long long>::min() && epoch.coverage > 0 && t >= epoch.start + epoch_s) {
            done_epochs.push_back(finished_epoch());
            epoch = EpochActivity{};
            epoch.start = epoch_index * epoch_s;
            epoch.epoch_s = epoch_s;
        }
    }
};

Detector::Detector(const DetectorParams& params, double epoch_s) : impl_(std::make_unique<Impl>(params, epoch_s)) {}
Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

void Detector::feed(const AccelBatch& batch, std::vector<DetectedMovement>& out) {
    impl_->feed(
        batch.t0, batch.hz, batch.xyz_g.size(), 3,
        [&](std::size_t i, Vec3& x) {
            for (std::size_t k = 0; k < 3; ++k) x[k] = static_cast<double>(batch.xyz_g[i][k]);
        },
        out);
}

void Detector::feed(const ScalarBatch& batch, std::vector<DetectedMovement>& out) {
    impl_->feed(
        batch.t0, batch.hz, batch.v.size(), 1, [&](std::size_t i, Vec3& x) { x = {static_cast<double>(batch.v[i]), 0, 0}; },
        out);
}

void Detector::take_epochs(std::vector<EpochActivity>& out) {
    out.insert(out.end(), impl_->done_epochs.begin(), impl_->done_epochs.end());
    impl_->done_epochs.clear();
}

void Detector::flush(UnixS t, std::vector<DetectedMovement>& out) { impl_->flush(t, out); }

void Detector::save_state(state_text::Writer& w) const { impl_->save(w); }

bool Detector::restore_state(state_text::Reader& r) {
    auto fresh = std::make_unique<Impl>(impl_->p, impl_->epoch_s);
    if (!fresh->load(r)) return false;
    impl_ = std::move(fresh);
    return true;
}

UnixS Detector::consumed_until() const { return impl_->pushed > 0 || impl_->in_segment ? impl_->last_t + impl_->dt : 0; }

double Detector::sample_rate_hz() const { return impl_->hz; }

}  // namespace hypnic
