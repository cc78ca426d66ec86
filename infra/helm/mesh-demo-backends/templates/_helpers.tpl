{{/* Names and labels shared by the backends. A backend's objects are named after it. */}}

{{- define "demo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: mesh-demo-backends
{{ include "demo.selectorLabels" . }}
{{- end -}}

{{- define "demo.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The pod-level settings every backend shares; .user is the image's own unprivileged user. */}}
{{- define "demo.podSpec" -}}
# The backends call no Kubernetes API.
automountServiceAccountToken: false
# No <SERVICE>_PORT variables: the Kafka image would read KAFKA_PORT... as broker settings.
enableServiceLinks: false
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .user }}
  runAsGroup: {{ .user }}
  # The emptyDir volumes become writable for the image's user.
  fsGroup: {{ .user }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* A single-replica Deployment's header; nothing persists, so an update replaces the pod. */}}
{{- define "demo.deploymentSpec" -}}
replicas: 1
strategy:
  type: Recreate
selector:
  matchLabels:
    {{- include "demo.selectorLabels" . | nindent 4 }}
{{- end -}}

{{/* A ClusterIP Service named after the backend; .ports: name -> port (the target is the name). */}}
{{- define "demo.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "demo.labels" . | nindent 4 }}
spec:
  selector:
    {{- include "demo.selectorLabels" . | nindent 4 }}
  ports:
    {{- range $portName, $port := .ports }}
    - { name: {{ $portName }}, port: {{ $port }}, targetPort: {{ $portName }} }
    {{- end }}
{{- end -}}
