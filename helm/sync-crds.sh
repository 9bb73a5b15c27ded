#!/bin/sh
# Copies the CRDs from crds/ (their one source) into the chart, which can only read files inside
# its own directory. test/integration/crd-files.test.ts fails when the copies differ.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/helm/ecs-eni-controller/crds"
mkdir -p "$dest"
rm -f "$dest"/*.yaml
cp "$root"/crds/*.yaml "$dest"/
echo "copied $(ls "$root"/crds/*.yaml | wc -l) CRD file(s) to ${dest#"$root"/}"
