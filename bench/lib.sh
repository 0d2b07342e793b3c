# Shared set-up of the bench/<name>/run.sh scripts. Each sources it right after `set -euo pipefail`:
#   HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
#   source "$HERE/../lib.sh" <tag>
# <tag> prefixes every log line ([<tag> HH:MM:SS]) and names the temporary directory (pharos-<tag>-XXXXXX).
# Sourcing it sets ROOT, RESULTS_DIR and WORK, and installs the traps that clean up on exit, Ctrl+C or failure.

BENCH_TAG="${1:?usage: source bench/lib.sh <tag>}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RESULTS_DIR="$ROOT/bench/results"

log() { printf '[%s %s] %s\n' "$BENCH_TAG" "$(date +%H:%M:%S)" "$*" >&2; }

# knobs NAME=default ...: each NAME keeps a non-empty value it has in the environment, or takes its default.
knobs() {
  local pair name
  for pair in "$@"; do
    name="${pair%%=*}"
    [[ -n "${!name:-}" ]] || printf -v "$name" '%s' "${pair#*=}"
  done
}

# rss_mb PID: the process's resident memory in MB.
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# rss_file_mb PID: the file-backed part of it (mapped code and data of its binaries: clean pages), in MB.
rss_file_mb() { awk '/^RssFile:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# ---------------------------------------------------------------- clean-up: only what this script started
# Other Pharos nodes may run on the same machine, so processes are stopped by the PIDs the script recorded in PIDS
# (PIDS+=("$!") after each `... &`), never by name. WORK holds every log and data directory; KEEP_WORK=1 keeps it.
PIDS=()
WORK="$(mktemp -d -t "pharos-$BENCH_TAG-XXXXXX")"

# stop_pid PID [GRACE_SECONDS (5)]: SIGTERM, up to GRACE_SECONDS for it to exit, then SIGKILL; reaps it and drops it
# from PIDS so that clean-up never signals the PID again (it may belong to another process by then).
stop_pid() {
  local pid="$1" grace="${2:-5}" keep=() p
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq $(( grace * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ -n "${KEEP_WORK:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# INT and TERM go through exit, so the EXIT trap runs once, with the status of an interrupted command.
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools
# apt_install PACKAGE...: installs the Debian packages a script found missing (none: nothing to do), with sudo when
# not root; runs apt-get update once if the first try fails (a fresh container has no package lists). Quiet unless it
# fails, then prints apt's output and exits.
apt_install() {
  (( $# )) || return 0
  log "installing $*"
  local sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get install -y "$@" >"$WORK/apt.log" 2>&1 \
    || { $sudo apt-get update >>"$WORK/apt.log" 2>&1 && $sudo apt-get install -y "$@" >>"$WORK/apt.log" 2>&1; } \
    || { cat "$WORK/apt.log" >&2; exit 1; }
}

# build_release PROJECT...: `dotnet build -c Release` of each project (paths relative to the repository root), quiet
# unless it fails, then prints the build's output and exits. Each project's log is $WORK/build-<project>.log.
# copy_repo NAME SOURCE_DIR: a copy in $WORK/repos/NAME to read (the source is never touched), without bytecode
# caches; false, with a log line, when the source does not exist.
copy_repo() {
  local name="$1" src="$2"
  if [[ ! -d "$src" ]]; then log "skipping $name: $src does not exist"; return 1; fi
  mkdir -p "$WORK/repos"
  cp -a "$src" "$WORK/repos/$name"
  # Bytecode caches are not sources (the scanner skips __pycache__ anyway); drop them to keep the copy small.
  find "$WORK/repos/$name" -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
}

build_release() {
  local proj out
  for proj in "$@"; do
    out="$WORK/build-$(basename "$proj" .csproj).log"
    dotnet build "$ROOT/$proj" -c Release -nologo -v q >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
  done
}

# ---------------------------------------------------------------- servers
# A TCP port free on 127.0.0.1 right now (the kernel picks it), for a server the script starts.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_redis yes|no: a redis-server of the script's own on a free loopback port, in $WORK/redis, without RDB snapshots
# and with the append-only file on or off; sets REDIS_PORT and REDIS_PID and returns once it answers PING (its log is
# printed if it dies first). Stopped by PID on exit like everything else.
start_redis() {
  local aof="$1"
  REDIS_PORT="$(free_port)"
  mkdir -p "$WORK/redis"
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (no RDB, AOF $aof)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly "$aof" --daemonize no --dir "$WORK/redis" \
    >"$WORK/redis.log" 2>&1 &
  PIDS+=("$!"); REDIS_PID="$!"
  for _ in $(seq 100); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    kill -0 "$REDIS_PID" 2>/dev/null || { cat "$WORK/redis.log" >&2; exit 1; }
    sleep 0.1
  done
}

# A fresh admin token for the cloud node the script starts.
new_token() { echo "bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }

# wait_port PORT PID NAME LOG: waits until 127.0.0.1:PORT accepts a connection (up to ~30 s, then exits); exits with
# LOG if the process PID dies first.
wait_port() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 exited:" >&2; cat "$4" >&2; exit 1; }
    sleep 0.1
  done
  echo "$3 did not listen on $1" >&2; exit 1
}

# git_daemon BASE_PATH: starts git-daemon on a free loopback port serving every repository under BASE_PATH (also those
# made later), records its PID in PIDS, waits until it listens and sets GIT_PORT. git-daemon itself rather than
# `git daemon`: the `git` wrapper would be the PID recorded, and after a Ctrl+C (which the wrapper passes on to the
# daemon, which ignores it as a background job) stopping the wrapper left the daemon.
git_daemon() {
  GIT_PORT="$(free_port)"
  "$(git --exec-path)/git-daemon" --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$1" --export-all "$1" \
    >"$WORK/git-daemon.log" 2>&1 &
  PIDS+=("$!"); wait_port "$GIT_PORT" "$!" "git daemon" "$WORK/git-daemon.log"
}

# wait_ready URL PID NAME LOG: polls URL/ready until it answers 200 (up to ~60 s, then goes on); exits with LOG if the
# process PID dies first.
wait_ready() {
  for _ in $(seq 600); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1/ready" || true)" == 200 ]] && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 exited:" >&2; cat "$4" >&2; exit 1; }
    sleep 0.1
  done
}

# test_summary LOG: "N tests: N passed, N failed, N skipped" from a `dotnet test` console log (normal verbosity).
test_summary() {
  awk '/^Total tests:/ {t = $3} /^ +Passed:/ {p = $2} /^ +Failed:/ {f = $2} /^ +Skipped:/ {s = $2}
    END { if (t == "") print "no test summary"; else printf "%d tests: %d passed, %d failed, %d skipped", t, p, f, s }' "$1"
}

# figures_table FIGURES: the "scenario.figure = value" lines the chaos and partition tests append, as markdown rows.
figures_table() {
  echo "| scenario | figure | value |"
  echo "|---|---|---|"
  sed -n 's/^\([a-z0-9_-]*\(\.[a-z0-9_-]*\)*\)\.\([a-z0-9_]*\) = \(.*\)$/| \1 | \3 | \4 |/p' "$1"
}
