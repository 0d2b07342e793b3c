#!/usr/bin/env bash
# Runs every Pharos test on a fresh Debian machine with the .NET SDK: installs what the tests need when it is
# missing (as root, or through sudo), then `dotnet test` over the solution. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use, as "command or path:package": git for repositories, networkx as real Python code
# for the import graph, redis-server for the Redis journal's tests (they start their own servers on free loopback
# ports and stop them by PID), chromium for the dashboard's browser tests (Playwright drives /usr/bin/chromium; no
# browser is ever downloaded), systemd's own checks of the service files in deploy/systemd (systemd-analyze; nothing
# is started), iproute2 and nftables for the network partition tests (namespaces, veth pairs and rules of their own; they
# skip, saying why, where namespaces cannot be made). (Real JavaScript comes with the machine: the npm that ships with
# Node.js.)
needs=("git:git" "/usr/lib/python3/dist-packages/networkx:python3-networkx" "redis-server:redis-server"
       "/usr/bin/chromium:chromium" "systemd-analyze:systemd" "/sbin/ip:iproute2" "/usr/sbin/nft:nftables")
missing=()
for need in "${needs[@]}"; do
  probe="${need%%:*}"
  if [[ "$probe" == /* ]]; then [ -e "$probe" ] || missing+=("${need#*:}")
  else command -v "$probe" >/dev/null 2>&1 || missing+=("${need#*:}"); fi
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${missing[*]} ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# One compiler server (VBCSCompiler) compiles every project, and the publish of PublishedNodeTests, instead of a compiler
# process per project that first JIT-compiles Roslyn: the build takes a third less CPU (129 -> 86 s on 2 cores). Some
# machines turn it off in the environment; it is stopped at the end unless it was running before.
export UseSharedCompilation=true
compiler_was_running=no
pgrep -u "$(id -u)" -f VBCSCompiler >/dev/null 2>&1 && compiler_was_running=yes
log=$(mktemp)
trap 'rm -f "$log"; [ "$compiler_was_running" = yes ] || dotnet build-server shutdown --vbcscompiler >/dev/null 2>&1 || true' EXIT
status=0
# Build first with every core, then test two projects at a time (-m:2; more starves the timing-sensitive tests on two
# cores): the end-to-end tests, the longest and first in the solution, start at once beside the others instead of after
# everything else's build and tests.
dotnet build Pharos.sln -c Release 2>&1 | tee "$log" || status=$?
[ "$status" -ne 0 ] || dotnet test Pharos.sln -c Release --no-build -m:2 "$@" 2>&1 | tee -a "$log" || status=$?

# One closing line for the whole run, summed over the test assemblies.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
