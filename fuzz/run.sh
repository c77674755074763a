#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time on its seed corpus (tests/data/fuzz/<name>/).
# Usage: fuzz/run.sh <build dir configured with -DHYPNIC_FUZZ=ON> [seconds per target, default 20]
# New inputs go to a scratch corpus; crashes are written to <build dir>/fuzz-findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?usage: fuzz/run.sh <build dir> [seconds]}
SECONDS_EACH=${2:-20}
mkdir -p "$BUILD/fuzz-findings"
failed=()
for exe in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe"); name=${name#fuzz_}
  seeds=tests/data/fuzz/$name
  scratch=$(mktemp -d)
  echo "fuzz: $name for ${SECONDS_EACH} s"
  if ! "$exe" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
       -artifact_prefix="$BUILD/fuzz-findings/$name-" -print_final_stats=1 "$scratch" "$seeds" \
       >"$BUILD/fuzz-findings/$name.log" 2>&1; then
    failed+=("$name")
    tail -40 "$BUILD/fuzz-findings/$name.log"
  fi
  rm -rf "$scratch"
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]} (see $BUILD/fuzz-findings/)" >&2
  exit 1
fi
echo "fuzz: no findings"
