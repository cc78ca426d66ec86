#!/usr/bin/env bash
# Sets up Mesh on a Linux machine and runs every check and test, from a fresh clone:
#
#   scripts/check.sh             everything, as CI runs it (.ci/run)
#   scripts/check.sh --no-test   the same without the tests (and their summary)
#
#   1. Node 24, pnpm and the dependencies (scripts/bootstrap.sh)
#   2. PostgreSQL, Redis and Kafka for the tests: the ones the MESH_TEST_* variables name, else
#      containers when a Docker engine answers (the tests start them with testcontainers), else
#      native ones (scripts/services.sh start)
#   3. the workshop checks' tools, built with Go into ~/.cache/mesh (scripts/workshop-tools.sh),
#      and Chromium for the storefront's browser tests (scripts/browser.sh, apt-get when missing)
#   4. pnpm build, typecheck, lint and test, each across all packages, stopping at the first
#      that fails; then one line adding up the tests (scripts/test-summary.cjs)
#
# The output is grouped for GitHub Actions (::group::). Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case "${1:-}" in
  "") run_tests=1 ;;
  --no-test) run_tests=0 ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    [ "$1" = --help ] || exit 2
    exit 0
    ;;
esac

say() { echo "check: $*" >&2; }

echo "::group::toolchain and dependencies"
# Not `source scripts/bootstrap.sh`: a failure inside it must stop this script, and only an
# assignment passes a command substitution's status on to `set -e`.
path_line="$(bash scripts/bootstrap.sh)"
eval "$path_line"
node --version
pnpm --version
echo "::endgroup::"

# The same choice as the tests make (@mesh/testkit's chooseSource): the MESH_TEST_* variables
# when set, else testcontainers when testcontainers itself finds a Docker engine.
docker_answers() {
  (cd packages/testkit && node -e "require('testcontainers').getContainerRuntimeClient().then(
    () => process.exit(0), () => process.exit(1))") >/dev/null 2>&1
}

echo "::group::PostgreSQL, Redis and Kafka for the tests"
if [ -n "${MESH_TEST_POSTGRES_URL:-}" ] && [ -n "${MESH_TEST_REDIS_URL:-}" ] &&
  [ -n "${MESH_TEST_KAFKA_BROKERS:-}" ]; then
  say "the tests use the services that MESH_TEST_POSTGRES_URL, MESH_TEST_REDIS_URL and MESH_TEST_KAFKA_BROKERS name"
elif docker_answers; then
  say "a Docker engine answers: the tests start PostgreSQL, Redis and Kafka in containers (testcontainers)"
else
  say "no Docker engine answers: starting PostgreSQL, Redis and Kafka natively (scripts/services.sh)"
  scripts/services.sh start
  eval "$(scripts/services.sh env)"
fi
echo "::endgroup::"

echo "::group::native tools for the workshop stack's checks"
# The OpenTelemetry Collector of infra/otel-collector, promtool, the compose checker, Helm and
# kubeconform (with its Kubernetes schemas), built with Go into ~/.cache/mesh for the tests of
# packages/workshop and packages/k8s (skipped when already built there).
scripts/workshop-tools.sh build
echo "::endgroup::"

if [ "$run_tests" -eq 1 ]; then
  echo "::group::Chromium for the storefront's browser tests"
  scripts/browser.sh
  echo "::endgroup::"
fi

status=0
failed=""
step() {
  [ "$status" -eq 0 ] || return 0
  pnpm "$1" || {
    status=$?
    failed=$1
  }
}
step build
step typecheck
step lint
if [ "$run_tests" -eq 1 ]; then
  # Per-package jest summaries, added up below into one closing line.
  find packages services -name .jest-results.json -not -path '*/node_modules/*' -delete 2>/dev/null || true
  step test
  node scripts/test-summary.cjs || status=$?
fi

if [ "$status" -eq 0 ]; then
  say "passed"
else
  say "failed${failed:+ at pnpm $failed}"
fi
exit "$status"
