#!/usr/bin/env bash
# The official Prefect image's entrypoint, as the runtime suite's image runs it: source ~/.bashrc,
# install EXTRA_PIP_PACKAGES into the image's environment, then exec the container's arguments.
set -e

if [ -f ~/.bashrc ]; then
  # shellcheck source=/dev/null
  . ~/.bashrc
fi

if [ -n "${EXTRA_PIP_PACKAGES:-}" ]; then
  echo "+pip install $EXTRA_PIP_PACKAGES"
  # shellcheck disable=SC2086 # a list of requirements, split on purpose
  pip install $EXTRA_PIP_PACKAGES
fi

exec "$@"
