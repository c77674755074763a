// Reads closed nights, tonight's events and the minutes from SqliteHistory into the report's data.
#include "adapters/report/collect.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "plugin/advice/advisor.hpp"
#include "plugin/night/rules.hpp"

namespace hypnic::report {

std::vector<NightSummary> all_nights(const SqliteHistory& history, const std::string& sleeper) {
    return history.recent_nights(sleeper, std::numeric_limits<std::size_t>::max());
}

NightData closed_night(const SqliteHistory& history, const std::string& sleeper, const NightSummary& night,
                       const NightParams& params) {
    NightData d;
    d.sleeper = sleeper;
    d.summary = night;
    d.onset_window_after_min = params.onset_window_after_min;
    d.minutes = history.night_minutes(sleeper, night.night);
    if (night.in_bed && night.out_of_bed)
        d.events = history.events_between(sleeper, *night.in_bed, *night.out_of_bed);
    d.until = night.out_of_bed.value_or(night.in_bed.value_or(0));
    return d;
}

NightData tonight(const SqliteHistory& history, const std::string& sleeper, const NightParams& params,
                  const Zone& zone, UnixS now) {
    const LocalDate date = night::night_date(now, zone, params.evening_start_hour);
    const std::string name = format_date(date);
    const auto last = history.recent_nights(sleeper, 1);
    if (!last.empty() && last.back().night == name) return closed_night(history, sleeper, last.back(), params);
    UnixS from = night::evening_start(date, zone, params.evening_start_hour);
    if (!last.empty() && last.back().out_of_bed && *last.back().out_of_bed > from) from = *last.back().out_of_bed;
    NightData d;
    d.sleeper = sleeper;
    d.summary.night = name;
    d.onset_window_after_min = params.onset_window_after_min;
    d.open = true;
    d.until = now;
    d.events = history.events_between(sleeper, from, now);
    return d;
}

NightData tonight(const SqliteHistory& history, const std::string& sleeper, const NightParams& params,
                  const Zone& zone, UnixS now, const std::optional<NightSoFar>& so_far) {
    NightData d = tonight(history, sleeper, params, zone, now);
    // A closed night is already complete; a snapshot of another evening (a clock far off) is not tonight.
    if (!d.open || !so_far || so_far->summary.night != d.summary.night) return d;
    d.summary = so_far->summary;
    d.phases = so_far->phases;
    d.phase_now = so_far->phase;
    if (!so_far->minutes.minutes.empty()) d.minutes = so_far->minutes;
    // The chart ends at the later of the wall clock and the core's clock.
    d.until = std::max(now, so_far->until);
    return d;
}

std::optional<Advice> current_advice(History& history, const SleeperParams& sleeper, const std::string& language,
                                     const Zone& zone) {
    const advice::Advisor advisor(sleeper, language, zone, history);
    std::vector<OutputBody> out;
    advisor.retained(out);
    for (const auto& o : out)
        if (const auto* a = std::get_if<Advice>(&o)) return *a;
    return std::nullopt;
}

std::string night_version(const NightData& night) {
    char buf[256];
    const double last = night.events.empty() ? 0.0 : night.events.back().start;
    auto fin = [](const std::optional<UnixS>& t) { return t && std::isfinite(*t) ? *t : 0.0; };
    std::size_t decided = 0;
    if (night.minutes)
        for (const auto& m : night.minutes->minutes) decided += m.state != score::State::missing ? 1 : 0;
    std::snprintf(buf, sizeof buf, "%s-%s-%zu-%.3f-%zu-%.0f-%.0f-%zu", night.summary.night.c_str(),
                  night.open ? "open" : "closed", night.events.size(), std::isfinite(last) ? last : 0.0,
                  night.phases.size(), fin(night.summary.lights_out), fin(night.summary.sleep_onset),
                  night.open ? decided / 5 : 0);
    return buf;
}

}  // namespace hypnic::report
