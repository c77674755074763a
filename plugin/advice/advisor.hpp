// One sleeper's advice: what the history of nights and evening factors says, with its evidence.
#pragma once

#include <optional>
#include <vector>

#include "plugin/history.hpp"
#include "plugin/params.hpp"
#include "plugin/time.hpp"
#include "plugin/types.hpp"

namespace hypnic::advice {

/// Keeps the current advice of one sleeper and renews it after each closed night.
/// Single-threaded; reads History, never writes it.
class Advisor {
public:
    Advisor(const SleeperParams& params, const std::string& language, const Zone& zone, History& history);

    /// A night has closed (and is already in History): renew the advice and append it to `out`.
    void on_night_closed(const NightSummary& night, UnixS now, std::vector<OutputBody>& out);
    /// The current advice (for a re-announce), if any was made since start or found in History.
    void retained(std::vector<OutputBody>& out) const;

private:
    const SleeperParams& params_;
    std::string language_;
    const Zone& zone_;
    History& history_;
    std::optional<Advice> current_;
};

}  // namespace hypnic::advice
