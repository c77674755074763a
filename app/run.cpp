// `hypnicd run`: the live daemon.
#include <iostream>

#include "app/commands.hpp"

namespace hypnic::app {
int run_daemon(const RunOptions&) {
    std::cerr << "hypnicd: run: not built yet\n";
    return EXIT_RUNTIME;
}
}  // namespace hypnic::app
