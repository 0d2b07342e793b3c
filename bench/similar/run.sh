#!/usr/bin/env bash
# Issue 13's similar-files benchmark: latency (p50, p99) of the k files most like one file, for repositories of
# 1,000 / 10,000 / 100,000 files, (a) SimilarFiles.Top in process, (b) GET /repos/similar on a real cloud node whose
# store received the result as an edge delivers one, (c) a numpy brute-force scan of the same matrix, timed in Python.
# One command, from anywhere:  bench/similar/run.sh
# Knobs (environment): SIZES (1000,10000,100000), HTTP_SIZES (the sizes also asked through the node; default SIZES;
# none: no node), DIMS (64), QUERIES (500), WARMUP (20 query rows, not timed), WARMUP_SECONDS (3: the .NET sides
# repeat them 50 times, or this long if that is longer), NODE_WARMUP_SECONDS (20: the node answers queries on a result
# of its own first), K (10), SEED (42), KEEP_WORK=1 (keep the temporary directory with the node's log).
# The cloud node runs on 127.0.0.1 in its own temporary data directory and is stopped by PID on exit; the bench
# process joins its cluster as an `edge` member to deliver the results.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" similar-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs SIZES=1000,10000,100000 DIMS=64 QUERIES=500 WARMUP=20 WARMUP_SECONDS=3 NODE_WARMUP_SECONDS=20 K=10 SEED=42
knobs HTTP_SIZES="$SIZES"
PYTHON=/usr/bin/python3

# ---------------------------------------------------------------- tools (Debian packages)
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
missing=()
"$PYTHON" -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
apt_install "${missing[@]}"

log "building the cloud node and bench/Pharos.Bench.Results (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj bench/Pharos.Bench.Results/Pharos.Bench.Results.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Results/bin/Release/net10.0/Pharos.Bench.Results.dll"

NODE_ARGS=()
if [[ "$HTTP_SIZES" != none ]]; then
  HTTP_PORT="$(free_port)"; CLUSTER_PORT="$(free_port)"
  CLOUD_URL="http://127.0.0.1:$HTTP_PORT"
  TOKEN="$(new_token)"
  log "starting the cloud node (HTTP $HTTP_PORT, cluster $CLUSTER_PORT)"
  mkdir -p "$WORK/cloud"
  PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$WORK/cloud" PHAROS_HTTP_URLS="$CLOUD_URL" PHAROS_CLUSTER_PORT="$CLUSTER_PORT" \
    PHAROS_ALLOW_LOCAL_REPOS=true dotnet "$CLOUD_DLL" >"$WORK/cloud.log" 2>&1 &
  PIDS+=("$!"); CLOUD_PID="$!"
  wait_ready "$CLOUD_URL" "$CLOUD_PID" "the cloud node" "$WORK/cloud.log"
  NODE_ARGS=(--cloud-url "$CLOUD_URL" --token "$TOKEN")
  export PHAROS_SEEDS="127.0.0.1:$CLUSTER_PORT" PHAROS_CLUSTER_HOST=127.0.0.1 PHAROS_CLUSTER_PORT=0
fi

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/similar-$(date +%Y%m%d-%H%M%S).md"
{
  echo "## Similar files: latency in process, through the node, and in numpy — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "\`uptime\` at the start: $(uptime)"
  echo
} >"$OUT"
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
dotnet "$BENCH_DLL" similar "${NODE_ARGS[@]}" --sizes "$SIZES" --http-sizes "$HTTP_SIZES" \
  --dims "$DIMS" --queries "$QUERIES" --warmup "$WARMUP" --warmup-seconds "$WARMUP_SECONDS" \
  --node-warmup-seconds "$NODE_WARMUP_SECONDS" --k "$K" --seed "$SEED" --python "$PYTHON" \
  --numpy-script "$HERE/numpy_similar.py" --work "$WORK/bench" --out "$OUT" || status=$?
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
if (( status != 0 )) && [[ -f "$WORK/cloud.log" ]]; then log "the cloud node's last log lines:"; tail -20 "$WORK/cloud.log" >&2; fi
(( status == 0 )) && log "wrote $OUT"
exit "$status"
