#!/usr/bin/env bash
# Makes sure the browser the storefront's tests drive is there: Debian's Chromium at
# /usr/bin/chromium (apt package `chromium`). The tests use playwright-core, which drives a
# browser it is given and downloads none (`npx playwright install` is not used).
#
#   scripts/browser.sh    install chromium with apt-get when /usr/bin/chromium is missing
#
# Idempotent: with Chromium present it only prints its version. Installing needs root (as in CI)
# or sudo; MESH_TEST_CHROMIUM names another binary and skips the install.
set -euo pipefail

chromium="${MESH_TEST_CHROMIUM:-/usr/bin/chromium}"
say() { echo "browser: $*" >&2; }

if [ ! -x "$chromium" ]; then
  [ "$chromium" = /usr/bin/chromium ] || { say "no browser at MESH_TEST_CHROMIUM=$chromium"; exit 1; }
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "installing chromium needs root: apt-get install chromium"; exit 1; }
    sudo="sudo"
  fi
  say "installing chromium with apt-get"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
fi
# --no-sandbox: as root (CI) Chromium's sandbox refuses to start, even for --version.
say "$("$chromium" --no-sandbox --version 2>/dev/null || echo "$chromium")"
