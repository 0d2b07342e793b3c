#!/usr/bin/env bash
# Network partitions at full length: the Category=Partition tests of tests/Pharos.Partition.Tests with
# PHAROS_PARTITION_FULL=1 (the default test run, CI's, runs the same scenarios short). Every node, Redis and the git
# server run in network namespaces of the test's own (203.0.113.0/24, TEST-NET-3, on a bridge in a namespace the test
# made; nothing leaves them), and the nemesis cuts links with `ip link set ... down` and nftables rules. A checker reads
# every request and answer, the queue's journal in Redis and the final jobs (docs/partitions.md).
#   - edge-short-cut:    an edge cut mid-training for less than PHAROS_DOWN_AFTER_SECONDS keeps its task
#   - edge-long-cut:     cut for longer: downed, its task finished by the other edge; it rejoins by itself
#   - edge-flapping:     the edge's link cut and restored every 3 s for a minute
#   - edge-delivery-cut: cut while the result is on its way home
#   - edge-one-way-cut:  the cloud does not hear the edge, the edge hears the cloud
#   - cloud-cloud-cut:   two cloud nodes cut from each other, not from Redis, 6 rounds, each side holding the queue in turn
#   - cloud-redis-cut:   the cloud node cut from Redis only, for a minute
# Needs root (network namespaces); installs iproute2, nftables, git, redis-server and python3-networkx when missing.
# One command, from anywhere:  bench/partition/run.sh
# Knobs (environment): PHAROS_PARTITION_<NAME> overrides one figure (SUBMITTERS, LONG_CUT_EXTRA_SECONDS,
# FLAP_PERIOD_SECONDS, FLAP_SECONDS, ONE_WAY_EXTRA_SECONDS, CLOUD_CUT_ROUNDS, CLOUD_CUT_EXTRA_SECONDS,
# REDIS_CUT_SECONDS, TRAIN_EPOCHS); FILTER (Category=Partition) narrows the tests; KEEP_WORK=1 keeps the logs.
# The scenarios run one after another, so that their figures are not measured against each other's load. Prints the figures and writes them to
# bench/results/partition-<date>-<time>.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" partition-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
FILTER="${FILTER:-Category=Partition}"

[[ "$(id -u)" == 0 ]] || { log "network namespaces need root; run as root"; exit 2; }
missing=()
[[ -x /sbin/ip ]] || missing+=(iproute2)
[[ -x /usr/sbin/nft ]] || missing+=(nftables)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[[ -d /usr/lib/python3/dist-packages/networkx ]] || missing+=(python3-networkx)
apt_install "${missing[@]}"

log "building the solution (Release)"
dotnet build "$ROOT/Pharos.sln" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/partition-$(date +%Y%m%d-%H%M%S).md"
FIGURES="$WORK/figures.txt"
: >"$FIGURES"

log "running $FILTER at full length (about 11 minutes)"
started=$(date +%s)
status=0
PHAROS_PARTITION_FULL=1 PHAROS_PARTITION_RESULTS="$FIGURES" \
  dotnet test "$ROOT/tests/Pharos.Partition.Tests" -c Release --no-build --filter "$FILTER" \
  --logger "console;verbosity=normal" -- xUnit.ParallelizeTestCollections=false >"$WORK/test.log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - started ))
summary="$(test_summary "$WORK/test.log")"

{
  echo "# Network partitions, full length ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
  echo
  echo "\`bench/partition/run.sh\` (PHAROS_PARTITION_FULL=1, filter \`$FILTER\`): $summary; ${elapsed} s in all."
  echo
  figures_table "$FIGURES"
} >"$OUT"

cat "$OUT"
if [[ "$status" != 0 ]]; then
  echo >&2
  grep -E '^\s+(Failed|Skipped) |Error Message|violation:|Waited for|Assert' "$WORK/test.log" | head -n 40 >&2 || true
  log "the tests failed (status $status); the log is $WORK/test.log (KEEP_WORK=1 keeps it)"
fi
log "written to $OUT"
exit "$status"
