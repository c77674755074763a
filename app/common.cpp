// Configuration loading with error reporting, and logger set-up, for every subcommand.
#include "app/common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace hypnic::app {

std::optional<Config> load_config_reporting(const std::string& path) {
    ConfigResult r = load_config_file(path);
    if (!r.ok()) {
        for (const auto& e : r.errors) std::cerr << e.to_string() << '\n';
        return std::nullopt;
    }
    return std::move(r.config);
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("hypnicd");
    // journald adds its own timestamps; the level stays visible for filtering.
    logger->set_pattern("%^%l%$: %v");
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

}  // namespace hypnic::app
