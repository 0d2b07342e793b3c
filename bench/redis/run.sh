#!/usr/bin/env bash
# The Redis persistence benchmarks (issue 5): Persist/PersistAll throughput on the Redis journal beside
# redis-benchmark's SET/ZADD rates on the same server, and on the SQLite journal; recovery time and memory of
# 10,000/100,000 events with and without a snapshot on both; Redis commands per accepted task and per idle minute
# of a real cloud node (INFO commandstats, MONITOR).
# One command, from anywhere:  bench/redis/run.sh
# Knobs (environment): WRITE_SECONDS (5), SIZES (10000,100000), RUNS (3), TASKS (200), LIFECYCLE_TASKS (20),
# IDLE_SECONDS (60), PARTS (write,recovery,commands), KEEP_WORK=1 (keep the temporary directory with the logs).
# It starts its own redis-server and cloud nodes on free loopback ports and stops them by PID on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" redis-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs WRITE_SECONDS=5 SIZES=10000,100000 RUNS=3 TASKS=200 LIFECYCLE_TASKS=20 IDLE_SECONDS=60 \
  PARTS=write,recovery,commands

command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null || missing+=(redis-tools)
apt_install "${missing[@]}"

log "building the cloud node and bench/Pharos.Bench.Persistence (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj bench/Pharos.Bench.Persistence/Pharos.Bench.Persistence.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Persistence/bin/Release/net10.0/Pharos.Bench.Persistence.dll"

start_redis no
REDIS="127.0.0.1:$REDIS_PORT"

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/redis-$(date +%Y%m%d-%H%M%S).md"
{
  echo "## Redis persistence benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version)," \
       "$(redis-server --version | grep -o 'v=[0-9.]*' | tr -d 'v='| sed 's/^/Redis /'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} | tee "$OUT"

# rb LABEL ARGS...: one redis-benchmark run; prints "TEST rate" lines from its CSV.
rb() {
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR > 1 { gsub(/"/, "", $1); print $1, $2 }'
}
# The baselines, all with 200-byte values (-d 200; ZADD's members are redis-benchmark's own short ones):
# c50 = the default 50 clients, one command in flight each (-P 1); c1 = one client, one command at a time (a round
# trip per command, as one actor persisting one event at a time); P16 = 50 clients, 16 commands pipelined each.
baselines() {
  rb -t set,zadd -n 100000 -c 50 -P 1 -d 200 | sed 's/^/c50 /'
  rb -t set,zadd -n 20000 -c 1 -P 1 -d 200 | sed 's/^/c1 /'
  rb -t set,zadd -n 400000 -c 50 -P 16 -d 200 | sed 's/^/P16 /'
}

if [[ ",$PARTS," == *,write,* ]]; then
  log "redis-benchmark before the write bench"
  baselines >"$WORK/baseline-before.txt"
  mkdir -p "$WORK/sqlite-write"
  log "Persist/PersistAll on Redis and SQLite, ${WRITE_SECONDS} s per mode"
  WRITE_OUT="$WORK/write.md"
  # Without ratios (the "after" baseline is not known yet): they are added below, from the mean baselines.
  dotnet "$BENCH_DLL" write --redis "$REDIS" --key-prefix "write:" --data-dir "$WORK/sqlite-write" \
    --seconds "$WRITE_SECONDS" --out "$WRITE_OUT" >/dev/null
  log "redis-benchmark after the write bench"
  baselines >"$WORK/baseline-after.txt"
  {
    echo "### redis-benchmark on the same server (requests/s)"
    echo
    echo "| run | SET before | SET after | ZADD before | ZADD after |"
    echo "|---|---:|---:|---:|---:|"
    for run in c50 c1 P16; do
      b_set=$(awk -v r=$run '$1 == r && $2 == "SET" { print $3 }' "$WORK/baseline-before.txt")
      a_set=$(awk -v r=$run '$1 == r && $2 == "SET" { print $3 }' "$WORK/baseline-after.txt")
      b_zadd=$(awk -v r=$run '$1 == r && $2 == "ZADD" { print $3 }' "$WORK/baseline-before.txt")
      a_zadd=$(awk -v r=$run '$1 == r && $2 == "ZADD" { print $3 }' "$WORK/baseline-after.txt")
      case $run in
        c50) what="\`-c 50 -P 1 -d 200 -n 100000\`";; c1) what="\`-c 1 -P 1 -d 200 -n 20000\`";;
        P16) what="\`-c 50 -P 16 -d 200 -n 400000\`";;
      esac
      echo "| $run $what | $b_set | $a_set | $b_zadd | $a_zadd |"
    done
    echo
    echo "The ratio columns below divide the Redis journal's events/s by the mean of the before and after rates."
    echo
  } | tee -a "$OUT"
  # The write bench's table, its ratio columns recomputed with the mean baselines.
  mean_baselines=$(join <(awk '{ print $1"_"$2, $3 }' "$WORK/baseline-before.txt" | sort) \
                        <(awk '{ print $1"_"$2, $3 }' "$WORK/baseline-after.txt" | sort) \
                   | awk '{ split($1, k, "_"); printf "%s %s=%.2f;", k[2], k[1], ($2 + $3) / 2 }')
  # Order of the ratio columns: SET c50, ZADD c50, ZADD c1, ZADD P16.
  ordered=""
  for key in "SET c50" "ZADD c50" "ZADD c1" "ZADD P16"; do
    ordered+="$(tr ';' '\n' <<<"$mean_baselines" | grep "^$key=" || true);"
  done
  python3 - "$WRITE_OUT" "$ordered" <<'PY' | tee -a "$OUT"
import sys
text, baselines = open(sys.argv[1]).read(), [b.split("=") for b in sys.argv[2].split(";") if "=" in b]
out = []
for line in text.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
    if cells and cells[0] == "mode":
        line = "| mode | redis events/s | sqlite events/s | " + " | ".join(f"redis ÷ {k}" for k, _ in baselines) + " | redis ÷ sqlite |"
    elif cells and cells[0].startswith("---"):
        line = "|---|" + "---:|" * (3 + len(baselines))
    elif cells and len(cells) >= 3:
        redis, sqlite = float(cells[1]), float(cells[2])
        line = f"| {cells[0]} | {redis:.0f} | {sqlite:.0f} | " + " | ".join(f"{redis / float(r):.3f}" for _, r in baselines) + f" | {redis / sqlite:.2f} |"
    out.append(line)
print("\n".join(out))
PY
  echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT"; echo | tee -a "$OUT"
fi

if [[ ",$PARTS," == *,recovery,* ]]; then
  log "recovery: populating and recovering $SIZES events on Redis and SQLite, $RUNS runs each"
  mkdir -p "$WORK/sqlite-recovery"
  dotnet "$BENCH_DLL" recovery --redis "$REDIS" --key-prefix "recovery:" --data-dir "$WORK/sqlite-recovery" \
    --sizes "$SIZES" --runs "$RUNS" --out "$OUT"
  {
    redis_bytes=0
    for key in $(redis-cli -p "$REDIS_PORT" --scan --pattern 'recovery:*'); do
      redis_bytes=$(( redis_bytes + $(redis-cli -p "$REDIS_PORT" memory usage "$key" samples 0) ))
    done
    echo "Stored, the same events and snapshots in each: Redis $(( redis_bytes / 1024 / 1024 )) MB (\`MEMORY USAGE\` of the" \
         "recovery keys), SQLite $(( $(du -sk "$WORK/sqlite-recovery" | cut -f1) / 1024 )) MB (its files, WAL included)."
    echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
  } | tee -a "$OUT"
fi

# start_node NAME KEY_PREFIX [--standalone]: a cloud node on Redis as a user runs it; sets NODE_PID, NODE_URL, TOKEN.
start_node() {
  local name="$1" prefix="$2"; shift 2
  local http_port cluster_port
  http_port="$(free_port)"; cluster_port="$(free_port)"
  NODE_URL="http://127.0.0.1:$http_port"; TOKEN="$(new_token)"
  mkdir -p "$WORK/$name"
  log "starting the cloud node '$name' on Redis (HTTP $http_port, cluster $cluster_port, key prefix $prefix) $*"
  PHAROS_REDIS="$REDIS" PHAROS_REDIS_KEY_PREFIX="$prefix" PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$WORK/$name" \
    PHAROS_HTTP_URLS="$NODE_URL" PHAROS_CLUSTER_PORT="$cluster_port" PHAROS_ALLOW_LOCAL_REPOS=true MAX_QUEUE_SIZE=1000000 \
    dotnet "$CLOUD_DLL" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!"); NODE_PID="$!"
  wait_ready "$NODE_URL" "$NODE_PID" "the cloud node '$name'" "$WORK/$name.log"
}

if [[ ",$PARTS," == *,commands,* ]]; then
  start_node cloud "cloud:"
  sleep 2
  log "commands: $TASKS accepted tasks, then ${IDLE_SECONDS} s idle"
  dotnet "$BENCH_DLL" commands --redis-port "$REDIS_PORT" --cloud-url "$NODE_URL" --token "$TOKEN" \
    --label "cloud node (\`dotnet Pharos.CloudNode.dll\`, PHAROS_REDIS, no worker)" \
    --tasks "$TASKS" --idle-seconds "$IDLE_SECONDS" --order tasks,idle --out "$OUT"
  stop_pid "$NODE_PID" 10

  start_node standalone "standalone:" --standalone
  for _ in $(seq 300); do grep -q "registered" "$WORK/standalone.log" && break; sleep 0.1; done
  grep -q "registered" "$WORK/standalone.log" || log "no 'registered' line in the standalone node's log; measuring anyway"
  sleep 2
  log "commands: standalone node with an idle worker, ${IDLE_SECONDS} s idle, then $LIFECYCLE_TASKS tasks through their life"
  dotnet "$BENCH_DLL" commands --redis-port "$REDIS_PORT" --cloud-url "$NODE_URL" --token "$TOKEN" \
    --label "standalone node (\`--standalone\`, an idle in-process worker)" \
    --idle-seconds "$IDLE_SECONDS" --lifecycle-tasks "$LIFECYCLE_TASKS" --order idle,lifecycle --out "$OUT"
  stop_pid "$NODE_PID" 10
fi

echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT"
log "written to $OUT"
