#!/usr/bin/env bash
# Builds Jaeger v2 natively, so tests can run docker-compose.jaeger.yml's Jaeger configuration
# (infra/jaeger/config.yaml) with the release of the jaegertracing/jaeger image there.
#
#   scripts/jaeger.sh build    build it (skipped when already built)
#   scripts/jaeger.sh path     print the binary's path (fails when not built yet)
#
# Jaeger publishes v2 from the same Go module as v1, under v1 tags (v1.76.0 is Jaeger 2.13.0).
# Its go.mod has replace directives, so `go install ...@version` refuses it; the script builds it
# as a tool of a throwaway module instead (`go get -tool`), with dependencies from the Go module
# proxy. Cold, the build takes a few minutes: the binary holds a whole collector distribution.
# It lands in ~/.cache/mesh/jaeger-<version>/ (MESH_CACHE_DIR overrides ~/.cache/mesh).
set -euo pipefail

# Keep in step with the jaegertracing/jaeger image in docker-compose.jaeger.yml (a test checks it).
JAEGER_VERSION=2.13.0
JAEGER_MODULE_VERSION=v1.76.0

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" jaeger
BINARY="$CACHE/jaeger-$JAEGER_VERSION/jaeger"
PACKAGE=github.com/jaegertracing/jaeger/cmd/jaeger

compile() {
  local output=$1
  log "building Jaeger $JAEGER_VERSION ($PACKAGE@$JAEGER_MODULE_VERSION) with $(go version)"
  WORK="$(mktemp -d)"
  trap 'rm -rf "${WORK:-}"' EXIT
  (
    cd "$WORK"
    go mod init mesh.local/jaeger-build >/dev/null 2>&1
    go get -tool "$PACKAGE@$JAEGER_MODULE_VERSION"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$output/jaeger" "$PACKAGE"
  )
}

build() { go_tool_build "$BINARY" Jaeger compile; }

case "${1:-}" in
  build) build ;;
  path) go_tool_path "$BINARY" "not built yet: run scripts/jaeger.sh build" ;;
  *) go_tool_usage 12 "${1:-}" ;;
esac
