#!/usr/bin/env bash
# Compiles the spark-moe CUDA kernels into one fatbin: sm_80 and sm_90 machine code plus compute_90 PTX (which
# the driver compiles for newer GPUs). Called by the cuda module's build (exec-maven-plugin, generate-resources).
#
# Usage: native/build.sh OUT_DIR
#   Writes OUT_DIR/spark-moe-kernels.fatbin and, beside OUT_DIR, nvcc.log (ptxas register and spill report).
#   Without nvcc on the PATH it writes OUT_DIR/spark-moe-kernels.skipped instead, says so, and succeeds: the
#   project builds and tests without CUDA, and the cuda backend then reports that its kernels are missing.
#   Skips the compile when the fatbin is newer than every source. NVCC overrides the compiler.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: native/build.sh OUT_DIR}
nvcc=${NVCC:-nvcc}
fatbin="$out/spark-moe-kernels.fatbin"
skipped="$out/spark-moe-kernels.skipped"
log="$(dirname "$out")/nvcc.log"
mkdir -p "$out"

if ! command -v "$nvcc" >/dev/null 2>&1; then
  rm -f "$fatbin"
  echo "nvcc was not on the PATH when this jar was built" >"$skipped"
  echo "native: nvcc not on the PATH: skipping the CUDA kernels (the cuda backend will report them missing)"
  exit 0
fi
rm -f "$skipped"

if [ -f "$fatbin" ] && [ -z "$(find "$here/src" "$here/build.sh" -newer "$fatbin" -print -quit)" ]; then
  echo "native: $(basename "$fatbin") is up to date"
  exit 0
fi

start=$(date +%s)
# --no-compress keeps the ELF and PTX readable, so tests can list the kernels without cuobjdump.
"$nvcc" -fatbin --no-compress -std=c++17 -O3 -Xptxas -v \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$fatbin.tmp" "$here/src/moe_kernels.cu" >"$log" 2>&1 || { cat "$log"; rm -f "$fatbin.tmp"; exit 1; }
mv "$fatbin.tmp" "$fatbin"
spills=$(grep -c -E '[1-9][0-9]* bytes spill (stores|loads)' "$log" || true)
echo "native: built $(basename "$fatbin") ($(stat -c %s "$fatbin") bytes, sm_80 sm_90 compute_90) with" \
  "$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/CUDA \1/p') in $(($(date +%s) - start)) s;" \
  "kernels with spills: $spills (ptxas report: $log)"
