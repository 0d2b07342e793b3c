#!/usr/bin/env bash
# Runs Pharos on this machine on the embedded SQLite journal (under PHAROS_DATA_DIR, ./data by default): nothing
# else to install. Without PHAROS_ADMIN_TOKEN or PHAROS_TOKENS_FILE it makes an admin token once and keeps it in
# $PHAROS_DATA_DIR/admin-token (mode 0600); the token itself is never printed. Arguments go to the cloud node.
set -euo pipefail
cd "$(dirname "$0")"
# Absolute, because `dotnet run` starts the node in its project directory.
export PHAROS_DATA_DIR="$(realpath -m "${PHAROS_DATA_DIR:-./data}")"

if [ -z "${PHAROS_ADMIN_TOKEN:-}" ] && [ -z "${PHAROS_TOKENS_FILE:-}" ]; then
  token_file="$PHAROS_DATA_DIR/admin-token"
  if [ ! -s "$token_file" ]; then
    mkdir -p "$PHAROS_DATA_DIR"
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '=\n' | tr '+/' '-_' > "$token_file")
    echo "pharos: a new admin token is in $token_file (use it as: Authorization: Bearer \$(cat $token_file))"
  fi
  PHAROS_ADMIN_TOKEN="$(cat "$token_file")"
  export PHAROS_ADMIN_TOKEN
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project src/Pharos.CloudNode -c Release -- "$@"
