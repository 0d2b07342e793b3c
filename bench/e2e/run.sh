#!/usr/bin/env bash
# The edge issue's end-to-end benchmark: a real repository through a real cloud node and a real edge node (separate
# processes), POST /ingest → `completed`, against the sum of its parts run alone: `git clone` (the CLI, same server)
# and `pharos train` (the CLI) with the same training settings.
# One command, from anywhere:  bench/e2e/run.sh
# Knobs (environment): RUNS (3), EPOCHS (10), DIMS (64), THREADS (2), TRANSPORTS (git,http),
# REPO (/usr/lib/python3/dist-packages/networkx), KEEP_WORK=1 (keep the temporary directory with every log).
# Everything it starts (git daemon, the smart HTTP server, the cloud node, the edge node) runs on 127.0.0.1 in its own
# temporary directory and is stopped by PID on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" e2e-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs RUNS=3 EPOCHS=10 DIMS=64 THREADS=2 TRANSPORTS=git,http REPO=/usr/lib/python3/dist-packages/networkx
NAME="$(basename "$REPO")"

# ---------------------------------------------------------------- tools (Debian packages)
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[[ -d /usr/lib/python3/dist-packages/networkx ]] || missing+=(python3-networkx)
apt_install "${missing[@]}"
[[ -d "$REPO" ]] || { echo "REPO=$REPO does not exist" >&2; exit 1; }

log "building the cloud node, the edge node, the pharos CLI and bench/Pharos.Bench.Worker (Release)"
build_release src/Pharos.CloudNode/Pharos.CloudNode.csproj src/Pharos.EdgeNode/Pharos.EdgeNode.csproj \
  src/Pharos.Cli/Pharos.Cli.csproj bench/Pharos.Bench.Worker/Pharos.Bench.Worker.csproj
CLOUD_DLL="$ROOT/src/Pharos.CloudNode/bin/Release/net10.0/Pharos.CloudNode.dll"
EDGE_DLL="$ROOT/src/Pharos.EdgeNode/bin/Release/net10.0/Pharos.EdgeNode.dll"
CLI_DLL="$ROOT/src/Pharos.Cli/bin/Release/net10.0/pharos.dll"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Worker/bin/Release/net10.0/Pharos.Bench.Worker.dll"

# ---------------------------------------------------------------- the repository: a copy, committed once, packed
# The package goes into a subdirectory of the repository, as in its upstream repository (networkx/networkx/...): the
# import resolver matches absolute imports (`from networkx.utils import ...`) against directory names, so a package
# copied to the repository's root would resolve differently depending on the name of the directory it is cloned into.
mkdir -p "$WORK/repos/$NAME"
cp -a "$REPO" "$WORK/repos/$NAME/$NAME"
find "$WORK/repos/$NAME" -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
( cd "$WORK/repos/$NAME" && git -c init.defaultBranch=main init -q && git add -A -f \
  && git -c user.name=bench -c user.email=bench@pharos.invalid -c commit.gpgsign=false commit -q -m import && git gc -q )
log "$NAME: $(git -C "$WORK/repos/$NAME" ls-files | wc -l) files, commit $(git -C "$WORK/repos/$NAME" rev-parse --short HEAD)"

wait_served() { # wait_served PID LOG: the smart HTTP server picks its port and prints "serving ROOT at URL/"; echoes URL
  local url
  for _ in $(seq 300); do
    url="$(sed -n 's|^serving .* at \(http://[^ ]*\)/$|\1|p' "$2" | head -n 1)"
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    kill -0 "$1" 2>/dev/null || { echo "the smart HTTP server exited:" >&2; cat "$2" >&2; exit 1; }
    sleep 0.1
  done
  echo "the smart HTTP server did not say where it listens" >&2; exit 1
}

# ---------------------------------------------------------------- git servers
CASES=()
if [[ ",$TRANSPORTS," == *,git,* ]]; then
  git_daemon "$WORK/repos" # sets GIT_PORT
  CASES+=(--case "git=git://127.0.0.1:$GIT_PORT/$NAME")
fi
if [[ ",$TRANSPORTS," == *,http,* ]]; then
  dotnet "$BENCH_DLL" serve-http --root "$WORK/repos" >"$WORK/smart-http.log" 2>&1 &
  PIDS+=("$!"); HTTP_GIT_URL="$(wait_served "$!" "$WORK/smart-http.log")"
  CASES+=(--case "http=$HTTP_GIT_URL/$NAME")
fi

# ---------------------------------------------------------------- cloud and edge, as a user runs them
HTTP_PORT="$(free_port)"; CLUSTER_PORT="$(free_port)"
CLOUD_URL="http://127.0.0.1:$HTTP_PORT"
TOKEN="$(new_token)"
export PHAROS_ALLOW_LOCAL_REPOS=true PHAROS_ALLOWED_SCHEMES=http,https,git PHAROS_ALLOWED_HOSTS='*'
mkdir -p "$WORK/cloud" "$WORK/edge"
log "starting the cloud node (HTTP $HTTP_PORT, cluster $CLUSTER_PORT)"
PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$WORK/cloud" PHAROS_HTTP_URLS="$CLOUD_URL" PHAROS_CLUSTER_PORT="$CLUSTER_PORT" \
  dotnet "$CLOUD_DLL" >"$WORK/cloud.log" 2>&1 &
PIDS+=("$!"); CLOUD_PID="$!"
wait_ready "$CLOUD_URL" "$CLOUD_PID" "the cloud node" "$WORK/cloud.log"
log "starting the edge node (training: $EPOCHS epochs, $DIMS dims, $THREADS threads)"
PHAROS_SEEDS="127.0.0.1:$CLUSTER_PORT" PHAROS_DATA_DIR="$WORK/edge" PHAROS_TRAIN_EPOCHS="$EPOCHS" \
  PHAROS_TRAIN_DIMENSIONS="$DIMS" PHAROS_TRAIN_THREADS="$THREADS" \
  dotnet "$EDGE_DLL" >"$WORK/edge.log" 2>&1 &
PIDS+=("$!"); EDGE_PID="$!"
# Ready once the queue has logged the edge worker's registration (GET /worker/status is printed beside it).
deadline=$(( SECONDS + 60 ))
until grep -q "registered from" "$WORK/cloud.log"; do
  kill -0 "$EDGE_PID" 2>/dev/null || { echo "the edge node exited:" >&2; cat "$WORK/edge.log" >&2; exit 1; }
  if (( SECONDS >= deadline )); then
    log "no worker registered with the queue within 60 s: is the edge worker (issue 4) in this build? Edge log:"
    tail -20 "$WORK/edge.log" >&2
    exit 3
  fi
  sleep 0.2
done
log "worker registered: $(grep -m1 -o 'Worker [^ ]* registered from [^ ]*' "$WORK/cloud.log")"
log "GET /worker/status: $(curl -s --max-time 2 "$CLOUD_URL/worker/status" | head -c 400)"

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/e2e-$(date +%Y%m%d-%H%M%S).md"
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
dotnet "$BENCH_DLL" e2e --cloud-url "$CLOUD_URL" --token "$TOKEN" --cli-dll "$CLI_DLL" --work "$WORK/parts" \
  --runs "$RUNS" --epochs "$EPOCHS" --dims "$DIMS" --threads "$THREADS" "${CASES[@]}" --out "$OUT" || status=$?
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
if (( status != 0 )); then
  log "the edge node's last log lines:"; tail -20 "$WORK/edge.log" >&2
fi
exit "$status"
