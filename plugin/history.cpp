// The in-memory History.
#include "plugin/history.hpp"

#include <algorithm>

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

const std::vector<MovementEvent>& MemoryHistory::events(const std::string& sleeper) const {
    static const std::vector<MovementEvent> none;
    auto it = events_.find(sleeper);
    return it == events_.end() ? none : it->second;
}

}  // namespace hypnic
