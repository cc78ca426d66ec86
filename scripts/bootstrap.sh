#!/usr/bin/env bash
# Sets up the Mesh toolchain and dependencies on any Linux box.
#
#   bash scripts/bootstrap.sh      install, then print the PATH line to use
#   source scripts/bootstrap.sh    install and put Node 24 and pnpm on this shell's PATH
#
# Node: Mesh needs Node.js 24 (the OpenTelemetry JS SDK needs >= 22.15). When the Node on
# PATH is older, the real Node 24 binary is installed from the npm package `node` into a
# cache folder outside the repo. pnpm is installed at the version pinned in package.json.
# Re-running is cheap: anything already in the cache is reused.

_mesh_bootstrap() {
  set -euo pipefail
  local root node_version node_major pnpm_version cache bin_dir
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  node_version="$(tr -d ' \n' <"$root/.node-version")"
  node_major="${node_version%%.*}"
  pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")"
  cache="${MESH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh}"
  bin_dir="$cache/bin"
  mkdir -p "$bin_dir"

  local current_major=0
  if command -v node >/dev/null 2>&1; then
    current_major="$(node -p 'process.versions.node.split(".")[0]')"
  fi
  if [ "$current_major" -lt "$node_major" ]; then
    local node_prefix="$cache/node-$node_version"
    if [ ! -x "$node_prefix/bin/node" ]; then
      echo "bootstrap: installing Node $node_version into $node_prefix" >&2
      npm install --global --prefix "$node_prefix" --no-audit --no-fund --loglevel=error \
        "node@$node_version" >&2
    fi
    ln -sf "$node_prefix/bin/node" "$bin_dir/node"
  fi

  local pnpm_prefix="$cache/pnpm-$pnpm_version"
  if [ ! -x "$pnpm_prefix/bin/pnpm" ]; then
    echo "bootstrap: installing pnpm $pnpm_version into $pnpm_prefix" >&2
    npm install --global --prefix "$pnpm_prefix" --no-audit --no-fund --loglevel=error \
      "pnpm@$pnpm_version" >&2
  fi
  ln -sf "$pnpm_prefix/bin/pnpm" "$bin_dir/pnpm"

  export PATH="$bin_dir:$PATH"
  echo "bootstrap: node $(node --version), pnpm $(pnpm --version)" >&2
  (cd "$root" && pnpm install --frozen-lockfile >&2)
  echo "export PATH=\"$bin_dir:\$PATH\""
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: install in a subshell so `set -e` never leaks into the caller, then adopt its PATH.
  _mesh_path_line="$(bash "${BASH_SOURCE[0]}")" && eval "$_mesh_path_line"
  unset _mesh_path_line
else
  _mesh_bootstrap
fi
