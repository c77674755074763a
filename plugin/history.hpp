// What the core remembers between nights and restarts, behind an interface (SQLite in adapters/store).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plugin/score/score.hpp"
#include "plugin/types.hpp"

namespace hypnic {

/// One minute of a closed night's movement envelope (for the night report).
struct MinuteSample {
    double movement_s = 0;  ///< summed duration of the counted movements that started in the minute, s (>= 0)
    double peak = 0;        ///< highest peak of those movements, g (device units for scalar sensors); 0: none
    score::State state = score::State::missing;  ///< the decided sleep/wake state of the minute
};

/// A closed night's per-minute series: minutes[i] covers [first_minute_ts + 60 i, first_minute_ts + 60 (i + 1)).
struct NightMinutes {
    std::string night;           ///< local date of the evening, as NightSummary::night
    UnixS first_minute_ts = 0;   ///< start of the first minute, a whole minute (multiple of 60 s)
    std::vector<MinuteSample> minutes;
};

/// The longest series kept for one night (36 h of minutes); longer input is cut at the end.
inline constexpr std::size_t MAX_NIGHT_MINUTES = 36 * 60;

/// Builds a night's per-minute series from its decided minute states (key: minute index,
/// floor(t / 60)) and its counted movement events, over the whole minutes that overlap
/// [in_bed, out_of_bed). Minutes without a decided state are missing; plm_series events are not
/// movements of their own and are skipped. Empty when out_of_bed <= in_bed or a time is not finite.
NightMinutes make_night_minutes(const std::string& night, UnixS in_bed, UnixS out_of_bed,
                                const std::map<long long, score::State>& states,
                                const std::vector<MovementEvent>& events);

/// Persistent memory of one hypnic instance. Implementations must be durable once a call returns
/// (SQLite: committed), because a power cut may follow.
class History {
public:
    virtual ~History() = default;
    virtual void save_night(const std::string& sleeper, const NightSummary& night) = 0;
    /// The most recent `n` closed nights, oldest first.
    virtual std::vector<NightSummary> recent_nights(const std::string& sleeper, std::size_t n) const = 0;
    virtual void save_event(const std::string& sleeper, const MovementEvent& event) = 0;
    virtual void save_factor(const std::string& sleeper, const FactorLog& log) = 0;
    /// Factor logs with from <= t < to, oldest first.
    virtual std::vector<FactorLog> factors_between(const std::string& sleeper, UnixS from, UnixS to) const = 0;
    /// Opaque state blobs (in-progress night, scheduler, fades, UI settings), keyed by name.
    virtual void put_state(const std::string& key, const std::string& blob) = 0;
    virtual std::optional<std::string> get_state(const std::string& key) const = 0;
    /// Saves a closed night's per-minute series, replacing any earlier series of the same
    /// (sleeper, night). The default keeps nothing (a History without a night report).
    virtual void save_minutes(const std::string& sleeper, const NightMinutes& minutes);
    /// The series saved for (sleeper, night date); nullopt when none was saved.
    virtual std::optional<NightMinutes> night_minutes(const std::string& sleeper, const std::string& night) const;
};

/// A History that lives in memory only (tests, and `replay` without --state-dir).
class MemoryHistory final : public History {
public:
    void save_night(const std::string& sleeper, const NightSummary& night) override;
    std::vector<NightSummary> recent_nights(const std::string& sleeper, std::size_t n) const override;
    void save_event(const std::string& sleeper, const MovementEvent& event) override;
    void save_factor(const std::string& sleeper, const FactorLog& log) override;
    std::vector<FactorLog> factors_between(const std::string& sleeper, UnixS from, UnixS to) const override;
    void put_state(const std::string& key, const std::string& blob) override;
    std::optional<std::string> get_state(const std::string& key) const override;
    void save_minutes(const std::string& sleeper, const NightMinutes& minutes) override;
    std::optional<NightMinutes> night_minutes(const std::string& sleeper, const std::string& night) const override;

    const std::vector<MovementEvent>& events(const std::string& sleeper) const;

private:
    std::map<std::string, std::vector<NightSummary>> nights_;
    std::map<std::string, std::vector<MovementEvent>> events_;
    std::map<std::string, std::vector<FactorLog>> factors_;
    std::map<std::string, std::string> state_;
    std::map<std::pair<std::string, std::string>, NightMinutes> minutes_;  // (sleeper, night)
};

}  // namespace hypnic
