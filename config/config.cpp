// The YAML loader (being written).
#include "config/config.hpp"

namespace hypnic {
ConfigResult load_config_text(const std::string&, const std::string& name) {
    ConfigResult r;
    r.errors.push_back({name, 0, 0, "configuration loader not built yet"});
    return r;
}
ConfigResult load_config_file(const std::string& path) { return load_config_text("", path); }
}  // namespace hypnic
