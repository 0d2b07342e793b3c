#!/usr/bin/env bash
# The soak bench (issue 20): an hour of churn (submissions, cancellations of queued tasks, and real tasks that an edge
# clones, trains and completes) against a cloud node on SQLite and a cloud node on Redis, side by side, each with its own
# edge, data directory and ports. Every 10 s, per node: RSS, GC heap, journal rows, storage, request p99. Writes the
# series as CSV, a chart (ScottPlot) and a Markdown summary with the goals (RSS within ±10 %, storage and p99 flat).
# One command, from anywhere:  bench/soak/run.sh          (SOAK_MINUTES=4 bench/soak/run.sh for a short run)
# Knobs (environment): SOAK_MINUTES (60), SOAK_RATE (100 churn operations/s per node), SOAK_BACKENDS (sqlite,redis),
# SOAK_INTERVAL (10 s), SOAK_WARMUP_MINUTES (min(5, SOAK_MINUTES/4)), SOAK_REAL_GAP (5 s), SOAK_FILES (40),
# SOAK_EPOCHS (2), SOAK_DIMS (16), SOAK_EDGE_NICE (10: the edges' CPU priority), SOAK_CHART_COPY (docs/img/soak.png, relative to the
# repository; none: no copy), KEEP_WORK=1.
# Everything it starts (redis-server, the cloud nodes, the edge nodes) runs on 127.0.0.1 in its own temporary
# directory and is stopped by PID on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" soak # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs SOAK_MINUTES=60 SOAK_RATE=100 SOAK_BACKENDS=sqlite,redis SOAK_INTERVAL=10 SOAK_REAL_GAP=5 SOAK_FILES=40 \
  SOAK_EPOCHS=2 SOAK_DIMS=16 SOAK_EDGE_NICE=10 SOAK_CHART_COPY=docs/img/soak.png
SOAK_WARMUP_MINUTES="${SOAK_WARMUP_MINUTES:-}"

# ---------------------------------------------------------------- tools (Debian packages)
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [[ ",$SOAK_BACKENDS," == *,redis,* ]]; then
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
fi
# The chart's text: Skia's native library here reads font files, without fontconfig.
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
apt_install "${missing[@]}"

log "building the cloud node, the edge node and bench/Pharos.Bench.Soak (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj src/Pharos.EdgeNode/Pharos.EdgeNode.csproj \
  bench/Pharos.Bench.Soak/Pharos.Bench.Soak.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
EDGE_DLL="$ROOT/src/Pharos.EdgeNode/bin/Release/net10.0/Pharos.EdgeNode.dll"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Soak/bin/Release/net10.0/Pharos.Bench.Soak.dll"

# ---------------------------------------------------------------- the real repository: small, generated, committed
# SOAK_FILES Python modules in a package, each importing the one before it and one at half its index: an import graph
# the edge parses and trains on in well under a second. Cloned by path (PHAROS_ALLOW_LOCAL_REPOS=true).
REPO="$WORK/repos/soak-real"
mkdir -p "$REPO/soakpkg"
: >"$REPO/soakpkg/__init__.py"
for i in $(seq 0 $(( SOAK_FILES - 1 ))); do
  {
    echo "\"\"\"Module $i of the soak bench's repository.\"\"\""
    (( i > 0 )) && echo "from soakpkg import mod_$(( i - 1 ))"
    (( i > 1 )) && echo "from soakpkg.mod_$(( i / 2 )) import value as half_value"
    echo
    echo "def value():"
    echo "    return $i"
  } >"$REPO/soakpkg/mod_$i.py"
done
( cd "$REPO" && git -c init.defaultBranch=main init -q && git add -A \
  && git -c user.name=bench -c user.email=bench@pharos.invalid -c commit.gpgsign=false commit -q -m soak && git gc -q )
# The churn's tasks name this directory, which is no git repository, each at a ref of its own: an edge that takes one
# starts a clone job process that fails. (A directory that does not exist fails before any job process, and the edges
# would then take every churn task at once and leave none to cancel.)
CHURN_REPO="$WORK/not-a-repository"
mkdir -p "$CHURN_REPO"

# ---------------------------------------------------------------- redis-server (for the Redis backend)
if [[ ",$SOAK_BACKENDS," == *,redis,* ]]; then
  # As the deployment guide runs it: AOF on (appendfsync everysec, Redis's default), no RDB snapshots.
  start_redis yes
fi

# ---------------------------------------------------------------- a cloud node and its edge per backend
# Side by side: each pair is its own one-member cluster (its own cluster port; the edge's seed is its own cloud node),
# so the two share nothing but the machine, and a stall of the machine shows in both series at the same minute.
export PHAROS_ALLOW_LOCAL_REPOS=true
ARGS=()
for backend in ${SOAK_BACKENDS//,/ }; do
  dir="$WORK/$backend"; mkdir -p "$dir/cloud" "$dir/edge"
  http_port="$(free_port)"; cluster_port="$(free_port)"
  url="http://127.0.0.1:$http_port"; token="$(new_token)"
  case "$backend" in
    sqlite) store=() ;; # the default: PHAROS_DATA_DIR/pharos.db
    redis) store=(PHAROS_REDIS="127.0.0.1:$REDIS_PORT" PHAROS_REDIS_KEY_PREFIX="soak:") ;;
    *) echo "SOAK_BACKENDS: unknown backend '$backend' (sqlite, redis)" >&2; exit 2 ;;
  esac
  log "$backend: starting the cloud node (HTTP $http_port, cluster $cluster_port)"
  env "${store[@]}" PHAROS_ADMIN_TOKEN="$token" PHAROS_DATA_DIR="$dir/cloud" PHAROS_HTTP_URLS="$url" \
    PHAROS_CLUSTER_PORT="$cluster_port" dotnet "$CLOUD_DLL" >"$dir/cloud.log" 2>&1 &
  PIDS+=("$!"); cloud_pid="$!"
  wait_ready "$url" "$cloud_pid" "the $backend cloud node" "$dir/cloud.log"
  log "$backend: starting the edge node (training: $SOAK_EPOCHS epochs, $SOAK_DIMS dims, 1 thread; nice $SOAK_EDGE_NICE)"
  # An edge is another machine in a real deployment. Here it shares the cores, and every churn task it leases starts a
  # clone job process (which fails: the directory is no repository), so it runs niced: the cloud nodes measured come first.
  PHAROS_SEEDS="127.0.0.1:$cluster_port" PHAROS_DATA_DIR="$dir/edge" PHAROS_TRAIN_EPOCHS="$SOAK_EPOCHS" \
    PHAROS_TRAIN_DIMENSIONS="$SOAK_DIMS" PHAROS_TRAIN_THREADS=1 nice -n "$SOAK_EDGE_NICE" dotnet "$EDGE_DLL" >"$dir/edge.log" 2>&1 &
  PIDS+=("$!"); edge_pid="$!"
  deadline=$(( SECONDS + 90 ))
  until grep -q "registered from" "$dir/cloud.log"; do
    kill -0 "$edge_pid" 2>/dev/null || { echo "the $backend edge node exited:" >&2; cat "$dir/edge.log" >&2; exit 1; }
    (( SECONDS < deadline )) || { echo "no worker registered with the $backend cloud node within 90 s" >&2; tail -20 "$dir/edge.log" >&2; exit 1; }
    sleep 0.2
  done
  ARGS+=(--"$backend"-url "$url" --"$backend"-token "$token" --"$backend"-pid "$cloud_pid" --"$backend"-data-dir "$dir/cloud"
    --"$backend"-real-repos "$REPO")
  case "$backend" in
    sqlite) ARGS+=(--sqlite-sqlite "$dir/cloud/pharos.db") ;;
    redis) ARGS+=(--redis-redis "127.0.0.1:$REDIS_PORT" --redis-redis-prefix "soak:") ;;
  esac
  eval "CLOUD_PID_$backend=$cloud_pid EDGE_PID_$backend=$edge_pid"
done

# ---------------------------------------------------------------- the run
mkdir -p "$RESULTS_DIR"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$RESULTS_DIR/soak-$STAMP"
COPY=()
[[ "$SOAK_CHART_COPY" != none ]] && COPY=(--chart-copy "$ROOT/$SOAK_CHART_COPY")
WARMUP=()
[[ -n "$SOAK_WARMUP_MINUTES" ]] && WARMUP=(--warmup-minutes "$SOAK_WARMUP_MINUTES")
SETUP="Commit \`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\`; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); .NET $(dotnet --version)$( [[ -v REDIS_PORT ]] && echo "; $(redis-server --version | grep -o 'v=[0-9.]*' | sed 's/v=/Redis /') (AOF everysec)" ).
Per backend (side by side, each with its own edge): ${SOAK_RATE} churn operations/s (submit a task at a distinct ref of a directory that is no repository, priority low, up to the queue cap less 2 live; otherwise cancel the oldest; one in ten a read), and one real task at a time (priority high, a ${SOAK_FILES}-file generated repository cloned by path, ${SOAK_EPOCHS} epochs × ${SOAK_DIMS} dims, 1 thread), resubmitted ${SOAK_REAL_GAP} s after it ends; the edges at nice ${SOAK_EDGE_NICE}. Cloud nodes with their defaults (queue cap 10, history 100, snapshot every 100 events)."
log "soak: $SOAK_MINUTES minutes, $SOAK_RATE churn operations/s per node, backends $SOAK_BACKENDS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
dotnet "$BENCH_DLL" run --backends "$SOAK_BACKENDS" --minutes "$SOAK_MINUTES" --interval "$SOAK_INTERVAL" --rate "$SOAK_RATE" \
  --real-gap "$SOAK_REAL_GAP" --churn-repo "$CHURN_REPO" --out "$OUT" "${COPY[@]}" "${WARMUP[@]}" \
  --title "Pharos soak, $SOAK_MINUTES min" --setup "$SETUP" "${ARGS[@]}" || status=$?

# Every node must have lasted the run: one that died would make flat series meaningless.
for backend in ${SOAK_BACKENDS//,/ }; do
  cloud_var="CLOUD_PID_$backend"; edge_var="EDGE_PID_$backend"
  for pair in "cloud:${!cloud_var}" "edge:${!edge_var}"; do
    if ! kill -0 "${pair#*:}" 2>/dev/null; then
      log "the $backend ${pair%%:*} node died during the run; its last log lines:"
      tail -20 "$WORK/$backend/${pair%%:*}.log" >&2
      status=1
    fi
  done
done
[[ -v REDIS_PID ]] && { kill -0 "$REDIS_PID" 2>/dev/null || { log "redis-server died during the run"; status=1; }; }
exit "$status"
