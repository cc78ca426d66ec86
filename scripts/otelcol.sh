#!/usr/bin/env bash
# Builds the workshop's OpenTelemetry Collector natively, so tests can run
# infra/otel-collector/config.yaml, and the Helm chart's agent and gateway collector configs,
# without Docker.
#
#   scripts/otelcol.sh build      build it (skipped when this manifest was already built)
#   scripts/otelcol.sh path       print the binary's path (fails when not built yet)
#   scripts/otelcol.sh validate   check infra/otel-collector/config.yaml with it
#
# The binary comes from the official OpenTelemetry Collector Builder (ocb) and
# infra/otel-collector/builder-config.yaml, which pins every component at the release of the
# contrib image in docker-compose.yml. It needs Go (the version the collector's go.mod asks
# for, or GOTOOLCHAIN=auto lets Go fetch it) and the Go module proxy. It lands in
# ~/.cache/mesh/otelcol/<hash of the manifest>/ (MESH_CACHE_DIR overrides ~/.cache/mesh), so
# changing the manifest builds a new binary and the old one is never reused by mistake.
# A cold build takes a few minutes (module downloads and compiling ~300 packages).
set -euo pipefail

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" otelcol
MANIFEST="$ROOT/infra/otel-collector/builder-config.yaml"
CONFIG="$ROOT/infra/otel-collector/config.yaml"

# The builder's version is the distribution's version: ocb generates the collector's main
# package against its own release of the collector libraries.
builder_version() {
  local version
  version="$(sed -n 's/^  version: *\([0-9.]*\).*/\1/p' "$MANIFEST" | head -n 1)"
  [ -n "$version" ] || die "no dist.version in $MANIFEST"
  echo "v$version"
}

binary_name() { sed -n 's/^  name: *\([a-z0-9-]*\).*/\1/p' "$MANIFEST" | head -n 1; }

build_dir() {
  local hash
  hash="$(sha256sum "$MANIFEST" | cut -c1-16)"
  echo "$CACHE/otelcol/$hash"
}

binary_path() { echo "$(build_dir)/$(binary_name)"; }

compile() {
  local output=$1 version builder
  version="$(builder_version)"
  builder="$CACHE/otelcol/builder-$version/builder"
  if [ ! -x "$builder" ]; then
    log "installing the OpenTelemetry Collector Builder $version"
    go_tool_install "$(dirname "$builder")" "go.opentelemetry.io/collector/cmd/builder@$version"
  fi
  # The manifest leaves the output path out (it is machine-specific); add it to a copy.
  sed "s|^dist:|dist:\n  output_path: $output|" "$MANIFEST" >"$output/manifest.yaml"
  log "building $(binary_name) with $("$builder" version 2>&1 | tail -n 1) and $(go version)"
  "$builder" --config "$output/manifest.yaml" >&2
}

build() { go_tool_build "$(binary_path)" "the collector" compile; }

main() {
  case "${1:-}" in
    build) build ;;
    path) go_tool_path "$(binary_path)" "not built yet: run scripts/otelcol.sh build" ;;
    validate)
      build
      "$(binary_path)" validate --config "$CONFIG"
      log "$CONFIG is valid"
      ;;
    *) go_tool_usage 16 "${1:-}" ;;
  esac
}

main "$@"
