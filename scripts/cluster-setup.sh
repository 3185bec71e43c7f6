#!/usr/bin/env bash
# Builds the control planes the cluster suite (npm run test:cluster) starts: kube-apiserver,
# kube-controller-manager and etcd for each Kubernetes release pinned under tools/kube-<release>/
# (go.mod and go.sum), from the Go module proxy, into $CDK8S_PREFECT_KUBE (default
# ~/.cache/cdk8s-prefect/kube)/<release>/. A release whose pins have not changed is kept; Go's own
# build cache makes a rebuild after a small change quick. Arguments pick releases (1.37). Also
# installs what the tests run besides: openssl (the control plane's certificates), bubblewrap and
# python3 (the Dask cleanup script with a pod's token mount).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${CDK8S_PREFECT_KUBE:-$HOME/.cache/cdk8s-prefect/kube}
packages=(openssl bubblewrap python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

for dir in tools/kube-*/; do
  dir=${dir%/}
  if [ "$#" -gt 0 ] && [[ " $* " != *" ${dir#tools/kube-} "* ]]; then continue; fi
  # The exact release, as the module requires it (v1.37.2), and its staging modules' (v0.37.2).
  version=$(awk '$1 == "k8s.io/kubernetes" { print $2 } $2 == "k8s.io/kubernetes" { print $3 }' "$dir/go.mod" | head -n 1)
  release=${dir#tools/kube-}
  target="$out/$release"
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" "$dir"/etcd/*.go | sha256sum | cut -d' ' -f1)
  if [ -f "$target/.stamp" ] && [ "$(cat "$target/.stamp")" = "$stamp" ]; then
    echo "$target: up to date ($version)"
    continue
  fi
  echo "building Kubernetes $version into $target"
  # The version the binaries report (GET /version), which a build from the module proxy leaves
  # at v0.0.0 otherwise.
  minor=${version#v1.}
  minor=${minor%%.*}
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  mkdir -p "$target"
  (cd "$dir" && go build -ldflags "$ldflags" -o "$target/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager ./etcd)
  echo "$version" > "$target/.version"
  echo "$stamp" > "$target/.stamp"
done
