#!/bin/sh
# Renders deploy/ecs-eni-controller.yaml, the plain manifests for clusters without Helm, from the
# chart with its default values (test/integration/helm-chart.test.ts fails when it is stale).
# Usage: deploy/render.sh [OUTPUT]   (HELM=/path/to/helm if helm is not on PATH)
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
helm="${HELM:-helm}"
out="${1:-$root/deploy/ecs-eni-controller.yaml}"
namespace=ecs-eni-system

{
  cat <<HEADER
# ecs-eni-controller: plain manifests, rendered by deploy/render.sh from helm/ecs-eni-controller
# with its default values. Do not edit: change the chart and render again.
#
# Before applying, edit the controller Deployment's arguments:
#   --region=       the region of the cluster's ECS instances, e.g. cn-hangzhou
#   --cluster-id=   an id unique in the account and region (ENIs are tagged with it; the leak
#                   collector deletes only ENIs that carry it)
# and create the credentials Secret the controller reads:
#   kubectl -n $namespace create secret generic ecs-eni-controller-credentials \\
#     --from-literal=access-key-id=... --from-literal=access-key-secret=...
# The controller refuses to start until --region and --cluster-id are set.
---
# The node agent needs hostNetwork, NET_ADMIN and a hostPath mount: the namespace allows
# privileged pods.
apiVersion: v1
kind: Namespace
metadata:
  name: $namespace
  labels:
    pod-security.kubernetes.io/enforce: privileged
HEADER
  # The chart renders nothing that depends on the cluster's version; the flag only satisfies the
  # chart's kubeVersion with helm builds whose default is older.
  "$helm" template ecs-eni-controller "$root/helm/ecs-eni-controller" \
    --namespace "$namespace" --include-crds --kube-version 1.31.0
} > "$out"
