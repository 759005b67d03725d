{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "vigia.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: release-chart unless the release already contains the chart name. */}}
{{- define "vigia.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vigia.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vigia.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigia.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vigia.labels" -}}
helm.sh/chart: {{ include "vigia.chart" . }}
{{ include "vigia.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vigia
{{- end -}}

{{- define "vigia.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vigia.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vigia.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "vigia.configMapName" -}}
{{- .Values.existingConfigMap | default (include "vigia.fullname" .) -}}
{{- end -}}

{{/*
The vigia.yaml the chart ships: the user's config (or files/default-config.yaml) with
global.state_dir pointing at the state volume, so alert state and the event buffer land where the
chart mounts storage.
*/}}
{{- define "vigia.configYAML" -}}
{{- $cfg := deepCopy (.Values.config | default (.Files.Get "files/default-config.yaml" | fromYaml)) -}}
{{- $global := get $cfg "global" | default dict -}}
{{- $_ := set $global "state_dir" .Values.stateDir -}}
{{- $_ := set $cfg "global" $global -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The StatefulSet runs shards only when there is more than one. */}}
{{- define "vigia.sharded" -}}
{{- if gt (int .Values.shards) 1 -}}true{{- end -}}
{{- end -}}

{{/* The pod template shared by the Deployment and the StatefulSet. */}}
{{- define "vigia.podTemplate" -}}
metadata:
  labels:
    {{- include "vigia.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- if not .Values.existingConfigMap }}
    # A changed config rolls the pods; vigia also reloads in place on SIGHUP or POST /-/reload.
    checksum/config: {{ include "vigia.configYAML" . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "vigia.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  containers:
    - name: vigia
      image: {{ include "vigia.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: ["/vigia"]
      args:
        - run
        - --config=/etc/vigia/vigia.yaml
        - --listen=:{{ .Values.containerPort }}
        - --log.format={{ .Values.log.format }}
        - --log.level={{ .Values.log.level }}
        - --shutdown-timeout={{ .Values.shutdownTimeout }}
        {{- if include "vigia.sharded" . }}
        {{- if eq .Values.sharding.ordinalFrom "hostname" }}
        - --shard=auto/{{ int .Values.shards }}
        {{- else }}
        - --shard=$(VIGIA_SHARD_INDEX)/{{ int .Values.shards }}
        {{- end }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- $secret := .Values.secrets }}
      {{- $memLimit := (.Values.resources.limits | default dict).memory }}
      {{- if or .Values.extraEnv $secret.env (and (include "vigia.sharded" .) (ne .Values.sharding.ordinalFrom "hostname")) $memLimit }}
      env:
        {{- if $memLimit }}
        # The Go heap's soft limit follows the container's: the collector works harder near it
        # instead of the pod being OOM-killed.
        - name: GOMEMLIMIT
          valueFrom:
            resourceFieldRef:
              resource: limits.memory
        {{- end }}
        {{- if and (include "vigia.sharded" .) (ne .Values.sharding.ordinalFrom "hostname") }}
        - name: VIGIA_SHARD_INDEX
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        {{- end }}
        {{- range $var, $key := $secret.env }}
        - name: {{ $var }}
          valueFrom:
            secretKeyRef:
              name: {{ required "secrets.existingSecret is required when secrets.env maps variables" $secret.existingSecret }}
              key: {{ $key }}
              optional: {{ $secret.optional }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http-metrics
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      {{- with .Values.livenessProbe }}
      livenessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.readinessProbe }}
      readinessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.startupProbe }}
      startupProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/vigia
          readOnly: true
        - name: state
          mountPath: {{ .Values.stateDir }}
        - name: tmp
          mountPath: /tmp
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "vigia.configMapName" . }}
        items:
          - key: vigia.yaml
            path: vigia.yaml
    - name: tmp
      emptyDir:
        sizeLimit: 256Mi
    {{- if not (and .Values.persistence.enabled (include "vigia.sharded" .)) }}
    - name: state
      {{- if .Values.persistence.enabled }}
      persistentVolumeClaim:
        claimName: {{ .Values.persistence.existingClaim | default (include "vigia.fullname" .) }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* storageClassName: empty leaves the cluster default, "-" asks for none. */}}
{{- define "vigia.storageClass" -}}
{{- with .Values.persistence.storageClass -}}
{{- if eq . "-" -}}
storageClassName: ""
{{- else -}}
storageClassName: {{ . | quote }}
{{- end -}}
{{- end -}}
{{- end -}}
