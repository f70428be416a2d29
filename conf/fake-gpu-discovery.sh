#!/usr/bin/env bash
# Fake GPU discovery for tests and demos: prints the resource JSON Spark expects from a discovery script,
#   {"name":"gpu","addresses":["N"]}
# with one address per call, distinct for every call on this machine until the counter wraps.
#
# Use it where a Spark worker or executor discovers GPUs and none exist, e.g.
#   spark.worker.resource.gpu.discoveryScript=conf/fake-gpu-discovery.sh      (standalone, local-cluster)
#   spark.executor.resource.gpu.discoveryScript=conf/fake-gpu-discovery.sh
#
# Environment:
#   MOE_FAKE_GPU_DIR    folder of the shared counter (default: ${TMPDIR:-/tmp}/moe-fake-gpus-$USER)
#   MOE_FAKE_GPU_COUNT  addresses cycle through 0..COUNT-1, as on a machine with COUNT GPUs (default: 8)
#
# The counter is incremented under a lock (flock where it exists, else an atomic mkdir), so executors that
# start at the same time still get distinct addresses.
set -euo pipefail

dir="${MOE_FAKE_GPU_DIR:-${TMPDIR:-/tmp}/moe-fake-gpus-${USER:-$(id -u)}}"
count="${MOE_FAKE_GPU_COUNT:-8}"
counter="$dir/next"
lock="$dir/lock"

fail() {
  echo "fake-gpu-discovery: $*" >&2
  exit 1
}

case "$count" in
  '' | *[!0-9]* | 0) fail "Invalid MOE_FAKE_GPU_COUNT: $count (expected: a positive integer)" ;;
esac
mkdir -p "$dir" || fail "Cannot create counter folder $dir"

# Reads the counter, writes it back incremented and prints the value read. Call it with the lock held.
take_next() {
  local n
  n="$(cat "$counter" 2>/dev/null || true)"
  case "$n" in '' | *[!0-9]*) n=0 ;; esac
  echo $((n + 1)) >"$counter.tmp"
  mv "$counter.tmp" "$counter"
  echo "$n"
}

if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock.flock"
  flock -w 10 9 || fail "Cannot lock $lock.flock: held for more than 10 s"
  n="$(take_next)"
else
  for _ in $(seq 1 1000); do
    mkdir "$lock" 2>/dev/null && break
    sleep 0.01
  done
  [ -d "$lock" ] || fail "Cannot lock $lock: held for more than 10 s (remove it if no discovery is running)"
  trap 'rmdir "$lock" 2>/dev/null || true' EXIT
  n="$(take_next)"
fi

printf '{"name":"gpu","addresses":["%d"]}\n' $((n % count))
