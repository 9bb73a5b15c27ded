#!/usr/bin/env bash
# Builds the control-plane binaries the tests use from Go modules (no release downloads):
# kube-apiserver and kubectl from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3,
# helm from helm.sh/helm/v3. Output: $CACHE/<name> for the pinned versions; idempotent.
#
# k8s.io/kubernetes requires its staging modules at v0.0.0 through ./staging replace
# directives that a dependent module cannot see, so `go install` fails; a wrapper module that
# replaces each staging module with its published v0.X.Y builds it (see
# ../shared/reference/controller-patterns.md). etcd is built in the same module through a
# three-line main that calls etcdmain.Main, at the version kubernetes itself requires.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
HELM_VERSION="${HELM_VERSION:-v3.19.0}"
CACHE="${1:?usage: build-binaries.sh CACHE_DIR}"
mkdir -p "$CACHE"

staging_version="v0.${K8S_VERSION#v1.}"
work="$CACHE/build"
mkdir -p "$work/etcd"

if [ ! -x "$CACHE/kube-apiserver" ] || [ ! -x "$CACHE/kubectl" ] || [ ! -x "$CACHE/etcd" ]; then
  cd "$work"
  # The staging module list comes from kubernetes' own go.mod, so a version bump needs no edit here.
  go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
  k8s_mod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod"
  {
    echo "module ecseni.local/controlplane"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging_version"'#p' "$k8s_mod"
    echo ")"
  } > go.mod
  cat > etcd/main.go <<'GO'
// Command etcd is the etcd server, built at the version kubernetes requires.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy
  # /version answers with the pinned release, as a release build would.
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$CACHE/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ./etcd
fi

if [ ! -x "$CACHE/helm" ]; then
  GOBIN="$CACHE" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

"$CACHE/kube-apiserver" --version
"$CACHE/etcd" --version | head -1
"$CACHE/helm" version --short
