#!/bin/sh
# bench/run.sh: builds hypnic with the benchmarks in its own directory and prints `name value unit` lines.
#
#   bench/run.sh [--micro] [macro.py options...]
#
# BUILD_DIR (default: build-bench next to the sources) is the build directory. --micro also runs
# the Google Benchmark micro-benchmarks. Everything else goes to bench/macro.py (see --help there).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
micro=0
if [ "${1:-}" = "--micro" ]; then micro=1; shift; fi

launcher=""
command -v ccache >/dev/null 2>&1 && launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
cmake -S "$src" -B "$build" -G Ninja -DHYPNIC_BUILD_BENCH=ON $launcher >/dev/null
ninja -C "$build" -j2 hypnicd hypnic_flood hypnic_micro hypnic_parse_only >&2

if [ "$micro" = 1 ]; then
    "$build/bench/hypnic_micro" --benchmark_min_time=0.2 >&2
fi
exec python3 "$src/bench/macro.py" --build "$build" "$@"
