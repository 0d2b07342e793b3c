#!/usr/bin/env bash
# Runs Pharos on this machine: the cloud node and an edge worker in one process (--standalone), on the embedded
# SQLite journal under PHAROS_DATA_DIR (./data by default): nothing else to install. Without PHAROS_ADMIN_TOKEN or
# PHAROS_TOKENS_FILE the node makes an admin token once and keeps it in $PHAROS_DATA_DIR/admin-token (mode 0600);
# the token itself is never printed. Arguments go to the node.
set -euo pipefail
cd "$(dirname "$0")"
# Absolute, because `dotnet run` starts the node in its project directory.
export PHAROS_DATA_DIR="$(realpath -m "${PHAROS_DATA_DIR:-./data}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project src/Pharos.CloudNode -c Release -- --standalone "$@"
