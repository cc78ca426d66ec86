#!/usr/bin/env bash
# Builds kubeconform and lays out the Kubernetes JSON schemas it validates against, so tests can
# check every manifest the chart in infra/helm/mesh renders without a cluster (packages/k8s).
#
#   scripts/kubeconform.sh build             build kubeconform and unpack the schemas (each skipped when there)
#   scripts/kubeconform.sh path              print kubeconform's path (fails when not built yet)
#   scripts/kubeconform.sh schema-location   print the -schema-location template for the schemas
#   scripts/kubeconform.sh kubernetes-version  print the Kubernetes version the schemas are of
#
# kubeconform is built from source through the Go module proxy. By default it downloads schemas
# from a website; here they come from a registry package instead: the PyPI package
# kubernetes-validate ships the OpenAPI-derived JSON schemas of many Kubernetes releases. pip
# downloads its wheel (pinned version and sha256), and the schemas of one pinned Kubernetes
# release are unpacked into ~/.cache/mesh/kubernetes-json-schema-<package version>/
# (MESH_CACHE_DIR overrides ~/.cache/mesh). CRD-free manifests only: these are core schemas.
set -euo pipefail

KUBECONFORM_VERSION=0.8.0
# Schemas: the package version, its wheel's sha256 (from PyPI) and the Kubernetes release used.
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VALIDATE_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
KUBERNETES_VERSION=1.35.0

# shellcheck source=scripts/lib/go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh" kubeconform
BINARY="$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform"
SCHEMAS="$CACHE/kubernetes-json-schema-$KUBERNETES_VALIDATE_VERSION"
# The package names its directories v<version>-local[-strict]; kubeconform's -strict picks the
# -strict one (no properties beyond the schema's) through {{ .StrictSuffix }}.
SCHEMA_LOCATION="$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"

compile() {
  log "building kubeconform $KUBECONFORM_VERSION with $(go version)"
  go_tool_install "$1" "github.com/yannh/kubeconform/cmd/kubeconform@v$KUBECONFORM_VERSION"
}

ensure_pip() {
  python3 -m pip --version >/dev/null 2>&1 && return
  log "installing pip from the distribution's packages (to download the schemas' wheel)"
  command -v apt-get >/dev/null 2>&1 || die "python3 with pip is needed to download kubernetes-validate"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >&2
}

# unpack_schemas DIR: downloads the wheel (pip checks the pinned sha256) and unpacks both schema
# directories of KUBERNETES_VERSION into DIR. Each schema of the package names itself by an
# https://kubernetes.io/api/... $id and refers to the shared definitions as
# /api/_definitions.json, resolved against that $id (to a URL kubeconform would try to fetch).
# Unpacked, the $id is dropped and the reference made relative, so it resolves to the
# _definitions.json file next to the schema.
unpack_schemas() {
  local output=$1 work
  ensure_pip
  work="$(mktemp -d)"
  trap 'rm -rf "${work:-}"' RETURN
  echo "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION --hash=sha256:$KUBERNETES_VALIDATE_SHA256" >"$work/requirements.txt"
  log "downloading kubernetes-validate $KUBERNETES_VALIDATE_VERSION (schemas of Kubernetes $KUBERNETES_VERSION)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$work/requirements.txt" -d "$work" >&2
  python3 - "$work"/kubernetes_validate-*.whl "$output" "v$KUBERNETES_VERSION" <<'PY'
import json, pathlib, sys, zipfile

wheel, output, version = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
prefix = "kubernetes_validate/kubernetes-json-schema/"
count = 0
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if not name.startswith(prefix) or not name.endswith(".json"):
            continue
        directory, _, file = name[len(prefix):].partition("/")
        if directory not in (f"{version}-local", f"{version}-local-strict"):
            continue
        schema = json.loads(archive.read(name).decode("utf-8"))
        if isinstance(schema, dict):
            schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        target = output / directory / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        count += 1
if count == 0:
    sys.exit(f"no schemas of Kubernetes {version} in {wheel}")
print(f"kubeconform: unpacked {count} schema files of Kubernetes {version}", file=sys.stderr)
PY
}

# Marked complete by a file written last, so an interrupted unpack is redone.
schemas_build() {
  local done_marker="$SCHEMAS/v$KUBERNETES_VERSION.complete"
  if [ -f "$done_marker" ]; then
    log "schemas already there: $SCHEMAS"
    return
  fi
  mkdir -p "$SCHEMAS"
  rm -rf "$SCHEMAS/v$KUBERNETES_VERSION-local" "$SCHEMAS/v$KUBERNETES_VERSION-local-strict"
  unpack_schemas "$SCHEMAS"
  touch "$done_marker"
}

main() {
  case "${1:-}" in
    build)
      go_tool_build "$BINARY" kubeconform compile
      schemas_build
      ;;
    path) go_tool_path "$BINARY" "not built yet: run scripts/kubeconform.sh build" ;;
    schema-location)
      [ -f "$SCHEMAS/v$KUBERNETES_VERSION.complete" ] ||
        die "schemas not unpacked yet: run scripts/kubeconform.sh build"
      echo "$SCHEMA_LOCATION"
      ;;
    kubernetes-version) echo "$KUBERNETES_VERSION" ;;
    *) go_tool_usage 15 "${1:-}" ;;
  esac
}

main "$@"
