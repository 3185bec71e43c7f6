#!/usr/bin/env bash
# Installs what the runtime suite (npm run test:runtime) runs: Debian's bubblewrap, tini, iproute2,
# PostgreSQL, Redis and git, and, under $CDK8S_PREFECT_RUNTIME (default /opt/cdk8s-prefect-runtime),
# a Python environment per Prefect release from the pinned requirements, and a local package index
# for the pipPackages scenario. Needs root. An environment whose requirements have not changed is
# kept.
set -euo pipefail
cd "$(dirname "$0")/.."

runtime=${CDK8S_PREFECT_RUNTIME:-/opt/cdk8s-prefect-runtime}
requirements=test/runtime/requirements
packages=(bubblewrap tini iproute2 openssl git postgresql redis-server python3-venv shellcheck)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

mkdir -p "$runtime"

# fresh DIR REQUIREMENTS: whether DIR was made from these requirements (its stamp is their hash).
fresh() {
  [ -f "$1/.requirements" ] && [ "$(cat "$1/.requirements")" = "$(sha256sum "$2" | cut -d' ' -f1)" ]
}

stamp() {
  sha256sum "$2" | cut -d' ' -f1 > "$1/.requirements"
}

# environment NAME REQUIREMENTS: a venv of Debian's Python 3.11 with exactly these packages.
environment() {
  local dir="$runtime/$1"
  if fresh "$dir" "$2"; then
    echo "$dir: up to date"
    return
  fi
  rm -rf "$dir"
  /usr/bin/python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$2"
  "$dir/bin/pip" check
  stamp "$dir" "$2"
  echo "$dir: installed"
}

# The package index of the pipPackages scenario: the files themselves, for pip's --find-links.
index() {
  local dir="$runtime/package-index" list="$requirements/package-index.txt"
  if fresh "$dir" "$list"; then
    echo "$dir: up to date"
    return
  fi
  rm -rf "$dir"
  "$runtime/prefect-2/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$dir" -r "$list"
  stamp "$dir" "$list"
  echo "$dir: downloaded"
}

# The index is fetched with Prefect 2's pip (any pip does), beside the larger Prefect 3 install.
{ environment prefect-2 "$requirements/prefect-2.txt" && index; } &
two=$!
environment prefect-3 "$requirements/prefect-3.txt"
# ruff and pytest, for the Python programs the pods run (src/programs) and their tests.
environment programs "$requirements/programs.txt"
wait "$two"
