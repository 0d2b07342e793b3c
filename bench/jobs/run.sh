#!/usr/bin/env bash
# The untrusted-repositories issue's job-process benchmark: what running a task's clone and analysis in two child
# processes of the edge's executable (JobProcess, as CloneActor and TrainActor do) costs beside running the same calls
# in process, on the same repositories: a synthetic 500-file Python repository the bench writes, and networkx when
# its Debian package is installed. Also times a job process that fails at once and the bare executable's start.
# One command, from anywhere:  bench/jobs/run.sh
# Knobs (environment): RUNS (7), WARMUPS (1), FILES (500), THREADS (all,1), TRANSPORT (git|path), SEED (42),
# REPOS ("networkx=/usr/lib/python3/dist-packages/networkx"; empty for the synthetic one alone), R2R (1: also a
# ReadyToRun publish of the edge), VARIANTS ("name:VAR=value,..." for the job processes, space-separated), KEEP_WORK=1.
# The git daemon it starts on 127.0.0.1 is stopped by PID on exit; the job processes end with the bench process.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" jobs-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs RUNS=7 WARMUPS=1 FILES=500 THREADS=all,1 TRANSPORT=git SEED=42 R2R=1
REPOS="${REPOS-networkx=/usr/lib/python3/dist-packages/networkx}"
VARIANTS="${VARIANTS:-}"

command -v git >/dev/null 2>&1 || apt_install git

log "building src/Pharos.EdgeNode and bench/Pharos.Bench.Worker (Release)"
build_release src/Pharos.EdgeNode/Pharos.EdgeNode.csproj bench/Pharos.Bench.Worker/Pharos.Bench.Worker.csproj
# The edge's own apphost, as a built or published edge starts its job processes.
EDGE="$ROOT/src/Pharos.EdgeNode/bin/Release/net10.0/Pharos.EdgeNode"
BENCH_DLL="$ROOT/bench/Pharos.Bench.Worker/bin/Release/net10.0/Pharos.Bench.Worker.dll"

ARGS=()
for spec in $REPOS; do
  if [[ -d "${spec#*=}" ]]; then ARGS+=(--repo "$spec")
  else log "skipping ${spec%%=*}: ${spec#*=} does not exist (networkx: apt-get install python3-networkx)"; fi
done

if [[ "$R2R" == 1 ]]; then
  # The same edge, published with its assemblies compiled ahead of time (ReadyToRun): what a deployment could ship.
  log "publishing src/Pharos.EdgeNode with ReadyToRun into the work directory"
  if dotnet publish "$ROOT/src/Pharos.EdgeNode/Pharos.EdgeNode.csproj" -c Release -r linux-x64 --self-contained false \
       -p:PublishReadyToRun=true -o "$WORK/edge-r2r" -nologo -v q >"$WORK/publish-r2r.log" 2>&1; then
    ARGS+=(--variant "ready-to-run:node=$WORK/edge-r2r/Pharos.EdgeNode")
  else
    log "skipping the ReadyToRun variant: the publish failed (see below)"; tail -n 5 "$WORK/publish-r2r.log" >&2
  fi
fi
for variant in $VARIANTS; do ARGS+=(--variant "$variant"); done

mkdir -p "$WORK/served"
if [[ "$TRANSPORT" == git ]]; then
  git_daemon "$WORK/served" # sets GIT_PORT; serves the repositories the bench writes there
  ARGS+=(--git-base "git://127.0.0.1:$GIT_PORT")
fi

mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/jobs-$(date +%Y%m%d-%H%M%S).md"
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
# Workstation GC, as the nodes run (the bench project is a web project, whose default is server GC).
DOTNET_gcServer=0 dotnet "$BENCH_DLL" jobs --work "$WORK/bench" --served "$WORK/served" --node "$EDGE" --transport "$TRANSPORT" \
  --runs "$RUNS" --warmups "$WARMUPS" --files "$FILES" --threads "$THREADS" --seed "$SEED" "${ARGS[@]}" --out "$OUT"
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
