{{/* Names and labels shared by the templates. */}}

{{- define "ecs-eni-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base name: the release name alone when it already contains the chart's name. */}}
{{- define "ecs-eni-controller.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The controller's objects carry the base name; the node agent's add -node-agent. */}}
{{- define "ecs-eni-controller.controllerName" -}}
{{- include "ecs-eni-controller.fullname" . }}
{{- end }}

{{- define "ecs-eni-controller.agentName" -}}
{{- printf "%s-node-agent" (include "ecs-eni-controller.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}

{{- define "ecs-eni-controller.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "ecs-eni-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ecs-eni-controller
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "controller"). */}}
{{- define "ecs-eni-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-eni-controller.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ecs-eni-controller.componentLabels" -}}
{{ include "ecs-eni-controller.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ecs-eni-controller.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "ecs-eni-controller.controllerServiceAccountName" -}}
{{- if .Values.controller.serviceAccount.create }}
{{- default (include "ecs-eni-controller.controllerName" .) .Values.controller.serviceAccount.name }}
{{- else }}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ecs-eni-controller.agentServiceAccountName" -}}
{{- if .Values.nodeAgent.serviceAccount.create }}
{{- default (include "ecs-eni-controller.agentName" .) .Values.nodeAgent.serviceAccount.name }}
{{- else }}
{{- required "nodeAgent.serviceAccount.name is required when nodeAgent.serviceAccount.create is false" .Values.nodeAgent.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ecs-eni-controller.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.controller.leaderElection.namespace }}
{{- end }}

{{- define "ecs-eni-controller.credentialsSecretName" -}}
{{- default (printf "%s-credentials" (include "ecs-eni-controller.fullname" .)) .Values.credentials.secret.name }}
{{- end }}

{{/* Where the projected RRSA token is mounted: the path ACK's pod-identity webhook uses. */}}
{{- define "ecs-eni-controller.rrsaTokenDir" -}}
/var/run/secrets/ack.alibabacloud.com/rrsa-tokens
{{- end }}
