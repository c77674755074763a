// Periodic limb movement series (WASM 2016 / AASM 2007) and Ferri's periodicity index.
#include <cstddef>

#include "plugin/detect/detector.hpp"

namespace hypnic {

namespace {

constexpr double PLM_MAX_INTERVAL_S = 90;
constexpr double WASM_MIN_INTERVAL_S = 10;
constexpr double AASM_MIN_INTERVAL_S = 5;
// Ferri et al. 2006 count intervals in runs of at least three consecutive 10–90 s intervals
// (four movements), independent of the scoring standard used for the series.
constexpr double FERRI_MIN_INTERVAL_S = 10;
constexpr std::size_t FERRI_MIN_RUN_INTERVALS = 3;

bool in_range(double interval_s, double min_s) { return interval_s >= min_s && interval_s <= PLM_MAX_INTERVAL_S; }

}  // namespace

PlmResult find_plm_series(const std::vector<LimbMovement>& lms, const DetectorParams& params) {
    PlmResult r;
    const double min_s = params.plm_wasm2016 ? WASM_MIN_INTERVAL_S : AASM_MIN_INTERVAL_S;
    const std::size_t min_run = static_cast<std::size_t>(params.plm_min_run < 2 ? 2 : params.plm_min_run);

    // A run is a maximal stretch of movements whose consecutive onset-to-onset intervals all lie in
    // [min_s, 90] s. Any other interval (too short or too long) ends the run; the movement after it
    // may start the next one.
    auto close_run = [&](std::size_t first, std::size_t last) {
        const std::size_t n = last - first + 1;
        if (n < min_run) return;
        PlmSeries s;
        s.start = lms[first].start;
        s.end = lms[last].start + lms[last].duration_s;
        s.count = static_cast<int>(n);
        for (std::size_t i = first; i <= last; ++i) s.members.push_back(i);
        r.plm_count += s.count;
        r.series.push_back(std::move(s));
    };
    if (!lms.empty()) {
        std::size_t first = 0;
        for (std::size_t i = 1; i < lms.size(); ++i) {
            if (!in_range(lms[i].start - lms[i - 1].start, min_s)) {
                close_run(first, i - 1);
                first = i;
            }
        }
        close_run(first, lms.size() - 1);
    }

    // Periodicity index: intervals inside runs of >= 3 consecutive 10–90 s intervals, over all intervals.
    if (lms.size() >= 3) {
        const std::size_t intervals = lms.size() - 1;
        std::size_t periodic = 0;
        std::size_t run = 0;
        for (std::size_t i = 1; i < lms.size(); ++i) {
            if (in_range(lms[i].start - lms[i - 1].start, FERRI_MIN_INTERVAL_S)) {
                ++run;
            } else {
                if (run >= FERRI_MIN_RUN_INTERVALS) periodic += run;
                run = 0;
            }
        }
        if (run >= FERRI_MIN_RUN_INTERVALS) periodic += run;
        r.periodicity = static_cast<double>(periodic) / static_cast<double>(intervals);
    }
    return r;
}

}  // namespace hypnic
