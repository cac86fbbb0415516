# shellcheck shell=bash
# Sourced helper: make sure a Node.js >= 22 is first on PATH.
#
#   source scripts/node.sh
#
# If the `node` on PATH is already >= 22 nothing happens. Otherwise Node 24 is
# installed (once) into <repo>/.tools/node24 from the npm registry and put at
# the front of PATH. Works when sourced from any working directory.

_music_sync_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_music_sync_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(_music_sync_node_major)" -lt 22 ]; then
  _music_sync_node_dir="$_music_sync_repo/.tools/node24/node_modules/node/bin"
  if [ ! -x "$_music_sync_node_dir/node" ]; then
    echo "node.sh: node >= 22 not found on PATH; installing node@24 into $_music_sync_repo/.tools/node24" >&2
    npm install --prefix "$_music_sync_repo/.tools/node24" --no-save --no-package-lock --no-audit --no-fund node@24 >&2 || {
      echo "node.sh: failed to install node@24 via npm" >&2
      return 1
    }
  fi
  export PATH="$_music_sync_node_dir:$PATH"
  hash -r 2>/dev/null || true
  unset _music_sync_node_dir
fi

unset _music_sync_repo
unset -f _music_sync_node_major
