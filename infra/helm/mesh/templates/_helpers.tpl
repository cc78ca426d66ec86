{{/* Names and labels shared by every template. */}}

{{- define "mesh.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one component: <fullname>-<component>, e.g. mesh-order, mesh-otel-agent. */}}
{{- define "mesh.componentName" -}}
{{- printf "%s-%s" (include "mesh.fullname" .root) .component -}}
{{- end -}}

{{- define "mesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: mesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "mesh.selectorLabels" . }}
{{- end -}}

{{- define "mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* A service's image: <registry>/<prefix><service>:<tag>. */}}
{{- define "mesh.serviceImage" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if eq (toString $tag) "latest" -}}
{{- fail "image.tag: name a build, not latest" -}}
{{- end -}}
{{- printf "%s/%s%s:%s" .root.Values.image.registry .root.Values.image.prefix .component $tag -}}
{{- end -}}

{{- define "mesh.collectorImage" -}}
{{- printf "%s:%s" .Values.collectorImage.repository (toString .Values.collectorImage.tag) -}}
{{- end -}}

{{/* The Secret with DATABASE_URL, REDIS_URL and API_KEYS. */}}
{{- define "mesh.credentialsSecret" -}}
{{- .Values.credentials.existingSecret | default (printf "%s-credentials" (include "mesh.fullname" .)) -}}
{{- end -}}

{{/*
The text of infra/otel-collector/config.yaml, as the chart carries it (files/otel-collector.yaml,
a copy that packages/k8s checks is identical); the collector templates parse it with fromYaml.
*/}}
{{- define "mesh.workshopCollectorConfig" -}}
{{ .Files.Get "files/otel-collector.yaml" }}
{{- end -}}

{{/* A memory quantity (Mi or Gi) in MiB, for NODE_OPTIONS' heap size. */}}
{{- define "mesh.mebibytes" -}}
{{- $quantity := toString . -}}
{{- if hasSuffix "Gi" $quantity -}}
{{- mul (trimSuffix "Gi" $quantity | int) 1024 -}}
{{- else if hasSuffix "Mi" $quantity -}}
{{- trimSuffix "Mi" $quantity | int -}}
{{- else -}}
{{- fail (printf "memory limit %s: write it in Mi or Gi" $quantity) -}}
{{- end -}}
{{- end -}}
