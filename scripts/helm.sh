#!/usr/bin/env bash
# Builds Helm natively, so tests can lint and render the chart in infra/helm/mesh without a
# cluster (packages/k8s).
#
#   scripts/helm.sh build      build it (skipped when already built)
#   scripts/helm.sh path       print the binary's path (fails when not built yet)
#   scripts/helm.sh lint       build, then `helm lint` the chart with its default and production values
#
# Helm 4, built from source through the Go module proxy (no prebuilt binary is downloaded). The
# chart keeps to apiVersion v2, which Helm 3 reads as well. It lands in
# ~/.cache/mesh/helm-<version>/ (MESH_CACHE_DIR overrides ~/.cache/mesh).
set -euo pipefail

HELM_VERSION=4.3.1

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" helm
DIR="$CACHE/helm-$HELM_VERSION"
BINARY="$DIR/helm"
CHART="$ROOT/infra/helm/mesh"

compile() {
  local output=$1
  log "building helm $HELM_VERSION with $(go version)"
  # The version is stamped the way Helm's Makefile does; a bare `go install` reports "v4.3".
  CGO_ENABLED=0 GOBIN="$output" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@v$HELM_VERSION"
}

build() { go_tool_build "$BINARY" helm compile; }

main() {
  case "${1:-}" in
    build) build ;;
    path) go_tool_path "$BINARY" "not built yet: run scripts/helm.sh build" ;;
    lint)
      build
      "$BINARY" lint --strict "$CHART"
      "$BINARY" lint --strict "$CHART" -f "$CHART/values-production.yaml"
      ;;
    *) go_tool_usage 11 "${1:-}" ;;
  esac
}

main "$@"
