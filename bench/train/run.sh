#!/usr/bin/env bash
# The issue's training benchmark: Pharos' skip-gram trainer beside gensim's Word2Vec on the same walks of real
# repositories' import graphs, plus the import-graph builder's parse throughput.
# One command, from anywhere:  bench/train/run.sh
# Knobs (environment): RUNS (3), PARSE_RUNS (3), THREADS (2), SEED (42), NS_EXPONENT (0, the default: negatives drawn
# ∝ occurrences^this, on both sides; 0 draws them uniformly, 0.75 as word2vec), GENSIM_CORPUS_FILE=0 (skip the extra
# timing of gensim's corpus_file mode), WITH_GENSIM_SOURCE=0 (skip the optional fourth repository),
# EXTRA_REPOS="name=/abs/dir ..." (more directories, copied like the others), KEEP_WORK=1 (keep the temp dir).
# It copies the repositories into a temporary directory (nothing outside it is modified), starts no servers, and
# leaves nothing running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh" train-bench # ROOT, RESULTS_DIR, log, WORK, PIDS; cleans up on exit
knobs RUNS=3 PARSE_RUNS=3 THREADS=2 SEED=42 NS_EXPONENT=0
PYTHON=/usr/bin/python3

# ---------------------------------------------------------------- tools (Debian packages)
missing=()
"$PYTHON" -c 'import gensim' 2>/dev/null || missing+=(python3-gensim)
[[ -d /usr/lib/python3/dist-packages/networkx ]] || missing+=(python3-networkx)
apt_install "${missing[@]}"
"$PYTHON" - <<'EOF' >&2
import gensim
from gensim.models import word2vec_inner
print(f"[train-bench] gensim {gensim.__version__}, word2vec_inner.FAST_VERSION {word2vec_inner.FAST_VERSION} "
      "(-1 would mean the compiled routines did not load)")
EOF

log "building bench/Pharos.Bench.Train (Release)"
build_release bench/Pharos.Bench.Train/Pharos.Bench.Train.csproj
BENCH_DLL="$ROOT/bench/Pharos.Bench.Train/bin/Release/net10.0/Pharos.Bench.Train.dll"

# ---------------------------------------------------------------- repositories (copies)
mkdir -p "$WORK/repos" "$WORK/work"
REPOS=()
add_repo() { # add_repo NAME SOURCE_DIR
  local name="$1" src="$2"
  copy_repo "$name" "$src" || return 0
  REPOS+=(--repo "$name=$WORK/repos/$name")
}
add_repo networkx /usr/lib/python3/dist-packages/networkx
# The standard library as installed; its site-packages/dist-packages hold third-party code, not the library.
PYLIB="$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | sort -V | tail -n 1)"
if [[ -n "$PYLIB" ]]; then
  add_repo "cpython-stdlib-$(basename "$PYLIB" | sed 's/^python//')" "$PYLIB"
  rm -rf "$WORK/repos/cpython-stdlib-"*/site-packages "$WORK/repos/cpython-stdlib-"*/dist-packages
fi
add_repo npm /usr/lib/node_modules/npm # JavaScript; the scanner skips its bundled node_modules
if [[ "${WITH_GENSIM_SOURCE:-1}" != 0 ]]; then add_repo gensim /usr/lib/python3/dist-packages/gensim; fi
for spec in ${EXTRA_REPOS:-}; do add_repo "${spec%%=*}" "${spec#*=}"; done

# ---------------------------------------------------------------- run
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/train-$(date +%Y%m%d-%H%M%S).md"
EXTRA=()
[[ "${GENSIM_CORPUS_FILE:-1}" != 0 ]] && EXTRA+=(--gensim-corpus-file)
log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$BENCH_DLL" "${REPOS[@]}" --gensim-script "$HERE/gensim_train.py" --python "$PYTHON" --work "$WORK/work" \
  --out "$OUT" --runs "$RUNS" --parse-runs "$PARSE_RUNS" --threads "$THREADS" --seed "$SEED" \
  --ns-exponent "$NS_EXPONENT" "${EXTRA[@]}"
log "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
