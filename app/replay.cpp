// `hypnicd replay` (being written).
#include <iostream>

#include "app/commands.hpp"

namespace hypnic::app {
int replay(const ReplayOptions&) {
    std::cerr << "hypnicd: replay: not built yet\n";
    return EXIT_RUNTIME;
}
}  // namespace hypnic::app
