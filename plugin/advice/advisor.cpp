// One sleeper's advice, renewed after each closed night.
#include "plugin/advice/advisor.hpp"

namespace hypnic::advice {

Advisor::Advisor(const SleeperParams& params, const std::string& language, const Zone& zone, History& history)
    : params_(params), language_(language), zone_(zone), history_(history) {}

void Advisor::on_night_closed(const NightSummary& /*night*/, UnixS /*now*/, std::vector<OutputBody>& /*out*/) {}

void Advisor::retained(std::vector<OutputBody>& out) const {
    if (current_) out.emplace_back(*current_);
}

}  // namespace hypnic::advice
