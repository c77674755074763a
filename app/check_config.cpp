// `hypnicd check-config`: validate and exit (0 valid, 2 with every error listed).
#include <iostream>

#include "app/commands.hpp"
#include "app/common.hpp"

namespace hypnic::app {

int check_config(const CheckConfigOptions& o) {
    auto cfg = load_config_reporting(o.config);
    if (!cfg) return EXIT_USAGE;
    std::size_t sensors = 0;
    for (const auto& s : cfg->plugin.sleepers) sensors += s.sensors.size();
    std::cout << o.config << ": valid (" << cfg->plugin.sleepers.size() << " sleeper(s), " << sensors
              << " sensor(s))\n";
    return EXIT_OK;
}

}  // namespace hypnic::app
