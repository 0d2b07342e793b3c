#!/usr/bin/env bash
# Chaos and scale at full size: the Category=Chaos tests of tests/Pharos.EndToEnd.Tests with PHAROS_CHAOS_FULL=1
# (the default test run, CI's, runs the same tests small). Real processes only: redis-server with AOF (fsync always),
# cloud and edge nodes as separate processes, a smart HTTP git server; the tests start them on free loopback ports
# and stop them by PID.
#   - cloud_kill:   20 × kill -9 of the cloud node during a stream of submissions (Redis journal): every 202 present
#   - takeover:     two cloud nodes, kill -9 of the singleton holder, 5 times: the survivor recovers and accepts
#   - redis_outage: redis-server killed and restarted 3 times under load: 503 while down, 202 again, nothing lost
#   - edge_scale:   1 cloud + 4 edges, 200 tasks, two edges killed mid-way: all complete; 40 tasks on one edge first
# One command, from anywhere:  bench/chaos/run.sh
# Knobs (environment): PHAROS_CHAOS_<NAME> overrides one size (KILL_ROUNDS, KILL_ACCEPTED, TAKEOVERS,
# TAKEOVER_ACCEPTED, REDIS_OUTAGES, REDIS_OUTAGE_503, SCALE_TASKS, SCALE_BASELINE_TASKS); FILTER (Category=Chaos)
# narrows the tests; KEEP_WORK=1 keeps the temporary directory with the build and test logs.
# The scenarios run one after another (not in parallel as in the default run), so that their figures are not
# measured against each other's load. Prints the figures and writes them to bench/results/chaos-<date>-<time>.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" chaos-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
FILTER="${FILTER:-Category=Chaos}"

# ---------------------------------------------------------------- tools (Debian packages)
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[[ -d /usr/lib/python3/dist-packages/networkx ]] || missing+=(python3-networkx)
apt_install "${missing[@]}"

log "building the solution (Release)"
dotnet build "$ROOT/Pharos.sln" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/chaos-$(date +%Y%m%d-%H%M%S).md"
FIGURES="$WORK/figures.txt"
: >"$FIGURES"

log "running $FILTER at full size (several minutes)"
started=$(date +%s)
status=0
PHAROS_CHAOS_FULL=1 PHAROS_CHAOS_RESULTS="$FIGURES" \
  dotnet test "$ROOT/tests/Pharos.EndToEnd.Tests" -c Release --no-build --filter "$FILTER" \
  --logger "console;verbosity=normal" -- xUnit.ParallelizeTestCollections=false >"$WORK/test.log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - started ))
summary="$(test_summary "$WORK/test.log")"

{
  echo "# Chaos and scale, full size ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
  echo
  echo "\`bench/chaos/run.sh\` (PHAROS_CHAOS_FULL=1, filter \`$FILTER\`): $summary; ${elapsed} s in all."
  echo
  figures_table "$FIGURES"
} >"$OUT"

cat "$OUT"
if [[ "$status" != 0 ]]; then
  echo >&2
  grep -E '^\s+(Failed|Skipped) |Error Message|Waited for|Assert' "$WORK/test.log" | head -n 40 >&2 || true
  log "the tests failed (status $status); the log is $WORK/test.log (KEEP_WORK=1 keeps it)"
fi
log "written to $OUT"
exit "$status"
