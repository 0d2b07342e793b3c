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
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS_DIR="$ROOT/bench/results"
RUNS="${RUNS:-3}"
EPOCHS="${EPOCHS:-10}"
DIMS="${DIMS:-64}"
THREADS="${THREADS:-2}"
TRANSPORTS="${TRANSPORTS:-git,http}"
REPO="${REPO:-/usr/lib/python3/dist-packages/networkx}"
NAME="$(basename "$REPO")"

log() { printf '[e2e-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

PIDS=()
WORK="$(mktemp -d -t pharos-e2e-bench-XXXXXX)"
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [[ -n "${KEEP_WORK:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools (Debian packages)
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[[ -d /usr/lib/python3/dist-packages/networkx ]] || missing+=(python3-networkx)
if (( ${#missing[@]} )); then
  log "installing ${missing[*]}"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  $SUDO apt-get install -y "${missing[@]}" >"$WORK/apt.log" 2>&1 \
    || { $SUDO apt-get update >>"$WORK/apt.log" 2>&1 && $SUDO apt-get install -y "${missing[@]}" >>"$WORK/apt.log" 2>&1; } \
    || { cat "$WORK/apt.log" >&2; exit 1; }
fi
[[ -d "$REPO" ]] || { echo "REPO=$REPO does not exist" >&2; exit 1; }

log "building the cloud node, the edge node, the pharos CLI and bench/Pharos.Bench.Worker (Release)"
for proj in src/Pharos.CloudNode/Pharos.CloudNode.csproj src/Pharos.EdgeNode/Pharos.EdgeNode.csproj \
            src/Pharos.Cli/Pharos.Cli.csproj bench/Pharos.Bench.Worker/Pharos.Bench.Worker.csproj; do
  dotnet build "$ROOT/$proj" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
done
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # wait_port PORT PID NAME LOG
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 exited:" >&2; cat "$4" >&2; exit 1; }
    sleep 0.1
  done
  echo "$3 did not listen on $1" >&2; exit 1
}

# ---------------------------------------------------------------- git servers
CASES=()
if [[ ",$TRANSPORTS," == *,git,* ]]; then
  GIT_PORT="$(free_port)"
  git daemon --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$WORK/repos" --export-all "$WORK/repos" \
    >"$WORK/git-daemon.log" 2>&1 &
  PIDS+=("$!"); wait_port "$GIT_PORT" "$!" "git daemon" "$WORK/git-daemon.log"
  CASES+=(--case "git=git://127.0.0.1:$GIT_PORT/$NAME")
fi
if [[ ",$TRANSPORTS," == *,http,* ]]; then
  HTTP_GIT_PORT="$(free_port)"
  dotnet "$BENCH_DLL" serve-http --root "$WORK/repos" --port "$HTTP_GIT_PORT" >"$WORK/smart-http.log" 2>&1 &
  PIDS+=("$!"); wait_port "$HTTP_GIT_PORT" "$!" "the smart HTTP server" "$WORK/smart-http.log"
  CASES+=(--case "http=http://127.0.0.1:$HTTP_GIT_PORT/$NAME")
fi

# ---------------------------------------------------------------- cloud and edge, as a user runs them
HTTP_PORT="$(free_port)"; CLUSTER_PORT="$(free_port)"
CLOUD_URL="http://127.0.0.1:$HTTP_PORT"
TOKEN="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export PHAROS_ALLOW_LOCAL_REPOS=true PHAROS_ALLOWED_SCHEMES=http,https,git PHAROS_ALLOWED_HOSTS='*'
mkdir -p "$WORK/cloud" "$WORK/edge"
log "starting the cloud node (HTTP $HTTP_PORT, cluster $CLUSTER_PORT)"
PHAROS_ADMIN_TOKEN="$TOKEN" PHAROS_DATA_DIR="$WORK/cloud" PHAROS_HTTP_URLS="$CLOUD_URL" PHAROS_CLUSTER_PORT="$CLUSTER_PORT" \
  dotnet "$CLOUD_DLL" >"$WORK/cloud.log" 2>&1 &
PIDS+=("$!"); CLOUD_PID="$!"
for _ in $(seq 600); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$CLOUD_URL/ready" || true)" == 200 ]] && break
  kill -0 "$CLOUD_PID" 2>/dev/null || { echo "the cloud node exited:" >&2; cat "$WORK/cloud.log" >&2; exit 1; }
  sleep 0.1
done
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
