# shellcheck shell=bash
# Shared by the scripts that build a Go tool into the Mesh cache (k6.sh, promtool.sh, otelcol.sh,
# vegeta.sh, compose-check.sh); sourced, never run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" <log prefix>
#
# It sets ROOT (the repository) and CACHE (~/.cache/mesh, or MESH_CACHE_DIR) and defines log and
# die with the caller's prefix, and the steps every such script shares: build once (skipped when
# the binary is there), print a built binary's path, print the usage from the header comment.

# shellcheck disable=SC2034 # used by the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck disable=SC2034
CACHE="${MESH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh}"
GO_TOOL_LOG_PREFIX="$1"

log() { echo "$GO_TOOL_LOG_PREFIX: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# go_tool_build BINARY WHAT STEP: unless BINARY exists, checks that Go is there and runs
# `STEP <dir>`, which must leave the binary (same file name) in <dir>. <dir> is a side directory
# moved in place only when STEP succeeded, so an interrupted build never leaves a half-written
# binary that the next run would take as built.
go_tool_build() {
  local binary=$1 what=$2 step=$3 dir started
  if [ -x "$binary" ]; then
    log "already built: $binary"
    return
  fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build $what (https://go.dev/dl/)"
  started=$SECONDS
  dir="$(dirname "$binary")"
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  "$step" "$dir.partial"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
  log "built $binary in $((SECONDS - started)) s"
}

# go_tool_install DIR MODULE@VERSION: `go install` of a pinned module version into DIR, static
# and stripped. Built from source through the Go module proxy; no prebuilt binary is downloaded.
go_tool_install() {
  CGO_ENABLED=0 GOBIN="$1" go install -trimpath -ldflags "-s -w" "$2"
}

# go_tool_path BINARY MESSAGE: prints BINARY, or fails with MESSAGE when it is not built.
go_tool_path() {
  [ -x "$1" ] || die "$2"
  echo "$1"
}

# go_tool_usage LAST_LINE [ARG]: prints the calling script's header comment (lines 2 to
# LAST_LINE); exits 2 when ARG is a command the script does not know (not empty, not help).
go_tool_usage() {
  sed -n "2,$1p" "$0" | sed 's/^# \{0,1\}//'
  [ -z "${2:-}" ] || [ "${2:-}" = help ] || exit 2
}
