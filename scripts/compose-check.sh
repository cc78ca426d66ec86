#!/usr/bin/env bash
# Validates docker-compose.yml without Docker, with compose-go: the library the Docker Compose
# CLI loads compose files with (Compose Specification JSON schema plus semantic checks).
#
#   scripts/compose-check.sh build           build the checker (skipped when already built)
#   scripts/compose-check.sh path            print the checker's path (fails when not built yet)
#   scripts/compose-check.sh check [FILE]    validate FILE (default: docker-compose.yml) and
#                                            print the loaded project as JSON
#
# The checker's source and pinned dependencies are in packages/workshop/tools/compose-check.
# It lands in ~/.cache/mesh/compose-check/<hash of its go.sum and source>/ (MESH_CACHE_DIR
# overrides ~/.cache/mesh). Building it takes seconds and needs Go and the Go module proxy.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MESH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh}"
SOURCE="$ROOT/packages/workshop/tools/compose-check"

log() { echo "compose-check: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

binary_path() {
  local hash
  hash="$(cat "$SOURCE/go.mod" "$SOURCE/go.sum" "$SOURCE/main.go" | sha256sum | cut -c1-16)"
  echo "$CACHE/compose-check/$hash/compose-check"
}

build() {
  local binary
  binary="$(binary_path)"
  if [ -x "$binary" ]; then
    log "already built: $binary"
    return
  fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build the checker (https://go.dev/dl/)"
  local started=$SECONDS
  mkdir -p "$(dirname "$binary")"
  (cd "$SOURCE" && CGO_ENABLED=0 go build -trimpath -o "$binary.partial" .)
  mv "$binary.partial" "$binary"
  log "built $binary in $((SECONDS - started)) s"
}

case "${1:-}" in
  build) build ;;
  path)
    [ -x "$(binary_path)" ] || die "not built yet: run scripts/compose-check.sh build"
    binary_path
    ;;
  check)
    build
    "$(binary_path)" "${2:-$ROOT/docker-compose.yml}"
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "${1:-}" ] || [ "${1:-}" = help ] || exit 2
    ;;
esac
