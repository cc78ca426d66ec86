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

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" k6.sh
DIR="$CACHE/k6-$K6_VERSION"
BINARY="$DIR/k6"
SCENARIOS="$ROOT/k6/scenarios"

compile() {
  log "building k6 $K6_VERSION with $(go version)"
  go_tool_install "$1" "go.k6.io/k6@v$K6_VERSION"
}

install() {
  go_tool_build "$BINARY" k6 compile
}

binary() { go_tool_path "$BINARY" "k6 is not built yet: run scripts/k6.sh install"; }

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
    *) go_tool_usage 13 "${1:-}" ;;
  esac
}

main "$@"
