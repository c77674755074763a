// What the core remembers between nights and restarts, behind an interface (SQLite in adapters/store).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugin/types.hpp"

namespace hypnic {

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

    const std::vector<MovementEvent>& events(const std::string& sleeper) const;

private:
    std::map<std::string, std::vector<NightSummary>> nights_;
    std::map<std::string, std::vector<MovementEvent>> events_;
    std::map<std::string, std::vector<FactorLog>> factors_;
    std::map<std::string, std::string> state_;
};

}  // namespace hypnic
