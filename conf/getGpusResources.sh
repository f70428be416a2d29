#!/usr/bin/env bash
# GPU discovery for Spark: prints the resource JSON Spark expects from a discovery script, listing the index of
# every GPU that nvidia-smi sees on this machine, e.g.
#   {"name":"gpu","addresses":["0","1","2","3"]}
#
#   spark.executor.resource.gpu.discoveryScript=conf/getGpusResources.sh
#   spark.worker.resource.gpu.discoveryScript=conf/getGpusResources.sh          (standalone workers)
#
# Spark then hands each executor the number of addresses it asks for (spark.executor.resource.gpu.amount).
# Fails, with the reason on stderr, when nvidia-smi is missing or lists no GPU: Spark reports the script's
# failure, which is clearer than an executor that waits forever for a GPU.
set -euo pipefail

fail() {
  echo "getGpusResources: $*" >&2
  exit 1
}

command -v nvidia-smi >/dev/null 2>&1 ||
  fail "Cannot discover GPUs: nvidia-smi not found on PATH (install the NVIDIA driver, or use conf/fake-gpu-discovery.sh without GPUs)"
indexes="$(nvidia-smi --query-gpu=index --format=csv,noheader)" ||
  fail "Cannot discover GPUs: nvidia-smi --query-gpu=index failed"
addresses="$(printf '%s\n' "$indexes" | awk 'NF { gsub(/ /, ""); printf "%s\"%s\"", sep, $0; sep = "," }')"
[ -n "$addresses" ] || fail "Cannot discover GPUs: nvidia-smi lists no GPU"
printf '{"name":"gpu","addresses":[%s]}\n' "$addresses"
