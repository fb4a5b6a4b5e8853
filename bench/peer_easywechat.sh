#!/usr/bin/env bash
# Runs the node-easywechat peer of the message-pipeline benchmark (bench/peer_easywechat.cjs) on
# Node, installing node-easywechat 3.6.2 into a scratch directory on first use (3.6.x requires
# node-socialite, which its package does not pull in by itself). Prints
# "peer node-easywechat pipeline: N ops/s". Usage: peer_easywechat.sh [N] [encrypt]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${PEER_EASYWECHAT_DIR:-${TMPDIR:-/tmp}/wxopen-peer-easywechat}
if [ ! -d "$dir/node_modules/node-easywechat" ] || [ ! -d "$dir/node_modules/node-socialite" ]; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" node-easywechat@3.6.2 node-socialite@1.4.1 >/dev/null
fi
node "$here/peer_easywechat.cjs" "$dir/node_modules" "${1:-30000}" "${2:-}"
