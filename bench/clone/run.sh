#!/usr/bin/env bash
# The edge issue's clone benchmark: LibGit2Sharp (RepositoryCloner, what the edge runs) against `git clone` on the
# same repository and transport: smart HTTP (both shallow), git:// (both full), a local path and file:// (both full).
# One command, from anywhere:  bench/clone/run.sh
# Knobs (environment): RUNS (5), TRANSPORTS (http,git,path,file), REPOS ("networkx=<dir> numpy=<dir>"), KEEP_WORK=1.
# It copies the packages into a temporary directory and commits them there; the servers it starts (git daemon, a
# Kestrel smart HTTP server inside the bench process) are stopped when it exits.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" clone-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs RUNS=5 TRANSPORTS=http,git,path,file
DIST=/usr/lib/python3/dist-packages
REPOS="${REPOS:-networkx=$DIST/networkx numpy=$DIST/numpy}"

# ---------------------------------------------------------------- tools and repositories (Debian packages)
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
[[ -d $DIST/networkx ]] || missing+=(python3-networkx)
[[ -d $DIST/numpy ]] || missing+=(python3-numpy)
apt_install "${missing[@]}"

log "building bench/Pharos.Bench.Worker (Release)"
build_release bench/Pharos.Bench.Worker/Pharos.Bench.Worker.csproj
BENCH_DLL="$ROOT/bench/Pharos.Bench.Worker/bin/Release/net10.0/Pharos.Bench.Worker.dll"

ARGS=()
for spec in $REPOS; do
  if [[ -d "${spec#*=}" ]]; then ARGS+=(--repo "$spec"); else log "skipping ${spec%%=*}: ${spec#*=} does not exist"; fi
done

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/clone-$(date +%Y%m%d-%H%M%S).md"
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$BENCH_DLL" clone "${ARGS[@]}" --work "$WORK" --runs "$RUNS" --transports "$TRANSPORTS" --out "$OUT"
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
