#!/usr/bin/env bash
# Builds k6 natively and runs the load-test scenarios of k6/ against a running Mesh.
#
#   scripts/k6.sh install              build k6 (skipped when already built)
#   scripts/k6.sh path                 print the binary's path (fails when not built yet)
#   scripts/k6.sh run <scenario> [...] k6 run k6/scenarios/<scenario>.js, e.g. `run smoke`;
#                                      further arguments go to k6 (e.g. -e DURATION=1m, --out ...)
#   scripts/k6.sh inspect              k6 inspect every scenario: does each one parse
#
# k6 is built with `go install go.k6.io/k6@v<version>` from the Go module proxy: no prebuilt
# binary is downloaded. It lands in ~/.cache/mesh/k6-<version>/ (MESH_CACHE_DIR overrides
# ~/.cache/mesh). With an empty Go build cache that takes about two minutes on two cores.
# The scenarios' settings (BASE_URL, API_KEY, durations, rates) are in k6/README.md.
set -euo pipefail

# Keep in step with the grafana/k6 image in docker-compose.yml.
K6_VERSION=1.8.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MESH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh}"
DIR="$CACHE/k6-$K6_VERSION"
BINARY="$DIR/k6"
SCENARIOS="$ROOT/k6/scenarios"

log() { echo "k6.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

install() {
  if [ -x "$BINARY" ]; then
    log "already built: $BINARY"
    return
  fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build k6 (https://go.dev/dl/)"
  local started=$SECONDS
  log "building k6 $K6_VERSION with $(go version)"
  rm -rf "$DIR.partial"
  mkdir -p "$DIR.partial"
  # Built into a side directory and moved in place at the end, so an interrupted build never
  # leaves a half-written binary that `install` would then take as done.
  CGO_ENABLED=0 GOBIN="$DIR.partial" go install -trimpath -ldflags "-s -w" \
    "go.k6.io/k6@v$K6_VERSION"
  rm -rf "$DIR"
  mv "$DIR.partial" "$DIR"
  log "built $BINARY in $((SECONDS - started)) s"
}

binary() {
  [ -x "$BINARY" ] || die "k6 is not built yet: run scripts/k6.sh install"
  echo "$BINARY"
}

main() {
  case "${1:-}" in
    install | build) install ;;
    path) binary ;;
    run)
      [ -n "${2:-}" ] || die "which scenario? one of: $(cd "$SCENARIOS" && ls -- *.js | sed 's/\.js$//' | xargs)"
      local k6 script="$SCENARIOS/$2.js"
      [ -f "$script" ] || die "no scenario $script"
      k6="$(binary)"
      shift 2
      exec "$k6" run "$@" "$script"
      ;;
    inspect)
      local k6 script
      k6="$(binary)"
      for script in "$SCENARIOS"/*.js; do
        log "inspect $script"
        "$k6" inspect "$script" >/dev/null
      done
      log "every scenario parses"
      ;;
    *)
      sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      [ -z "${1:-}" ] || [ "${1:-}" = help ] || exit 2
      ;;
  esac
}

main "$@"
