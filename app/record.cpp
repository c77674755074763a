// `hypnicd record`.
#include <iostream>

#include "app/commands.hpp"

namespace hypnic::app {
int record(const RecordOptions&) {
    std::cerr << "hypnicd: record: not built yet\n";
    return EXIT_RUNTIME;
}
}  // namespace hypnic::app
