// Formatting of configuration errors as "file:line:col: message".
#include "config/config.hpp"

namespace hypnic {

std::string ConfigError::to_string() const {
    std::string s = file;
    if (line > 0) {
        s += ':' + std::to_string(line);
        if (column > 0) s += ':' + std::to_string(column);
    }
    s += ": " + message;
    return s;
}

}  // namespace hypnic
