#!/usr/bin/env bash
# The one-shot GPU check of the CUDA backend.
#
#   native/gpu-check.sh prepare [--use-built]
#       Here (no GPU needed): builds native/.gpu-bundle/, a self-contained bundle (< 55 MB) with the kernels'
#       fatbin, the core and cuda jars and the runtime dependencies they need (JCuda with only its driver-API
#       native library; no Spark, Arrow or Jackson), the cuda module's tests and GpuCheck, the JUnit console
#       launcher, the PyTorch yardstick, this script, and a Java runtime made with jlink. Then runs the bundle's
#       CPU tests with that runtime as a smoke test. --use-built takes the jars of an earlier `mvn package` or
#       `mvn verify` (CI); otherwise it builds the cuda module and what it needs (tests skipped).
#   native/gpu-check.sh run [OUT_DIR] [--quick]
#       On the GPU machine (driver, nvcc, python3 with torch; a JDK is not needed): the `gpu` tests (every kernel
#       and the expert FFN against the CPU), then GpuCheck (timings, sampled-row checks, pipelined vs synchronous),
#       then the torch.matmul yardstick, which prints the summary and the table last. Writes log.txt,
#       junit/TEST-junit-jupiter.xml, java-results.json, torch-results.json, results.md and calibration.csv (the
#       expert FFN times for `moe plan --calibration`) into OUT_DIR
#       (default: $OUT if set, else native/.gpu-results). Exits non-zero if a test or check failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$here/BUNDLE" ]; then
  bundle=$here # running the copy inside a bundle
  root=$(cd "$here/../.." && pwd)
else
  root=$(cd "$here/.." && pwd)
  bundle=${MOE_GPU_BUNDLE:-$root/native/.gpu-bundle}
fi
module=$root/spark-moe/cuda
max_bundle_bytes=$((55 * 1024 * 1024))
# What the bundle's programs use: java.logging for JUnit, java.xml for its reports, jdk.zipfs for its class path
# scan, jdk.unsupported for JCuda's and netlib's Unsafe, jdk.incubator.vector for netlib's vectorized BLAS (the
# CPU reference, where the GPU machine has no OpenBLAS).
jre_modules=java.base,java.logging,java.xml,jdk.zipfs,jdk.unsupported,jdk.incubator.vector
# The bundle's jars, by name: what the cuda module runs with, and what its tests add.
lib_jars=('spark-moe-core-*.jar' 'jcuda-[0-9]*.jar' 'blas-*.jar' 'slf4j-api-*.jar')
test_lib_jars=('junit-platform-console-standalone-*.jar' 'assertj-core-*.jar' 'slf4j-simple-*.jar')

die() { echo "gpu-check: $*" >&2; exit 1; }

classpath() {
  local cp=""
  for jar in "$bundle"/lib/*.jar "$bundle"/test-lib/*.jar; do
    case "$jar" in *junit-platform-console-standalone*) continue ;; esac
    cp="$cp${cp:+:}$jar"
  done
  echo "$cp"
}

launcher() { ls "$bundle"/test-lib/junit-platform-console-standalone-*.jar; }

prepare() {
  local start use_built=0
  start=$(date +%s)
  [ "${1:-}" = "--use-built" ] && use_built=1
  if [ $use_built = 0 ]; then
    echo "gpu-check: building the cuda module (mvn package, tests skipped)"
    (cd "$root" && mvn -B -ntp -q -Dexec.skip -DskipTests -pl spark-moe/cuda -am package)
  fi
  local jar tests fatbin=$module/target/native/spark-moe-kernels.fatbin
  jar=$(ls "$module"/target/spark-moe-cuda-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -n 1) ||
    die "no spark-moe-cuda jar in $module/target: run mvn package first, or drop --use-built"
  tests=$(ls "$module"/target/spark-moe-cuda-*-tests.jar 2>/dev/null | head -n 1) ||
    die "no spark-moe-cuda tests jar in $module/target"
  [ -f "$fatbin" ] || die "no kernels: $fatbin is missing (the build needs nvcc on the PATH)"

  rm -rf "$bundle"
  mkdir -p "$bundle/lib" "$bundle/test-lib"
  local from=$module/target/gpu-bundle pattern
  for pattern in "${lib_jars[@]}"; do
    cp "$from"/lib/$pattern "$bundle/lib/" || die "no $pattern in $from/lib: run mvn package first"
  done
  for pattern in "${test_lib_jars[@]}"; do
    cp "$from"/test-lib/$pattern "$bundle/test-lib/" || die "no $pattern in $from/test-lib"
  done
  cp "$jar" "$bundle/lib/"
  cp "$tests" "$bundle/test-lib/"
  driver_only_natives "$bundle/lib"
  cp "$fatbin" "$module/target/nvcc.log" "$here/check/yardstick.py" "$here/gpu-check.sh" "$bundle/"
  echo "spark-moe GPU bundle: run ./gpu-check.sh run OUT_DIR from this folder" >"$bundle/BUNDLE"

  echo "gpu-check: making the Java runtime (jlink: $jre_modules)"
  "${JAVA_HOME:+$JAVA_HOME/bin/}jlink" --add-modules "$jre_modules" --strip-debug --no-man-pages \
    --no-header-files --compress=2 --output "$bundle/jre"
  describe >"$bundle/MANIFEST.txt"

  echo "gpu-check: smoke test of the bundle (its CPU tests, on its own runtime)"
  "$bundle/jre/bin/java" -jar "$(launcher)" execute --disable-banner --disable-ansi-colors --details=summary \
    --include-engine junit-jupiter \
    --class-path "$(classpath)" --select-package dev.sparkmoe.cuda --exclude-tag gpu \
    >"$bundle/smoke-test.log" 2>&1 || { cat "$bundle/smoke-test.log"; die "the bundle's smoke test failed"; }
  echo "gpu-check: the bundle's smoke test ran $(sed -n 's/^\[ *\([0-9]*\) tests successful.*/\1/p' \
    "$bundle/smoke-test.log") CPU tests on its own runtime, all successful"

  local size
  size=$(du -sb "$bundle" | cut -f1)
  [ "$size" -le "$max_bundle_bytes" ] || die "the bundle is $((size >> 20)) MB, over the 55 MB limit"
  echo "gpu-check: bundle ready: $bundle, $((size >> 20)) MB (runtime $(($(du -sb "$bundle/jre" | cut -f1) >> 20))" \
    "MB), in $(($(date +%s) - start)) s. On the GPU machine: native/gpu-check.sh run"
}

# JCuda's natives jar also holds the runtime-API, NVRTC and PTX-compiler libraries (26 MB); the driver API's
# library, which needs nothing but libcuda.so.1, is all the backend loads.
driver_only_natives() {
  local natives tmp
  natives=$(ls "$module"/target/gpu-bundle/lib/jcuda-natives-*.jar)
  tmp=$(mktemp -d)
  local jar="${JAVA_HOME:+$JAVA_HOME/bin/}jar" driver
  driver=$("$jar" --list --file "$natives" | grep '^lib/libJCudaDriver-') || die "no driver library in $natives"
  (cd "$tmp" && "$jar" --extract --file "$natives" "$driver")
  "$jar" --create --file "$1/$(basename "$natives" .jar)-driver-only.jar" -C "$tmp" lib
  rm -rf "$tmp"
}

describe() {
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "jdk: $("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -n 1)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -n 1 || echo none)"
  echo "jars: $(cd "$bundle" && ls lib test-lib | grep jar | tr '\n' ' ')"
}

run() {
  local out="" quick=""
  for arg in "$@"; do
    case "$arg" in
      --quick) quick=--quick ;;
      *) out=$arg ;;
    esac
  done
  out=${out:-${OUT:-$root/native/.gpu-results}}
  [ -d "$bundle/lib" ] || die "no bundle at $bundle: run native/gpu-check.sh prepare first (and carry it)"
  mkdir -p "$out"
  local java=$bundle/jre/bin/java
  if ! "$java" -version >/dev/null 2>&1; then
    echo "gpu-check: the bundle's runtime does not start here; using java on the PATH"
    java=java
  fi
  exec > >(tee "$out/log.txt") 2>&1
  echo "gpu-check: $(cat "$bundle/MANIFEST.txt" | tr '\n' ';')"
  echo "gpu-check: GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -n 1)"
  echo "gpu-check: nvcc here: $(nvcc --version 2>/dev/null | tail -n 1 || echo none)"
  local status=0
  # netlib's vectorized BLAS (the CPU reference, where there is no OpenBLAS) needs the incubator module resolved.
  local jvm=(-XX:+UseParallelGC --add-modules jdk.incubator.vector)
  echo "gpu-check: [1/3] gpu tests (every kernel and the expert FFN against the CPU)"
  timeout 170 "$java" "${jvm[@]}" -Xmx8g -Dmoe.gpu.required=true -jar "$(launcher)" execute \
    --disable-banner --disable-ansi-colors --include-engine junit-jupiter --details=tree \
    --class-path "$(classpath)" --select-package dev.sparkmoe.cuda --reports-dir "$out/junit" || status=1
  echo "gpu-check: [2/3] GpuCheck (timings and sampled-row checks)"
  timeout 220 "$java" "${jvm[@]}" -Xmx32g -cp "$(classpath)" dev.sparkmoe.cuda.GpuCheck "$out" $quick ||
    status=1
  echo "gpu-check: [3/3] torch.matmul yardstick and report"
  timeout 90 python3 "$bundle/yardstick.py" "$out" || status=1
  return $status
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: native/gpu-check.sh prepare [--use-built] | run [OUT_DIR] [--quick]" >&2; exit 2 ;;
esac
