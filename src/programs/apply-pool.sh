#!/bin/sh
# Creates a work pool and its queues, or brings them in line with the set-up file given as the
# only argument. That file has one "key value" per line, the pool first, then each queue:
#   pool <name>               the work pool
#   type <type>               its type, for `prefect work-pool create`
#   template <path>           its base job template (absent: the pool keeps its own)
#   queue-update api|cli      how an existing queue's priority and limit are brought in line:
#                             `prefect api PATCH` (Prefect 3.4.23+), or the limit commands only
#   queue <name>              a queue of the pool, with, until the next queue:
#   queue-path <path>         its API path, URL-encoded (with queue-update api)
#   priority <n>              its priority (absent: Prefect's default at creation, kept after)
#   limit <n>                 its concurrency limit (absent: none)
# Every step is idempotent, so every pod of every rollout runs it. A failure (the API not up
# yet) fails the init container, which the kubelet retries.
set -eu

pool=
type=
template=
queue_update=cli
queue=
queue_path=
priority=
limit=
pool_applied=

apply_pool() {
  if [ -z "$pool" ] || [ -z "$type" ]; then
    echo "$file: a pool and its type come before the queues" >&2
    exit 2
  fi
  set -- --type "$type"
  if [ -n "$template" ]; then set -- "$@" --base-job-template "$template"; fi
  # Every pod of a first rollout creates at once, and all but one fail with "already exists":
  # a create that failed because the pool is there now carries on as an update. `work-pool
  # update` changes only the template, where `create --overwrite` would also unpause the pool
  # and reset its description and limit.
  if ! prefect work-pool inspect "$pool" >/dev/null 2>&1; then
    prefect work-pool create "$pool" "$@" || prefect work-pool inspect "$pool" >/dev/null
  fi
  if [ -n "$template" ]; then prefect work-pool update "$pool" --base-job-template "$template"; fi
  pool_applied=yes
}

update_queue() {
  if [ "$queue_update" = api ]; then
    body="\"concurrency_limit\":${limit:-null}"
    if [ -n "$priority" ]; then body="\"priority\":$priority,$body"; fi
    prefect api PATCH "$queue_path" --data "{$body}" >/dev/null
  elif [ -n "$limit" ]; then
    prefect work-queue set-concurrency-limit "$queue" "$limit" --pool "$pool"
  else
    prefect work-queue clear-concurrency-limit "$queue" --pool "$pool"
  fi
}

apply_queue() {
  set --
  if [ -n "$priority" ]; then set -- "$@" --priority "$priority"; fi
  if [ -n "$limit" ]; then set -- "$@" --limit "$limit"; fi
  # Before `prefect api`, a queue's priority can only be set when it is created.
  if prefect work-queue inspect "$queue" --pool "$pool" >/dev/null 2>&1; then
    update_queue
  elif ! prefect work-queue create "$queue" --pool "$pool" "$@"; then
    prefect work-queue inspect "$queue" --pool "$pool" >/dev/null
    update_queue
  fi
}

# Applies what has been read so far: the pool once, then the queue read last, if any.
flush() {
  if [ -z "$pool_applied" ]; then apply_pool; fi
  if [ -n "$queue" ]; then apply_queue; fi
  queue=
  queue_path=
  priority=
  limit=
}

if [ "$#" -ne 1 ]; then
  echo "usage: $0 SET-UP-FILE" >&2
  exit 2
fi
file=$1

# The whole file is read before anything is applied: a file this program cannot read changes nothing.
while IFS= read -r line || [ -n "$line" ]; do
  case ${line%% *} in
    pool | type | template | queue-update | queue | queue-path | priority | limit) ;;
    *) echo "$file: unknown key '${line%% *}'" >&2; exit 2 ;;
  esac
done <"$file"

while IFS= read -r line || [ -n "$line" ]; do
  value=${line#* }
  case ${line%% *} in
    pool) pool=$value ;;
    type) type=$value ;;
    template) template=$value ;;
    queue-update) queue_update=$value ;;
    queue) flush; queue=$value ;;
    queue-path) queue_path=$value ;;
    priority) priority=$value ;;
    limit) limit=$value ;;
  esac
done <"$file"
flush
