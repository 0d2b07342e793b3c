#!/usr/bin/env bash
# Issue 16's quality benchmark: link prediction on real repositories' import graphs, Pharos' embeddings beside
# gensim (on our walks and on a reference walker's) and three classic scores, all on the same held-out pairs.
# One command, from anywhere:  bench/quality/run.sh
# Knobs (environment): SPLITS (5; small graphs get more, until MIN_HELD_OUT (500) held-out edges in all), THREADS (2), SEED (42), TEST_FRACTION (0.1), REPOS (all: a space-separated subset
# of stdlib networkx sympy npm typescript go java), EXTRA_REPOS="name=/abs/dir ..." (more directories, copied like the
# others), KEEP_WORK=1 (keep the temp dir with the graphs, splits, walks and vectors).
# It copies the repositories into a temporary directory (nothing outside it is modified), starts no servers, and
# leaves nothing running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" quality-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs SPLITS=5 MIN_HELD_OUT=500 THREADS=2 SEED=42 TEST_FRACTION=0.1 REPOS="stdlib networkx sympy npm typescript go java"
PYTHON=/usr/bin/python3 # Debian's, which sees python3-gensim (the first python3 on PATH may not)

wanted() { [[ " $REPOS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- tools (Debian packages)
missing=()
"$PYTHON" -c 'import gensim' 2>/dev/null || missing+=(python3-gensim)
"$PYTHON" -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
[[ -d /usr/lib/python3/dist-packages/networkx ]] || missing+=(python3-networkx)
apt_install "${missing[@]}"
# The optional repositories: each is tried alone, so one that cannot be installed only skips its row.
try_apt() { # try_apt PACKAGE: installs it if missing; false (with a log line) if that fails
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  ( apt_install "$1" ) >/dev/null 2>&1 || { log "could not install $1"; return 1; }
}
if wanted sympy; then try_apt python3-sympy || true; fi
if wanted go; then try_apt golang-golang-x-tools-dev || true; fi
if wanted java; then try_apt openjdk-17-source || true; fi # the JDK's src.zip: the one Debian package with .java sources

log "building src/Pharos.Cli (Release)"
build_release src/Pharos.Cli/Pharos.Cli.csproj
PHAROS="dotnet $ROOT/src/Pharos.Cli/bin/Release/net10.0/pharos.dll"

# ---------------------------------------------------------------- repositories (copies) and their graphs
mkdir -p "$WORK/repos" "$WORK/graphs" "$WORK/work"
GRAPHS=()
add_repo() { # add_repo NAME SOURCE_DIR
  local name="$1" src="$2"
  copy_repo "$name" "$src" || return 0
  # The standard library's site-packages/dist-packages hold third-party code, not the library.
  [[ "$name" != stdlib ]] || rm -rf "$WORK/repos/$name/site-packages" "$WORK/repos/$name/dist-packages"
  $PHAROS graph "$WORK/repos/$name" --json >"$WORK/graphs/$name.json"
  log "$name: $("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["nodes"]), "files,", len(d["edges"]), "edges,", d["languages"])' "$WORK/graphs/$name.json")"
  GRAPHS+=(--graph "$name=$WORK/graphs/$name.json")
}
PYLIB="$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | sort -V | tail -n 1)"
if wanted stdlib; then add_repo stdlib "${PYLIB:-/usr/lib/python3.11}"; fi
if wanted networkx; then add_repo networkx /usr/lib/python3/dist-packages/networkx; fi
if wanted sympy; then add_repo sympy /usr/lib/python3/dist-packages/sympy; fi
# JavaScript: npm's own sources, where Debian's nodejs or npm package puts them (the scanner skips node_modules).
if wanted npm; then
  npm_dir=/usr/lib/node_modules/npm; [[ -d "$npm_dir" ]] || npm_dir=/usr/share/nodejs/npm
  add_repo npm "$npm_dir"
fi
# TypeScript: a package that ships its .ts sources, fetched with npm's own client (skipped when it cannot reach it).
if wanted typescript; then
  if command -v npm >/dev/null && (cd "$WORK" && timeout 60 npm pack rxjs@7 --silent >"$WORK/npm-pack.log" 2>&1); then
    mkdir -p "$WORK/rxjs" && tar -xzf "$WORK"/rxjs-*.tgz -C "$WORK/rxjs"
    # Only its sources: dist/ holds the compiled .js and .d.ts of the same modules.
    add_repo rxjs "$WORK/rxjs/package/src"
  else
    log "skipping typescript: npm pack rxjs failed (is the npm registry reachable?): $(tail -n 1 "$WORK/npm-pack.log" 2>/dev/null)"
  fi
fi
if wanted go; then add_repo go-x-tools /usr/share/gocode/src/golang.org/x/tools; fi
if wanted java; then
  if [[ -f /usr/lib/jvm/openjdk-17/lib/src.zip ]]; then
    # The public java.* packages of java.base (about 1,400 files): the whole JDK would be ten times the others.
    "$PYTHON" - "$WORK/jdk" <<'EOF'
import sys, zipfile
with zipfile.ZipFile("/usr/lib/jvm/openjdk-17/lib/src.zip") as z:
    z.extractall(sys.argv[1], [n for n in z.namelist() if n.startswith("java.base/java/") and n.endswith(".java")])
EOF
    add_repo jdk-java.base "$WORK/jdk/java.base"
  else
    log "skipping java: openjdk-17-source (the JDK's src.zip) is not installed"
  fi
fi
for spec in ${EXTRA_REPOS:-}; do add_repo "${spec%%=*}" "${spec#*=}"; done
(( ${#GRAPHS[@]} )) || { log "no repository to measure"; exit 1; }

# ---------------------------------------------------------------- run
mkdir -p "$RESULTS_DIR"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$RESULTS_DIR/quality-$STAMP"
HEADER="## Link prediction on import graphs ($(date +%Y-%m-%d), $(nproc) cores, $(dotnet --version | sed 's/^/.NET SDK /'), \
gensim $("$PYTHON" -c 'import gensim; print(gensim.__version__)'), SPLITS=$SPLITS, MIN_HELD_OUT=$MIN_HELD_OUT, THREADS=$THREADS, SEED=$SEED)"
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PYTHON" "$HERE/quality.py" "${GRAPHS[@]}" --pharos "$PHAROS" --work "$WORK/work" --splits "$SPLITS" --min-held-out "$MIN_HELD_OUT" \
  --threads "$THREADS" --seed "$SEED" --test-fraction "$TEST_FRACTION" --header "$HEADER" \
  --out-md "$OUT.md" --out-csv "$OUT.csv" --out-json "$OUT.json"
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
log "wrote $OUT.md, $OUT.csv and $OUT.json"
