#!/usr/bin/env bash
# Runs Mesh natively on this machine, from a fresh clone (also: pnpm start):
#
#   scripts/run.sh
#
#   1. Node 24, pnpm and the dependencies (scripts/bootstrap.sh)
#   2. the OpenTelemetry Collector of infra/otel-collector, built with Go into ~/.cache/mesh
#      the first time (scripts/otelcol.sh build)
#   3. pnpm build
#   4. the runner (packages/dev): PostgreSQL, Redis and Kafka natively (scripts/services.sh
#      start), the collector, the five services and the storefront (:8090), each waited for
#      until /readyz answers; it prints their URLs and a curl to place an order.
#
# Logs: on a terminal, one readable line per entry behind the service's name; into a pipe or a
# file, JSON lines with a "service" field. Everything else the runner says goes to stderr.
# Ctrl-C stops them all but PostgreSQL, Redis and Kafka, which keep running
# (scripts/services.sh stop). The settings (ports, and DATABASE_URL, REDIS_URL and
# KAFKA_BROKERS for backing services of your own) are in packages/dev/src/config.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case "${1:-}" in
  "") ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    [ "$1" = --help ] || exit 2
    exit 0
    ;;
esac

# An assignment, so that a failing bootstrap stops this script (see scripts/check.sh).
path_line="$(bash scripts/bootstrap.sh)"
eval "$path_line"
scripts/otelcol.sh build
echo "run: building (pnpm build)" >&2
pnpm build --output-logs=errors-only >&2
# exec: the runner gets Ctrl-C and SIGTERM itself, and stops what it started.
exec node packages/dev/dist/main.js
