#!/usr/bin/env bash
# Validates docker-compose.yml without Docker, with compose-go: the library the Docker Compose
# CLI loads compose files with (Compose Specification JSON schema plus semantic checks).
#
#   scripts/compose-check.sh build           build the checker (skipped when already built)
#   scripts/compose-check.sh path            print the checker's path (fails when not built yet)
#   scripts/compose-check.sh check [FILE...] validate FILE (default: docker-compose.yml; several
#                                            are merged like `docker compose -f`) and print the
#                                            loaded project as JSON
#
# The checker's source and pinned dependencies are in packages/workshop/tools/compose-check.
# It lands in ~/.cache/mesh/compose-check/<hash of its go.sum and source>/ (MESH_CACHE_DIR
# overrides ~/.cache/mesh). Building it takes seconds and needs Go and the Go module proxy.
set -euo pipefail

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" compose-check
SOURCE="$ROOT/packages/workshop/tools/compose-check"

binary_path() {
  local hash
  hash="$(cat "$SOURCE/go.mod" "$SOURCE/go.sum" "$SOURCE/main.go" | sha256sum | cut -c1-16)"
  echo "$CACHE/compose-check/$hash/compose-check"
}

compile() { (cd "$SOURCE" && CGO_ENABLED=0 go build -trimpath -o "$1/compose-check" .); }

build() { go_tool_build "$(binary_path)" "the checker" compile; }

case "${1:-}" in
  build) build ;;
  path) go_tool_path "$(binary_path)" "not built yet: run scripts/compose-check.sh build" ;;
  check)
    build
    shift
    if [ $# -eq 0 ]; then set -- "$ROOT/docker-compose.yml"; fi
    "$(binary_path)" "$@"
    ;;
  *) go_tool_usage 13 "${1:-}" ;;
esac
