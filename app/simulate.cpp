// `hypnicd simulate`.
#include <iostream>

#include "app/commands.hpp"

namespace hypnic::app {
int simulate(const SimulateOptions&) {
    std::cerr << "hypnicd: simulate: not built yet\n";
    return EXIT_RUNTIME;
}
}  // namespace hypnic::app
