#!/usr/bin/env bash
# Builds the native tools that the workshop stack's tests (packages/workshop), the Helm chart's
# checks (packages/k8s) and the benchmark (packages/bench) run, so that CI needs neither Docker,
# a cluster nor a warm cache:
#
#   scripts/workshop-tools.sh build
#
#   - the OpenTelemetry Collector of infra/otel-collector/builder-config.yaml  (scripts/otelcol.sh)
#   - promtool, at the Prometheus release of docker-compose.yml               (scripts/promtool.sh)
#   - compose-check, the Compose Specification loader                         (scripts/compose-check.sh)
#   - Jaeger v2, at the release of docker-compose.jaeger.yml                  (scripts/jaeger.sh)
#   - vegeta, the load generator of the benchmark (packages/bench)             (scripts/vegeta.sh)
#   - Helm, to lint and render infra/helm/mesh                                 (scripts/helm.sh)
#   - kubeconform and the Kubernetes JSON schemas it validates against         (scripts/kubeconform.sh)
#
# Each lands in ~/.cache/mesh and is skipped when already there. Cold (empty Go caches) this
# takes several minutes, most of it compiling the collector and Jaeger; warm it takes a second.
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${1:-}" in
  build)
    started=$SECONDS
    "$SCRIPTS/otelcol.sh" build
    "$SCRIPTS/promtool.sh" build
    "$SCRIPTS/compose-check.sh" build
    "$SCRIPTS/jaeger.sh" build
    "$SCRIPTS/vegeta.sh" build
    "$SCRIPTS/helm.sh" build
    "$SCRIPTS/kubeconform.sh" build
    echo "workshop-tools: ready in $((SECONDS - started)) s" >&2
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "${1:-}" ] || [ "${1:-}" = help ] || exit 2
    ;;
esac
