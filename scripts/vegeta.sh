#!/usr/bin/env bash
# Builds vegeta natively: the open-model HTTP load generator the benchmark (packages/bench) drives
# Mesh with, at a constant arrival rate whatever the latency.
#
#   scripts/vegeta.sh build    build it (skipped when already built)
#   scripts/vegeta.sh path     print the binary's path (fails when not built yet)
#
# vegeta (MIT) is built with `go install github.com/tsenart/vegeta/v12@v<version>` from the Go
# module proxy: no prebuilt binary is downloaded. It lands in ~/.cache/mesh/vegeta-<version>/
# (MESH_CACHE_DIR overrides ~/.cache/mesh).
set -euo pipefail

VEGETA_VERSION=12.12.0

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" vegeta
DIR="$CACHE/vegeta-$VEGETA_VERSION"
BINARY="$DIR/vegeta"

compile() {
  log "building vegeta $VEGETA_VERSION with $(go version)"
  go_tool_install "$1" "github.com/tsenart/vegeta/v12@v$VEGETA_VERSION"
}

main() {
  case "${1:-}" in
    build) go_tool_build "$BINARY" vegeta compile ;;
    path) go_tool_path "$BINARY" "not built yet: run scripts/vegeta.sh build" ;;
    *) go_tool_usage 10 "${1:-}" ;;
  esac
}

main "$@"
