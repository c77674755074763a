// Helpers shared by the subcommands: configuration loading with error reporting, logging set-up.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "plugin/time.hpp"

namespace hypnic::app {

/// Loads and validates `path`; prints every error to stderr (one line each). nullopt on failure.
std::optional<Config> load_config_reporting(const std::string& path);
/// The configuration's time zone (empty: the system's); prints "<config_path>: <why>" to stderr and
/// returns nullptr when the zone is unknown.
std::unique_ptr<Zone> make_zone_reporting(const Config& config, const std::string& config_path);
/// Configures the process-wide logger (stderr, journald-friendly levels).
void setup_logging(const std::string& level);

}  // namespace hypnic::app
