// `hypnicd score`.
#include <iostream>

#include "app/commands.hpp"

namespace hypnic::app {
int score(const ScoreOptions&) {
    std::cerr << "hypnicd: score: not built yet\n";
    return EXIT_RUNTIME;
}
}  // namespace hypnic::app
