#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the fuzz preset (clang-14, libFuzzer, ASan + UBSan) and runs each
# fuzz target for a while, starting from its committed corpus copied to a
# scratch directory (the work tree is not changed). Stops at the first crash,
# leak, sanitizer report or timeout, prints where the input was saved, and
# exits 1. See docs/FUZZING.md.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target (default 30);
#                                           TARGETs by name (json, ini, ...;
#                                           default: every target built)
#
# Environment: FLEETREG_FUZZ_JOBS targets at once (default: one per core);
# FLEETREG_FUZZ_KEEP=1 keeps the scratch directory (the corpora the run grew)
# even when nothing crashed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
die() { printf 'fuzz.sh: %s\n' "$*" >&2; exit 1; }

seconds=${1:-30}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive number, not '$seconds'"
[ $# -gt 0 ] && shift
command -v clang++-14 >/dev/null || die "clang++-14 is missing: scripts/dev.sh deps (clang-14, libclang-rt-14-dev)"

start=$SECONDS
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
printf '==> fuzz build took %d s\n' $(( SECONDS - start ))

bin_dir=$root/build/fuzz/fuzzers
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for m in "$bin_dir"/fleetreg_*_fuzz.manifest; do
    [ -e "$m" ] || die "no fuzz target in $bin_dir"
    m=${m##*/fleetreg_}
    targets+=("${m%_fuzz.manifest}")
  done
fi

scratch=$(mktemp -d /tmp/fleetreg-fuzz.XXXXXX)
# Fuzzers still running when this script ends (interrupted) end with it.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0

# Reads one of libFuzzer's -print_final_stats lines.
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

# Runs one target in $scratch/NAME; its summary line goes to NAME/result.
fuzz_one() {
  local name=$1 bin=$bin_dir/fleetreg_${1}_fuzz corpus= options=() key value
  local work=$scratch/$1 t0=$SECONDS rc=0
  while read -r key value; do
    case $key in
      corpus) corpus=$value ;;
      option) options+=("$value") ;;
    esac
  done <"$bin.manifest"
  mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "$corpus" ] || { echo "$name: no corpus directory '$corpus'" >"$work/result"; return 1; }
  cp -R "$corpus/." "$work/corpus/"
  "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "${options[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1 || rc=$?
  local log=$work/fuzz.log
  printf '%-18s %6d %12s %10s %6s %7s  %s\n' "$name" $(( SECONDS - t0 )) \
    "$(final_stat number_of_executed_units "$log")" "$(final_stat average_exec_per_sec "$log")" \
    "$(final_stat new_units_added "$log")" "$(final_stat peak_rss_mb "$log")" \
    "$([ $rc = 0 ] && echo ok || echo "FAILED ($rc)")" >"$work/result"
  return $rc
}

for name in "${targets[@]}"; do
  [ -x "$bin_dir/fleetreg_${name}_fuzz" ] || die "no fuzz target '$name' (looked for $bin_dir/fleetreg_${name}_fuzz)"
done
# One target per core at a time: each is one libFuzzer process, and all are
# time-boxed alike, so batches of `jobs` finish together.
jobs=${FLEETREG_FUZZ_JOBS:-$(nproc)}
failed=()
printf '%-18s %6s %12s %10s %6s %7s  %s\n' target seconds runs exec/s new rss_mb result
for (( i = 0; i < ${#targets[@]}; i += jobs )); do
  batch=("${targets[@]:i:jobs}") pids=()
  for name in "${batch[@]}"; do
    fuzz_one "$name" &
    pids+=($!)
  done
  for k in "${!batch[@]}"; do
    wait "${pids[k]}" || failed+=("${batch[k]}")
    cat "$scratch/${batch[k]}/result"
  done
  # The first crash ends the run (after the targets running beside it).
  [ ${#failed[@]} -eq 0 ] || break
done
for name in "${failed[@]}"; do
  work=$scratch/$name
  echo "---- $name: last lines of $work/fuzz.log"
  tail -n 60 "$work/fuzz.log"
  echo "----"
  echo "fuzz.sh: $name failed; the input is in $work/artifacts/:"
  ls -l "$work/artifacts/"
  echo "Reproduce: $bin_dir/fleetreg_${name}_fuzz <input>."
  echo "Once fixed, commit the input as tests/fuzz/corpus/$name/<what-it-was> (docs/FUZZING.md)."
done
[ ${#failed[@]} -eq 0 ] || exit 1
if [ "${FLEETREG_FUZZ_KEEP:-}" = 1 ]; then
  echo "fuzz.sh: the grown corpora are in $scratch"
else
  rm -rf "$scratch"
fi
echo "fuzz.sh: ${#targets[@]} targets, no crash"
