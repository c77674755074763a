// The whole validated configuration and the loader that collects every error at once.
#pragma once

#include <string>
#include <vector>

#include "adapters/options.hpp"
#include "plugin/params.hpp"

namespace hypnic {

struct Config {
    int version = 1;
    MqttOptions mqtt;
    HomeAssistantOptions homeassistant;
    std::string timezone;   ///< IANA name; empty = the system's
    std::string state_dir = "/var/lib/hypnic";
    StoreOptions store;     ///< history database; path empty = <state_dir>/hypnic.db
    LogOptions log;
    WebOptions web;         ///< the live web view (off by default)
    PluginParams plugin;    ///< plugin.base_topic mirrors mqtt.base_topic
    std::string source;     ///< path the config was read from (for messages)
};

/// One configuration problem, located in the file.
struct ConfigError {
    std::string file;
    int line = 0;    ///< 1-based; 0 when unknown
    int column = 0;  ///< 1-based; 0 when unknown
    std::string message;
    /// "file:line:col: message"
    std::string to_string() const;
};

struct ConfigResult {
    Config config;
    std::vector<ConfigError> errors;  ///< empty = valid
    bool ok() const { return errors.empty(); }
};

/// Reads and validates a YAML file. Never throws; every problem is collected.
ConfigResult load_config_file(const std::string& path);
/// Validates YAML text; `name` is used as the file name in errors.
ConfigResult load_config_text(const std::string& text, const std::string& name);

}  // namespace hypnic
