// Streaming movement detection on one raw bed-sensor channel set (accelerometer or scalar).
#pragma once

#include <memory>
#include <vector>

#include "plugin/params.hpp"
#include "plugin/types.hpp"

namespace hypnic {

namespace state_text {
class Writer;
class Reader;
}  // namespace state_text

/// One movement found in the raw stream, classified by its own shape (duration, amplitude,
/// gravity shift). Context-dependent labels (PLM series, onset window) are added by the night.
struct DetectedMovement {
    MovementType type = MovementType::twitch;  ///< twitch | limb_movement | large_movement
    UnixS start = 0;
    double duration_s = 0;
    double peak_g = 0;
    bool gravity_shift = false;
    // What the classification saw (for diagnostics such as `hypnic_accuracy --explain`; not published).
    double on_g = 0;              ///< on threshold of the short envelope when the movement started, g
    double crest_g = 0;           ///< noise-crest bound in force then (see docs/detection.md), g
    bool sustain_start = false;   ///< started by the sustain envelope rather than the short one
    double rise_s = 0;            ///< time the short envelope took from the off to the on level, s
    double peak_after_s = 0;      ///< time from the start to the short envelope's peak, s
    double decay_s = 0;           ///< time from the peak to the last sample at or above the release level, s
    bool impulse = false;         ///< a clear impulse: its decay_s taught the bed's ringing time
    bool on_top = false;          ///< a jerk found on top of a longer movement, published beside it
    double twitch_limit_s = 0;    ///< twitch limit for a clear impulse then (twitch_max_s stretched by the bed's ringing), s
};

/// Movement activity per fixed epoch, derived from the envelope (for sleep/wake scoring).
struct EpochActivity {
    UnixS start = 0;
    double epoch_s = 60;
    double activity = 0;   ///< dimensionless count-like activity (see docs/detection.md)
    double coverage = 0;   ///< share of the epoch that had samples, 0..1
    double active_s = 0;   ///< seconds of the epoch spent inside a detected movement
};

/// Feeds batches in time order; emits a movement once it has ended (plus the merge gap).
/// Gaps in the stream (a batch starting later than the previous one ended) end any movement in
/// progress and are reported as missing coverage, never filled in.
class Detector {
public:
    explicit Detector(const DetectorParams& params, double epoch_s = 60);
    ~Detector();
    Detector(Detector&&) noexcept;
    Detector& operator=(Detector&&) noexcept;

    void feed(const AccelBatch& batch, std::vector<DetectedMovement>& out);
    void feed(const ScalarBatch& batch, std::vector<DetectedMovement>& out);
    /// Completed epochs since the last call.
    void take_epochs(std::vector<EpochActivity>& out);
    /// Ends everything in progress as of `t` (end of data, sensor timeout).
    void flush(UnixS t, std::vector<DetectedMovement>& out);
    /// Time up to which samples have been consumed.
    UnixS consumed_until() const;
    /// The sample rate seen last (0 before any data).
    double sample_rate_hz() const;
    /// Appends the complete streaming state (filter windows, noise floor, movement in progress,
    /// open epoch) to a checkpoint, so that a restored detector continues sample for sample.
    void save_state(state_text::Writer& w) const;
    /// Replaces this detector's state with one written by save_state (same parameters assumed);
    /// returns false and changes nothing when the text is malformed.
    bool restore_state(state_text::Reader& r);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A periodic limb movement series (WASM 2016 / AASM 2007).
struct PlmSeries {
    UnixS start = 0;
    UnixS end = 0;
    int count = 0;
    std::vector<std::size_t> members;  ///< indices into the input onsets
};

/// Limb-movement onsets (and ends) in time order, as input to PLM scoring.
struct LimbMovement {
    UnixS start = 0;
    double duration_s = 0;
};

struct PlmResult {
    std::vector<PlmSeries> series;
    int plm_count = 0;          ///< LMs that belong to a series
    double periodicity = 0;     ///< Ferri's periodicity index, 0..1 (0 when < 2 intervals)
};

/// Finds PLM series among limb movements: runs of >= params.plm_min_run LMs whose onset-to-onset
/// intervals lie in [10, 90] s (WASM 2016) or [5, 90] s (AASM 2007).
PlmResult find_plm_series(const std::vector<LimbMovement>& lms, const DetectorParams& params);

}  // namespace hypnic
