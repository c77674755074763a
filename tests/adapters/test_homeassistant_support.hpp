// Shared fixtures of the Home Assistant discovery tests: options for one or two sleepers, golden files.
#pragma once

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/homeassistant/discovery.hpp"

namespace hypnic::ha::test {

inline PluginParams params_with(const std::vector<std::pair<std::string, std::string>>& sleepers) {
    PluginParams p;
    p.base_topic = "hypnic";
    for (const auto& [id, name] : sleepers) {
        SleeperParams s;
        s.id = id;
        s.name = name;
        p.sleepers.push_back(s);
    }
    return p;
}

/// The golden configuration: one sleeper "alex" (display name "Alex"), defaults elsewhere.
inline DiscoveryOptions alex_options(bool device_discovery) {
    HomeAssistantOptions ha;
    ha.device_discovery = device_discovery;
    return make_discovery_options(ha, params_with({{"alex", "Alex"}}), "0.1.0");
}

inline DiscoveryOptions two_sleepers(bool device_discovery) {
    HomeAssistantOptions ha;
    ha.device_discovery = device_discovery;
    return make_discovery_options(ha, params_with({{"alex", "Alex"}, {"sam", "Sam"}}), "0.1.0");
}

inline constexpr double NOW_S = 1795642863.0;

/// Publications as golden JSON Lines; a config payload is embedded as JSON, an empty one as "".
inline std::string to_golden(const std::vector<Publication>& pubs) {
    std::string out;
    for (const Publication& p : pubs) {
        out += "{\"topic\":" + boost::json::serialize(boost::json::value(p.topic));
        out += ",\"retain\":" + std::string(p.retain ? "true" : "false");
        out += ",\"qos\":" + std::to_string(p.qos);
        out += ",\"payload\":" + (p.payload.empty() ? std::string("\"\"") : p.payload) + "}\n";
    }
    return out;
}

inline std::string data_path(const std::string& name) { return std::string(HYPNIC_TEST_DATA) + "/homeassistant/" + name; }

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Compares with the golden file; HYPNIC_UPDATE_GOLDEN=1 rewrites it instead (review the diff).
inline bool matches_golden(const std::string& name, const std::string& actual) {
    const std::string path = data_path(name);
    if (const char* update = std::getenv("HYPNIC_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary) << actual;
        return true;
    }
    return read_file(path) == actual;
}

inline boost::json::value parse_json(const std::string& s) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(s, ec);
    if (ec) return nullptr;
    return v;
}

}  // namespace hypnic::ha::test
