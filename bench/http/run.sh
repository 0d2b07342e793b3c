#!/usr/bin/env bash
# The issue's HTTP benchmarks: the cloud node against a bare ASP.NET Core baseline run beside it.
# One command, from anywhere:  bench/http/run.sh
# Knobs (environment): MAX_QUEUE (1000000), FLOOD_SECONDS (15), ACCEPT_SECONDS (15), C1_SECONDS (10), WARMUP_SECONDS (5), READY_RUNS (5),
# PROFILE (framework-dependent-linux-x64; self-contained-linux-x64 for the composite ReadyToRun build, about 2 min more to publish).
# Both servers run as deployed: published with the same deploy/publish profile and started by their own executables,
# from their publish folders. Start and memory are also measured for the floor under the cloud node: the baseline
# with --akka, an Akka.NET cluster of one started by Akka.Hosting and nothing of Pharos.
# The node's per-client failure limit is off here, so that the 401 flood measures the token check itself (with the
# limit, all but 30 a minute would be 429s from the rate limiter: bench/flood/run.sh measures that).
# Everything it starts runs on 127.0.0.1 in its own temporary directory and is stopped by PID on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
# MAX_QUEUE: the cap raised as far as the node allows (PharosSettings accepts 1..1000000), so that accepts are never
# refused as 429.
knobs FLOOD_SECONDS=15 ACCEPT_SECONDS=15 C1_SECONDS=10 WARMUP_SECONDS=5 READY_RUNS=5 MAX_QUEUE=1000000 PROFILE=framework-dependent-linux-x64
IDLE_SECONDS=5

# ---------------------------------------------------------------- tools
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

log "publishing the cloud node and the baseline (deploy/publish, $PROFILE)"
publish_profile() { # publish_profile <project> <folder>
  dotnet publish "$ROOT/$1" -p:PublishProfile="$PROFILE" -p:PublishDir="$2/" -nologo -v q \
    >"$WORK/publish-$(basename "$1" .csproj).log" 2>&1 || { cat "$WORK/publish-$(basename "$1" .csproj).log" >&2; exit 1; }
}
publish_profile src/Pharos.CloudNode/Pharos.CloudNode.csproj "$WORK/published/cloud"
publish_profile bench/Pharos.Bench.Baseline/Pharos.Bench.Baseline.csproj "$WORK/published/baseline"
CLOUD_EXE="$WORK/published/cloud/Pharos.CloudNode"
BASE_EXE="$WORK/published/baseline/Pharos.Bench.Baseline"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

TOKEN="$(new_token)"
RUN_ID="$(date +%s)"

# start_server <kind> <name>: starts the server (cloud, baseline, or akka: the baseline with --akka), sets SERVER_PID, SERVER_URL and READY_MS (start to first 200 of /ready).
start_server() {
  local kind="$1" name="$2" port cluster_port dir start ready code
  # Both ports before the clock starts: free_port starts a Python interpreter, 0.3 s on this machine kind.
  port="$(free_port)"; cluster_port="$(free_port)"
  dir="$WORK/$name"; mkdir -p "$dir/data"
  SERVER_URL="http://127.0.0.1:$port"
  start="$(now_ms)"
  if [[ "$kind" == cloud ]]; then
    PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$dir/data" PHAROS_HTTP_URLS="$SERVER_URL" \
      PHAROS_CLUSTER_PORT="$cluster_port" MAX_QUEUE_SIZE="$MAX_QUEUE" PHAROS_ALLOW_LOCAL_REPOS=true \
      PHAROS_AUTH_FAILURES_PER_MINUTE=0 \
      bash -c 'cd "$1" && exec "$2"' _ "$dir" "$CLOUD_EXE" >"$dir/out.log" 2>&1 &
  else
    # From a directory of its own, as the cloud node: ASP.NET's default appsettings watcher covers the working directory.
    local extra=(); [[ "$kind" == akka ]] && extra=(--akka)
    bash -c 'cd "$1" && exec "$2" --urls "$3" --data-dir "$1/data" "${@:4}"' _ "$dir" "$BASE_EXE" "$SERVER_URL" "${extra[@]}" \
      >"$dir/out.log" 2>&1 &
  fi
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$SERVER_URL/ready" || true)"
    [[ "$code" == 200 ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "$name exited before ready:" >&2; cat "$dir/out.log" >&2; exit 1; fi
    if (( $(now_ms) - start > 60000 )); then echo "$name not ready after 60 s" >&2; tail -50 "$dir/out.log" >&2; exit 1; fi
    sleep 0.02
  done
  ready="$(now_ms)"
  READY_MS=$(( ready - start ))
}

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# wrk_run <label> <wrk args...>: runs wrk, keeps its output, sets W_RPS W_P50 W_P99 W_REQ W_STATUSES (latencies in ms).
wrk_run() {
  local label="$1"; shift
  local out="$WORK/wrk-$label.txt"
  wrk "$@" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
  local bench
  bench="$(grep '^BENCH ' "$out")"
  W_RPS="$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$bench")"
  W_REQ="$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$bench")"
  W_P50="$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$bench" | awk '{ printf "%.2f", $1 / 1000 }')"
  W_P99="$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$bench" | awk '{ printf "%.2f", $1 / 1000 }')"
  W_STATUSES="$(grep '^STATUSES' "$out" | sed 's/^STATUSES *//')"
  # requests whose status is not <want>: every counted status other than that one
  log "$label: ${W_RPS} req/s, p50 ${W_P50} ms, p99 ${W_P99} ms, statuses: ${W_STATUSES:-none}"
}
not_status() { # not_status <want> <statuses>
  local want="$1" s n total=0; shift
  for s in $*; do n="${s#*=}"; [[ "${s%%=*}" == "$want" ]] || total=$(( total + n )); done
  echo "$total"
}
ratio_pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }

# ---------------------------------------------------------------- a) time to ready, b) RSS idle
log "time to ready: $READY_RUNS cold starts of each (empty data dir)"
# cold_starts <kind>: READY_RUNS cold starts of the server; the last one stays up (SERVER_PID, SERVER_URL) and
# READY_MED is the median time to ready.
cold_starts() {
  local kind="$1" i starts=()
  for i in $(seq "$READY_RUNS"); do
    start_server "$kind" "$kind-$i"; starts+=("$READY_MS")
    if (( i < READY_RUNS )); then stop_pid "$SERVER_PID" 10; fi
    log "$kind run $i: ready in $READY_MS ms"
  done
  READY_MED="$(median "${starts[@]}")"
}
cold_starts cloud; CLOUD_PID="$SERVER_PID"; CLOUD_URL="$SERVER_URL"; CLOUD_READY_MED="$READY_MED"
cold_starts baseline; BASE_PID="$SERVER_PID"; BASE_URL="$SERVER_URL"; BASE_READY_MED="$READY_MED"
cold_starts akka; AKKA_PID="$SERVER_PID"; AKKA_READY_MED="$READY_MED"

log "idle ${IDLE_SECONDS} s, then RSS"
sleep "$IDLE_SECONDS"
CLOUD_RSS_IDLE="$(rss_mb "$CLOUD_PID")"; BASE_RSS_IDLE="$(rss_mb "$BASE_PID")"; AKKA_RSS_IDLE="$(rss_mb "$AKKA_PID")"
# What the cloud node's memory is made of: file-backed pages (code and data of its assemblies, clean, dropped first
# under memory pressure) and the rest (heaps, JIT-compiled code, stacks).
CLOUD_RSS_FILE="$(rss_file_mb "$CLOUD_PID")"; AKKA_RSS_FILE="$(rss_file_mb "$AKKA_PID")"; BASE_RSS_FILE="$(rss_file_mb "$BASE_PID")"
log "RSS idle: cloud node $CLOUD_RSS_IDLE MB, baseline $BASE_RSS_IDLE MB, baseline with Akka.NET $AKKA_RSS_IDLE MB"
stop_pid "$AKKA_PID" 10

# ---------------------------------------------------------------- c) 401 flood
log "401 flood: wrk -t2 -c64 -d${FLOOD_SECONDS}s (after ${WARMUP_SECONDS} s warm-up each)"
wrk_run flood-cloud-warmup -t2 -c64 -d"${WARMUP_SECONDS}s" -s "$HERE/refuse.lua" "$CLOUD_URL/ingest"
wrk_run flood-cloud -t2 -c64 -d"${FLOOD_SECONDS}s" -s "$HERE/refuse.lua" "$CLOUD_URL/ingest"
FLOOD_CLOUD_RPS="$W_RPS"; FLOOD_CLOUD_P99="$W_P99"; FLOOD_CLOUD_BAD="$(not_status 401 $W_STATUSES)"
wrk_run flood-base-warmup -t2 -c64 -d"${WARMUP_SECONDS}s" -s "$HERE/refuse.lua" "$BASE_URL/refuse"
wrk_run flood-base -t2 -c64 -d"${FLOOD_SECONDS}s" -s "$HERE/refuse.lua" "$BASE_URL/refuse"
FLOOD_BASE_RPS="$W_RPS"; FLOOD_BASE_P99="$W_P99"; FLOOD_BASE_BAD="$(not_status 401 $W_STATUSES)"
FLOOD_RATIO="$(ratio_pct "$FLOOD_CLOUD_RPS" "$FLOOD_BASE_RPS")"

# ---------------------------------------------------------------- d) accepted submissions (durable writes)
log "accepts: wrk -t1 -c1 -d${C1_SECONDS}s --latency, then -t2 -c16 -d${ACCEPT_SECONDS}s --latency"
wrk_run accept-cloud-warmup -t2 -c16 -d"${WARMUP_SECONDS}s" -s "$HERE/ingest.lua" "$CLOUD_URL/ingest" -- "$TOKEN" "${RUN_ID}w"
wrk_run accept-base-warmup -t2 -c16 -d"${WARMUP_SECONDS}s" -s "$HERE/ingest.lua" "$BASE_URL/insert" -- "$TOKEN" "${RUN_ID}w"
# One request at a time first, on a small queue: the latency a user submitting a task sees.
wrk_run c1-cloud -t1 -c1 -d"${C1_SECONDS}s" --latency -s "$HERE/ingest.lua" "$CLOUD_URL/ingest" -- "$TOKEN" "${RUN_ID}s"
C1_CLOUD_RPS="$W_RPS"; C1_CLOUD_P50="$W_P50"; C1_CLOUD_P99="$W_P99"; C1_CLOUD_BAD="$(not_status 202 $W_STATUSES)"
wrk_run c1-base -t1 -c1 -d"${C1_SECONDS}s" --latency -s "$HERE/ingest.lua" "$BASE_URL/insert" -- "$TOKEN" "${RUN_ID}s"
C1_BASE_RPS="$W_RPS"; C1_BASE_P50="$W_P50"; C1_BASE_P99="$W_P99"; C1_BASE_BAD="$(not_status 202 $W_STATUSES)"
C1_RATIO="$(ratio_pct "$C1_CLOUD_RPS" "$C1_BASE_RPS")"

# Then throughput with 16 connections, while the queue grows by tens of thousands of tasks.
wrk_run accept-cloud -t2 -c16 -d"${ACCEPT_SECONDS}s" --latency -s "$HERE/ingest.lua" "$CLOUD_URL/ingest" -- "$TOKEN" "${RUN_ID}m"
ACC_CLOUD_RPS="$W_RPS"; ACC_CLOUD_P50="$W_P50"; ACC_CLOUD_P99="$W_P99"; ACC_CLOUD_BAD="$(not_status 202 $W_STATUSES)"; ACC_CLOUD_ST="$W_STATUSES"
wrk_run accept-base -t2 -c16 -d"${ACCEPT_SECONDS}s" --latency -s "$HERE/ingest.lua" "$BASE_URL/insert" -- "$TOKEN" "${RUN_ID}m"
ACC_BASE_RPS="$W_RPS"; ACC_BASE_P50="$W_P50"; ACC_BASE_P99="$W_P99"; ACC_BASE_BAD="$(not_status 202 $W_STATUSES)"
ACC_RATIO="$(ratio_pct "$ACC_CLOUD_RPS" "$ACC_BASE_RPS")"

# The same two runs against the node with a loopback repo URL (https://localhost/...): the URL validator skips its
# DNS lookup for it, so these isolate the gateway -> queue -> durable write path from the resolver's behaviour.
wrk_run c1-cloud-nodns -t1 -c1 -d"${C1_SECONDS}s" --latency -s "$HERE/ingest.lua" "$CLOUD_URL/ingest" -- "$TOKEN" "${RUN_ID}o" "https://localhost"
ND1_CLOUD_RPS="$W_RPS"; ND1_CLOUD_P50="$W_P50"; ND1_CLOUD_P99="$W_P99"; ND1_CLOUD_BAD="$(not_status 202 $W_STATUSES)"
ND1_RATIO="$(ratio_pct "$ND1_CLOUD_RPS" "$C1_BASE_RPS")"
wrk_run accept-cloud-nodns -t2 -c16 -d"${ACCEPT_SECONDS}s" --latency -s "$HERE/ingest.lua" "$CLOUD_URL/ingest" -- "$TOKEN" "${RUN_ID}n" "https://localhost"
ND_CLOUD_RPS="$W_RPS"; ND_CLOUD_P50="$W_P50"; ND_CLOUD_P99="$W_P99"; ND_CLOUD_BAD="$(not_status 202 $W_STATUSES)"
ND_RATIO="$(ratio_pct "$ND_CLOUD_RPS" "$ACC_BASE_RPS")"
TASKS_QUEUED="$(curl -s "$CLOUD_URL/worker/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue"]["pending"])' 2>/dev/null || echo '?')"

# ---------------------------------------------------------------- e) RSS after the load
CLOUD_RSS_LOAD="$(rss_mb "$CLOUD_PID")"; BASE_RSS_LOAD="$(rss_mb "$BASE_PID")"
CLOUD_LOG_LINES="$(wc -l <"$WORK/cloud-$READY_RUNS/out.log")"
stop_pid "$CLOUD_PID" 10

# ---------------------------------------------------------------- f) RSS under load in the contract's configuration
# A second cloud node with the defaults (cap 10, history 100): the same -c16 submissions for ACCEPT_SECONDS, where all
# but the first 10 are refused 429 (no edge takes them), then the 401 flood; its RSS after that is what a deployed node
# holds after a burst.
log "the contract's configuration (MAX_QUEUE_SIZE=10): -c16 submissions, then the 401 flood, then RSS"
MAX_QUEUE_SAVED="$MAX_QUEUE"; MAX_QUEUE=10
start_server cloud cloud-cap10; CAP_PID="$SERVER_PID"; CAP_URL="$SERVER_URL"
MAX_QUEUE="$MAX_QUEUE_SAVED"
wrk_run accept-cap10 -t2 -c16 -d"${ACCEPT_SECONDS}s" -s "$HERE/ingest.lua" "$CAP_URL/ingest" -- "$TOKEN" "${RUN_ID}c" "https://localhost"
CAP_ACC_RPS="$W_RPS"; CAP_ACC_ST="$W_STATUSES"
wrk_run flood-cap10 -t2 -c64 -d"${FLOOD_SECONDS}s" -s "$HERE/refuse.lua" "$CAP_URL/ingest"
CAP_RSS_LOAD="$(rss_mb "$CAP_PID")"
log "contract's configuration: RSS after the load $CAP_RSS_LOAD MB"

# ---------------------------------------------------------------- summary
verdict() { # verdict <awk condition on x> <x>
  awk -v x="$2" "BEGIN { exit !($1) }" && echo "yes" || echo "**no**"
}
times() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
READY_RATIO="$(times "$CLOUD_READY_MED" "$BASE_READY_MED")"
LOAD_AVG="$(cut -d' ' -f1-3 /proc/loadavg)"
FLOOD_PCT="$(awk -v a="$FLOOD_CLOUD_RPS" -v b="$FLOOD_BASE_RPS" 'BEGIN { print (b > 0) ? 100 * a / b : 0 }')"
CPU="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
SUMMARY="$(cat <<EOF
## Pharos HTTP bench — $(date -u +%Y-%m-%dT%H:%M:%SZ)

Commit \`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\`; $(nproc) cores ($CPU); .NET $(dotnet --version); both published with deploy/publish's \`$PROFILE\`.
wrk and the server under test share these cores: absolute rates are lower than on a separate load generator,
so read the ratios. The two servers run side by side; each is measured alone, one after the other. Load average at
the end: ${LOAD_AVG}.

| figure | cloud node | bare ASP.NET baseline | cloud / baseline | goal | met |
|---|---:|---:|---:|---|---|
| time to \`/ready\` (median of $READY_RUNS cold starts, published) | ${CLOUD_READY_MED} ms | ${BASE_READY_MED} ms | ${READY_RATIO}× | < 1000 ms, or ≤ 2.5× the baseline on a loaded machine | $(verdict 'x < 1000' "$CLOUD_READY_MED") / $(verdict 'x <= 2.5' "$READY_RATIO") |
| RSS idle (ready + ${IDLE_SECONDS} s) | ${CLOUD_RSS_IDLE} MB | ${BASE_RSS_IDLE} MB | | < 100 MB | $(verdict 'x < 100' "$CLOUD_RSS_IDLE") |
| 401 flood rate (-t2 -c64, ${FLOOD_SECONDS} s) | ${FLOOD_CLOUD_RPS} /s | ${FLOOD_BASE_RPS} /s | ${FLOOD_RATIO} | ≥ 80 % | $(verdict 'x >= 80' "$FLOOD_PCT") |
| 401 flood p99 | ${FLOOD_CLOUD_P99} ms | ${FLOOD_BASE_P99} ms | | | |
| 401 flood answers other than 401 | ${FLOOD_CLOUD_BAD} | ${FLOOD_BASE_BAD} | | 0 | |
| accepts, github.com repo URL, rate (-t2 -c16, ${ACCEPT_SECONDS} s) | ${ACC_CLOUD_RPS} /s | ${ACC_BASE_RPS} /s | ${ACC_RATIO} | | |
| accepts, github.com repo URL, p50 / p99 (-c16) | ${ACC_CLOUD_P50} / ${ACC_CLOUD_P99} ms | ${ACC_BASE_P50} / ${ACC_BASE_P99} ms | | p99 < 5 ms | $(verdict 'x < 5' "$ACC_CLOUD_P99") |
| accepts, github.com repo URL, answers other than 202 (-c16) | ${ACC_CLOUD_BAD} | ${ACC_BASE_BAD} | | 0 | |
| accepts, github.com repo URL, rate (-t1 -c1, ${C1_SECONDS} s) | ${C1_CLOUD_RPS} /s | ${C1_BASE_RPS} /s | ${C1_RATIO} | | |
| accepts, github.com repo URL, p50 / p99 (-c1) | ${C1_CLOUD_P50} / ${C1_CLOUD_P99} ms | ${C1_BASE_P50} / ${C1_BASE_P99} ms | | p99 < 5 ms | $(verdict 'x < 5' "$C1_CLOUD_P99") |
| accepts, github.com repo URL, answers other than 202 (-c1) | ${C1_CLOUD_BAD} | ${C1_BASE_BAD} | | 0 | |
| accepts, loopback repo URL (no DNS), rate -c16 | ${ND_CLOUD_RPS} /s | ${ACC_BASE_RPS} /s | ${ND_RATIO} | | |
| accepts, loopback repo URL (no DNS), p50 / p99 -c16 | ${ND_CLOUD_P50} / ${ND_CLOUD_P99} ms | ${ACC_BASE_P50} / ${ACC_BASE_P99} ms | | p99 < 5 ms | $(verdict 'x < 5' "$ND_CLOUD_P99") |
| accepts, loopback repo URL (no DNS), rate -c1 | ${ND1_CLOUD_RPS} /s | ${C1_BASE_RPS} /s | ${ND1_RATIO} | | |
| accepts, loopback repo URL (no DNS), p50 / p99 -c1 | ${ND1_CLOUD_P50} / ${ND1_CLOUD_P99} ms | ${C1_BASE_P50} / ${C1_BASE_P99} ms | | p99 < 5 ms | $(verdict 'x < 5' "$ND1_CLOUD_P99") |
| accepts, loopback repo URL, answers other than 202 (-c16 / -c1) | ${ND_CLOUD_BAD} / ${ND1_CLOUD_BAD} | | | 0 | |
| RSS after the load | ${CLOUD_RSS_LOAD} MB | ${BASE_RSS_LOAD} MB | | | |
| RSS after the load, cap 10 and history 100 (the defaults) | ${CAP_RSS_LOAD} MB | | | | |

The floor under the cloud node's start and memory: the baseline with \`--akka\`, the same server plus an Akka.NET
cluster of one (remoting on loopback, self-join, one cluster singleton, Akka.Hosting), ready once its member is Up.

| start and memory | cloud node | bare ASP.NET baseline | baseline + Akka.NET cluster | cloud / Akka.NET floor |
|---|---:|---:|---:|---:|
| time to \`/ready\` (median of $READY_RUNS cold starts) | ${CLOUD_READY_MED} ms | ${BASE_READY_MED} ms | ${AKKA_READY_MED} ms | $(times "$CLOUD_READY_MED" "$AKKA_READY_MED")× |
| RSS idle | ${CLOUD_RSS_IDLE} MB | ${BASE_RSS_IDLE} MB | ${AKKA_RSS_IDLE} MB | $(times "$CLOUD_RSS_IDLE" "$AKKA_RSS_IDLE")× |
| of which file-backed (assemblies' code and data) | ${CLOUD_RSS_FILE} MB | ${BASE_RSS_FILE} MB | ${AKKA_RSS_FILE} MB | |

Cloud node: MAX_QUEUE_SIZE=${MAX_QUEUE}, PHAROS_ALLOW_LOCAL_REPOS=true (only for the loopback rows), embedded SQLite journal (WAL, synchronous=FULL); statuses in the -c16 run: ${ACC_CLOUD_ST:-none}.
Baseline: one SQLite insert per request in its own transaction (WAL, synchronous=FULL), one writer at a time.
Cap 10: ${CAP_ACC_RPS} submissions/s answered (${CAP_ACC_ST:-none}), then the 401 flood, before its RSS.
Cloud node: ${TASKS_QUEUED} tasks pending after the load; ${CLOUD_LOG_LINES} lines of log output during the run (its default log levels).
The github.com rows include the URL validator's DNS lookup of github.com, which on this sandbox (no network) fails,
mostly fast but now and then only after the resolver's timeout (capped at 2 s by the validator).
EOF
)"
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/http-$(date +%Y%m%d-%H%M%S).md"
printf '%s\n' "$SUMMARY" >"$OUT"
printf '%s\n' "$SUMMARY"
log "written to $OUT"
