#!/usr/bin/env bash
# The hardening issue's flood: 100,000 unauthenticated POST /ingest requests (a wrong bearer token) against the cloud
# node, twice in a row, with the per-client failure limit at its default and with it off; against the bare ASP.NET
# baseline's /refuse route in the same invocation. Reports the answers (only 401, or 401 then 429: nothing else), the
# rate and its ratio to the baseline, RSS before / peak / after each 100,000 (bounded: the second round does not grow
# it), and the bytes and lines the node logged (bounded by the failure log's 5 lines per client per minute).
# One command, from anywhere:  bench/flood/run.sh
# Knobs (environment): REQUESTS (100000 per round), CONNECTIONS (64), THREADS (2).
# (The share of each wrk thread is REQUESTS / THREADS, so up to THREADS - 1 fewer requests may be sent in all.)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" flood # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs REQUESTS=100000 CONNECTIONS=64 THREADS=2

command -v wrk >/dev/null 2>&1 || apt_install wrk
log "building the cloud node and the baseline (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj bench/Pharos.Bench.Baseline/Pharos.Bench.Baseline.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
BASE_DLL="$ROOT/bench/Pharos.Bench.Baseline/bin/Release/net10.0/Pharos.Bench.Baseline.dll"

bytes() { stat -c %s "$1"; }

# start <name> <kind> [failure limit]: sets PID, URL, OUT (its log).
start() {
  local name="$1" kind="$2" port dir
  port="$(free_port)"; dir="$WORK/$name"; mkdir -p "$dir/data"
  URL="http://127.0.0.1:$port"; OUT="$dir/out.log"
  if [[ "$kind" == cloud ]]; then
    PHAROS_ADMIN_TOKEN="$(new_token)" PHAROS_DATA_DIR="$dir/data" PHAROS_HTTP_URLS="$URL" \
      PHAROS_CLUSTER_PORT="$(free_port)" PHAROS_AUTH_FAILURES_PER_MINUTE="$3" dotnet "$CLOUD_DLL" >"$OUT" 2>&1 &
  else
    dotnet "$BASE_DLL" --urls "$URL" --data-dir "$dir/data" >"$OUT" 2>&1 &
  fi
  PID=$!; PIDS+=("$PID")
  wait_ready "$URL" "$PID" "$name" "$OUT"
  sleep 3 # settle after start-up, so that the idle RSS and log size are the node's, not the JIT's
}

# flood <label> <pid> <url> <log>: one round of REQUESTS; sets F_RPS, F_STATUSES, F_OTHER (neither 401 nor 429),
# F_PEAK (highest RSS sampled every 100 ms), F_AFTER (RSS 5 s later), F_LOG_BYTES and F_LOG_LINES (logged meanwhile).
flood() {
  local label="$1" pid="$2" url="$3" out="$4" samples="$WORK/rss-$1.txt" bench log_before lines_before sampler
  log_before="$(bytes "$out")"; lines_before="$(wc -l <"$out")"
  ( while kill -0 "$pid" 2>/dev/null; do rss_mb "$pid" >>"$samples"; echo >>"$samples"; sleep 0.1; done ) &
  sampler=$!; PIDS+=("$sampler")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$HERE/flood.lua" "$url" -- "$REQUESTS" "$THREADS" >"$WORK/wrk-$label.txt" 2>&1 \
    || { cat "$WORK/wrk-$label.txt" >&2; exit 1; }
  sleep 5
  F_AFTER="$(rss_mb "$pid")"
  stop_pid "$sampler" 1
  F_PEAK="$(sort -n "$samples" | tail -1)"
  bench="$(grep '^FLOOD ' "$WORK/wrk-$label.txt")"
  F_RPS="$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$bench")"
  F_SECONDS="$(sed -E 's/.* seconds=([0-9.]+).*/\1/' <<<"$bench")"
  F_ANSWERED="$(sed -E 's/.*answered=([0-9]+).*/\1/' <<<"$bench")"
  (( F_ANSWERED >= REQUESTS - THREADS )) || { echo "$label: only $F_ANSWERED answers within ${DURATION} s" >&2; cat "$WORK/wrk-$label.txt" >&2; exit 1; }
  F_STATUSES="$(grep '^STATUSES' "$WORK/wrk-$label.txt" | sed 's/^STATUSES *//')"
  F_OTHER=0
  for s in $F_STATUSES; do [[ "${s%%=*}" == 401 || "${s%%=*}" == 429 ]] || F_OTHER=$(( F_OTHER + ${s#*=} )); done
  F_LOG_BYTES=$(( $(bytes "$out") - log_before )); F_LOG_LINES=$(( $(wc -l <"$out") - lines_before ))
  log "$label: $F_RPS req/s; $F_STATUSES; RSS peak $F_PEAK MB, after $F_AFTER MB; logged $F_LOG_BYTES bytes, $F_LOG_LINES lines"
}

ROWS=""
row() { ROWS+="| $1 | $2 | ${F_STATUSES} | ${F_OTHER} | ${F_RPS} /s | $3 | ${IDLE} MB | ${F_PEAK} MB | ${F_AFTER} MB | ${F_LOG_BYTES} B / ${F_LOG_LINES} lines |"$'\n'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }

log "baseline: bare ASP.NET Core answering 401 to everything"
start baseline baseline; BASE_PID="$PID"; IDLE="$(rss_mb "$PID")"
# wrk waits out its -d even when every thread has sent its share (the rate is timed inside flood.lua): the baseline gets
# a generous 120 s, the node four times what the baseline took, plus 30 s.
# Each round is compared with the baseline's round of the same number: the first includes the JIT's warm-up.
DURATION=120
BASE_RPS=()
for round in 1 2; do
  flood "baseline-$round" "$PID" "$URL/refuse" "$OUT"; BASE_RPS[round]="$F_RPS"; row "baseline" "$round" "100 %"
  if (( round == 1 )); then DURATION="$(awk -v s="$F_SECONDS" 'BEGIN { printf "%d", 4 * s + 30 }')"; fi
done
stop_pid "$BASE_PID" 10

for limit in 30 0; do
  log "cloud node, PHAROS_AUTH_FAILURES_PER_MINUTE=$limit"
  start "cloud-$limit" cloud "$limit"; CLOUD_PID="$PID"; IDLE="$(rss_mb "$PID")"
  for round in 1 2; do
    flood "cloud-$limit-$round" "$CLOUD_PID" "$URL/ingest" "$OUT"
    row "cloud node, failure limit $limit" "$round" "$(ratio "$F_RPS" "${BASE_RPS[round]}")"
  done
  # Nothing got in: the queue is as empty as it started.
  PENDING="$(curl -s "$URL/worker/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue"]["pending"])')"
  [[ "$PENDING" == 0 ]] || { echo "the flood queued $PENDING tasks" >&2; exit 1; }
  stop_pid "$CLOUD_PID" 10
done

CPU="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
SUMMARY="$(cat <<EOT
## Pharos unauthenticated flood — $(date -u +%Y-%m-%dT%H:%M:%SZ)

Commit \`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\`; $(nproc) cores ($CPU); .NET $(dotnet --version).
Each round: ${REQUESTS} POST /ingest with a wrong bearer token, wrk -t${THREADS} -c${CONNECTIONS}, all from 127.0.0.1; two
rounds back to back on one process. wrk shares the cores with the server: read the ratios.

| server | round | answers | neither 401 nor 429 | rate | vs baseline | RSS idle | RSS peak | RSS 5 s after | logged during the round |
|---|---:|---|---:|---:|---:|---:|---:|---:|---|
${ROWS}
After every cloud round the queue held 0 tasks.
EOT
)"
mkdir -p "$RESULTS_DIR"
RESULT="$RESULTS_DIR/flood-$(date +%Y%m%d-%H%M%S).md"
printf '%s\n' "$SUMMARY" >"$RESULT"
printf '%s\n' "$SUMMARY"
log "written to $RESULT"
