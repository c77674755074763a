// The in-memory History.
#include "plugin/history.hpp"

#include <algorithm>
#include <cmath>

namespace hypnic {

void MemoryHistory::save_night(const std::string& sleeper, const NightSummary& night) {
    auto& v = nights_[sleeper];
    // A night re-closed (e.g. after a restart) replaces the earlier summary of the same date.
    auto it = std::find_if(v.begin(), v.end(), [&](const NightSummary& n) { return n.night == night.night; });
    if (it != v.end())
        *it = night;
    else
        v.push_back(night);
    std::sort(v.begin(), v.end(), [](const NightSummary& a, const NightSummary& b) { return a.night < b.night; });
}

std::vector<NightSummary> MemoryHistory::recent_nights(const std::string& sleeper, std::size_t n) const {
    auto it = nights_.find(sleeper);
    if (it == nights_.end()) return {};
    const auto& v = it->second;
    const std::size_t from = v.size() > n ? v.size() - n : 0;
    return {v.begin() + static_cast<std::ptrdiff_t>(from), v.end()};
}

void MemoryHistory::save_event(const std::string& sleeper, const MovementEvent& event) { events_[sleeper].push_back(event); }

void MemoryHistory::save_factor(const std::string& sleeper, const FactorLog& log) { factors_[sleeper].push_back(log); }

std::vector<FactorLog> MemoryHistory::factors_between(const std::string& sleeper, UnixS from, UnixS to) const {
    std::vector<FactorLog> out;
    auto it = factors_.find(sleeper);
    if (it == factors_.end()) return out;
    for (const auto& f : it->second)
        if (f.t >= from && f.t < to) out.push_back(f);
    std::stable_sort(out.begin(), out.end(), [](const FactorLog& a, const FactorLog& b) { return a.t < b.t; });
    return out;
}

void MemoryHistory::put_state(const std::string& key, const std::string& blob) { state_[key] = blob; }

std::optional<std::string> MemoryHistory::get_state(const std::string& key) const {
    auto it = state_.find(key);
    if (it == state_.end()) return std::nullopt;
    return it->second;
}

void History::save_minutes(const std::string&, const NightMinutes&) {}

std::optional<NightMinutes> History::night_minutes(const std::string&, const std::string&) const { return std::nullopt; }

void MemoryHistory::save_minutes(const std::string& sleeper, const NightMinutes& minutes) {
    minutes_[{sleeper, minutes.night}] = minutes;
}

std::optional<NightMinutes> MemoryHistory::night_minutes(const std::string& sleeper, const std::string& night) const {
    auto it = minutes_.find({sleeper, night});
    if (it == minutes_.end()) return std::nullopt;
    return it->second;
}

NightMinutes make_night_minutes(const std::string& night, UnixS in_bed, UnixS out_of_bed,
                                const std::map<long long, score::State>& states,
                                const std::vector<MovementEvent>& events) {
    NightMinutes out;
    out.night = night;
    if (!std::isfinite(in_bed) || !std::isfinite(out_of_bed) || out_of_bed <= in_bed) return out;
    const double first = std::floor(in_bed / 60.0);
    const double last = std::ceil(out_of_bed / 60.0);  // exclusive
    const auto n = static_cast<std::size_t>(std::min(last - first, static_cast<double>(MAX_NIGHT_MINUTES)));
    const auto first_m = static_cast<long long>(first);
    out.first_minute_ts = first * 60.0;
    out.minutes.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto it = states.find(first_m + static_cast<long long>(i));
        if (it != states.end()) out.minutes[i].state = it->second;
    }
    for (const auto& e : events) {
        if (e.type == MovementType::plm_series || !std::isfinite(e.start)) continue;
        const double idx = std::floor(e.start / 60.0) - first;
        if (idx < 0 || idx >= static_cast<double>(n)) continue;
        auto& m = out.minutes[static_cast<std::size_t>(idx)];
        if (std::isfinite(e.duration_s) && e.duration_s > 0) m.movement_s += e.duration_s;
        if (std::isfinite(e.peak_g)) m.peak = std::max(m.peak, e.peak_g);
    }
    return out;
}

const std::vector<MovementEvent>& MemoryHistory::events(const std::string& sleeper) const {
    static const std::vector<MovementEvent> none;
    auto it = events_.find(sleeper);
    return it == events_.end() ? none : it->second;
}

}  // namespace hypnic
