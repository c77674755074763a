// Helpers shared by the subcommands: configuration loading with error reporting, logging set-up.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

namespace hypnic::app {

/// Loads and validates `path`; prints every error to stderr (one line each). nullopt on failure.
std::optional<Config> load_config_reporting(const std::string& path);
/// Configures the process-wide logger (stderr, journald-friendly levels).
void setup_logging(const std::string& level);

}  // namespace hypnic::app
