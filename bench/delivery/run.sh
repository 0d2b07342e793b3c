#!/usr/bin/env bash
# Issue 13's delivery benchmark: a 10,000-file result delivered from an edge's ResultUploader to a real cloud node's
# ResultIntake and SQLite result store over the cluster connection (Akka.Remote on loopback), from the offer to
# UploadDelivered, beside a plain TCP copy of the same bytes to a file with fsync, in the same invocation.
# One command, from anywhere:  bench/delivery/run.sh
# Knobs (environment): FILES (10000), DIMS (64), RUNS (20), WARMUP (2), SEED (42), TLS (both: plain akka.tcp, then
# mutual TLS as `pharos certs` sets it up; off or on for one of them), KEEP_WORK=1 (keep the temporary directory
# with the nodes' logs).
# The cloud node and the TCP sink run on 127.0.0.1 in their own processes and temporary directories and are stopped
# by PID on exit; the bench process joins the cloud's cluster as an `edge` member.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" delivery-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs FILES=10000 DIMS=64 RUNS=20 WARMUP=2 SEED=42 TLS=both

command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
case "$TLS" in
  both) MODES=(plain tls) ;;
  off) MODES=(plain) ;;
  on) MODES=(tls) ;;
  *) echo "TLS must be both, off or on" >&2; exit 2 ;;
esac

log "building the cloud node, the CLI and bench/Pharos.Bench.Results (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj src/Pharos.Cli/Pharos.Cli.csproj \
  bench/Pharos.Bench.Results/Pharos.Bench.Results.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
CLI_DLL="$ROOT/src/Pharos.Cli/bin/Release/net10.0/pharos.dll"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Results/bin/Release/net10.0/Pharos.Bench.Results.dll"

# ---------------------------------------------------------------- the baseline's sink (its own process)
mkdir -p "$WORK/sink"
dotnet "$BENCH_DLL" tcp-sink --dir "$WORK/sink" >"$WORK/sink.out" 2>"$WORK/sink.log" &
PIDS+=("$!"); SINK_PID="$!"
SINK_PORT=""
for _ in $(seq 300); do
  SINK_PORT="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/sink.out")"
  [[ -n "$SINK_PORT" ]] && break
  kill -0 "$SINK_PID" 2>/dev/null || { echo "the TCP sink exited:" >&2; cat "$WORK/sink.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$SINK_PORT" ]] || { echo "the TCP sink did not start listening" >&2; exit 1; }
log "TCP sink listening on 127.0.0.1:$SINK_PORT"

# ---------------------------------------------------------------- mutual TLS, as `pharos certs` sets it up
if [[ " ${MODES[*]} " == *" tls "* ]]; then
  dotnet "$CLI_DLL" certs create-ca --out "$WORK/ca" >/dev/null
  dotnet "$CLI_DLL" certs issue --ca "$WORK/ca" --name cloud --role cloud --ip 127.0.0.1 --out "$WORK/cloud.pfx" --password bench >/dev/null
  dotnet "$CLI_DLL" certs issue --ca "$WORK/ca" --name edge --role edge --ip 127.0.0.1 --out "$WORK/edge.pfx" --password bench >/dev/null
fi
tls_env() { # tls_env MODE NAME: the environment that turns mutual TLS on for node NAME
  [[ "$1" == tls ]] || return 0
  echo "PHAROS_TLS_CERT=$WORK/$2.pfx PHAROS_TLS_CERT_PASSWORD=bench PHAROS_TLS_CA=$WORK/ca/ca.crt"
}

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/delivery-$(date +%Y%m%d-%H%M%S).md"
{
  echo "## Result delivery, edge → cloud, beside a plain TCP copy — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "\`uptime\` at the start: $(uptime)"
  echo
} >"$OUT"

status=0
for mode in "${MODES[@]}"; do
  HTTP_PORT="$(free_port)"; CLUSTER_PORT="$(free_port)"
  CLOUD_URL="http://127.0.0.1:$HTTP_PORT"
  TOKEN="$(new_token)"
  label="plain akka.tcp"; [[ "$mode" == tls ]] && label="akka.ssl.tcp, mutual TLS"
  log "starting the cloud node ($label; HTTP $HTTP_PORT, cluster $CLUSTER_PORT)"
  mkdir -p "$WORK/cloud-$mode"
  # shellcheck disable=SC2046 # tls_env prints NAME=value words
  env $(tls_env "$mode" cloud) PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$WORK/cloud-$mode" PHAROS_HTTP_URLS="$CLOUD_URL" \
    PHAROS_CLUSTER_PORT="$CLUSTER_PORT" PHAROS_ALLOW_LOCAL_REPOS=true \
    dotnet "$CLOUD_DLL" >"$WORK/cloud-$mode.log" 2>&1 &
  PIDS+=("$!"); CLOUD_PID="$!"
  wait_ready "$CLOUD_URL" "$CLOUD_PID" "the cloud node" "$WORK/cloud-$mode.log"

  log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2046
  env $(tls_env "$mode" edge) PHAROS_SEEDS="127.0.0.1:$CLUSTER_PORT" PHAROS_CLUSTER_HOST=127.0.0.1 PHAROS_CLUSTER_PORT=0 \
    dotnet "$BENCH_DLL" delivery --cloud-url "$CLOUD_URL" --token "$TOKEN" --sink-port "$SINK_PORT" \
    --work "$WORK/edge-$mode" --files "$FILES" --dims "$DIMS" --runs "$RUNS" --warmup "$WARMUP" --seed "$SEED" \
    --mode "$label" --out "$OUT" || status=$?
  log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  if (( status != 0 )); then log "the cloud node's last log lines:"; tail -20 "$WORK/cloud-$mode.log" >&2; break; fi
  stop_pid "$CLOUD_PID"
done
stop_pid "$SINK_PID"
(( status == 0 )) && log "wrote $OUT"
exit "$status"
