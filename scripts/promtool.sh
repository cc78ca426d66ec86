#!/usr/bin/env bash
# Builds Prometheus' promtool natively, so tests can check infra/prometheus/prometheus.yml with
# the same release as the Prometheus image in docker-compose.yml.
#
#   scripts/promtool.sh build    build it (skipped when already built)
#   scripts/promtool.sh path     print the binary's path (fails when not built yet)
#   scripts/promtool.sh check    run `promtool check config` on infra/prometheus/prometheus.yml
#
# Prometheus publishes its Go module as v0.<major><minor>.<patch> (v0.315.0 is Prometheus
# 3.15.0). Its go.mod has replace directives, so `go install ...@version` refuses it; the script
# downloads the module from the Go module proxy and builds inside it instead. The build tag
# remove_all_sd leaves out the cloud service-discovery plugins (AWS, Azure, Kubernetes, ...),
# which roughly halves the build and which a config with static targets does not need;
# enable_dns_sd keeps DNS discovery, which the demo chart's Prometheus config
# (infra/helm/mesh-demo-backends) uses to find every gateway collector pod.
# It lands in ~/.cache/mesh/promtool-<version>-dns-sd/ (MESH_CACHE_DIR overrides ~/.cache/mesh;
# the suffix keeps a promtool built without DNS discovery from being taken as this one).
set -euo pipefail

# Keep in step with the prom/prometheus image in docker-compose.yml (a test checks it).
PROMETHEUS_VERSION=3.15.0

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" promtool
DIR="$CACHE/promtool-$PROMETHEUS_VERSION-dns-sd"
BINARY="$DIR/promtool"
CONFIG="$ROOT/infra/prometheus/prometheus.yml"

module_version() {
  local major minor patch
  IFS=. read -r major minor patch <<<"$PROMETHEUS_VERSION"
  printf 'v0.%d%02d.%d' "$major" "$minor" "$patch"
}

compile() {
  local output=$1 module source
  module="github.com/prometheus/prometheus@$(module_version)"
  log "building promtool $PROMETHEUS_VERSION from $module with $(go version)"
  source="$(go mod download -json "$module" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  [ -d "$source" ] || die "could not download $module"
  WORK="$(mktemp -d)"
  trap 'rm -rf "${WORK:-}"' EXIT
  # The module cache is read-only; build in a copy. GOWORK=off: the release's go.work names
  # modules that the published module zip does not contain.
  cp -r "$source" "$WORK/prometheus"
  chmod -R u+w "$WORK/prometheus"
  (
    cd "$WORK/prometheus"
    GOWORK=off CGO_ENABLED=0 go build -tags remove_all_sd,enable_dns_sd -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
      -o "$output/promtool" ./cmd/promtool
  )
}

build() { go_tool_build "$BINARY" promtool compile; }

main() {
  case "${1:-}" in
    build) build ;;
    path) go_tool_path "$BINARY" "not built yet: run scripts/promtool.sh build" ;;
    check)
      build
      "$BINARY" check config "$CONFIG"
      ;;
    *) go_tool_usage 12 "${1:-}" ;;
  esac
}

main "$@"
