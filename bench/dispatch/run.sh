#!/usr/bin/env bash
# The edge issue's dispatch benchmark: submit → TaskAssigned latency through the pull protocol (a worker told
# WorkAvailable) against a worker polling every 2 s (the original service), on a real cloud node.
# One command, from anywhere:  bench/dispatch/run.sh
# Knobs (environment): TASKS (1000), CLIENTS (4), POLL_TASKS (20), POLL_INTERVAL_MS (2000), WARMUP (50),
# MAX_QUEUE (1000000), KEEP_WORK=1 (keep the temporary directory with the cloud node's log).
# The cloud node runs on 127.0.0.1 in its own temporary data directory and is stopped by PID on exit; the bench
# process joins its cluster as an `edge` member and runs the bench workers.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" dispatch-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs TASKS=1000 CLIENTS=4 POLL_TASKS=20 POLL_INTERVAL_MS=2000 WARMUP=50 MAX_QUEUE=1000000

command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

log "building the cloud node and bench/Pharos.Bench.Worker (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj bench/Pharos.Bench.Worker/Pharos.Bench.Worker.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Worker/bin/Release/net10.0/Pharos.Bench.Worker.dll"

HTTP_PORT="$(free_port)"; CLUSTER_PORT="$(free_port)"
CLOUD_URL="http://127.0.0.1:$HTTP_PORT"
TOKEN="$(new_token)"

log "starting the cloud node (HTTP $HTTP_PORT, cluster $CLUSTER_PORT, MAX_QUEUE_SIZE=$MAX_QUEUE)"
mkdir -p "$WORK/cloud"
PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$WORK/cloud" PHAROS_HTTP_URLS="$CLOUD_URL" PHAROS_CLUSTER_PORT="$CLUSTER_PORT" \
  MAX_QUEUE_SIZE="$MAX_QUEUE" PHAROS_ALLOW_LOCAL_REPOS=true PHAROS_HISTORY_SIZE=100 \
  dotnet "$CLOUD_DLL" >"$WORK/cloud.log" 2>&1 &
PIDS+=("$!"); CLOUD_PID="$!"
wait_ready "$CLOUD_URL" "$CLOUD_PID" "the cloud node" "$WORK/cloud.log"

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/dispatch-$(date +%Y%m%d-%H%M%S).md"
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
dotnet "$BENCH_DLL" dispatch --cloud-url "$CLOUD_URL" --token "$TOKEN" --seed "127.0.0.1:$CLUSTER_PORT" \
  --tasks "$TASKS" --clients "$CLIENTS" --poll-tasks "$POLL_TASKS" --poll-interval-ms "$POLL_INTERVAL_MS" \
  --warmup "$WARMUP" --out "$OUT" || status=$?
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
if (( status != 0 )); then log "the cloud node's last log lines:"; tail -20 "$WORK/cloud.log" >&2; fi
exit "$status"
