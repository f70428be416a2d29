#!/usr/bin/env bash
# Submits `moe infer` to a Spark standalone cluster with GPUs, with a Spark 3.5 distribution's spark-submit and
# spark-moe's application jar (client mode: the driver runs here; executors fetch the jar from it).
#
#   examples/submit-standalone.sh spark://MASTER:7077 MODEL_DIR INPUT OUTPUT [moe infer options...]
#   e.g. examples/submit-standalone.sh spark://gpu-head:7077 /models/mixtral /data/docs.parquet /data/scores \
#          --kind score --placement one-per-gpu
#
# The model folder must be readable at the same path on every node (shared storage); INPUT and OUTPUT are any
# paths Spark reads and writes (hdfs://, s3a://, file: on shared storage).
# Environment:
#   SPARK_HOME       the Spark distribution (required)
#   MOE_JAR          the application jar (default: spark-moe/dist/target/spark-moe-*-all.jar)
#   MOE_CONF         the properties file (default: conf/spark-defaults-standalone-gpu.conf.template)
#   MOE_SUBMIT_OPTS  more spark-submit options, e.g. "--conf spark.cores.max=64"
#   MOE_DRY_RUN=1    print the spark-submit command instead of running it
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -lt 4 ]; then
  echo "Usage: $0 spark://MASTER:PORT MODEL_DIR INPUT OUTPUT [moe infer options...]" >&2
  exit 2
fi
master=$1 model=$2 input=$3 output=$4
shift 4
[ -n "${SPARK_HOME:-}" ] || { echo "submit-standalone: Cannot submit: SPARK_HOME is not set (expected: a Spark 3.5 distribution)" >&2; exit 1; }
jar="${MOE_JAR:-$(ls "$root"/spark-moe/dist/target/spark-moe-*-all.jar 2>/dev/null | head -n 1 || true)}"
[ -n "$jar" ] || { echo "submit-standalone: Cannot find spark-moe's application jar (build it: mvn package -DskipTests, or set MOE_JAR)" >&2; exit 1; }
conf="${MOE_CONF:-$root/conf/spark-defaults-standalone-gpu.conf.template}"

# shellcheck disable=SC2086
command=("$SPARK_HOME/bin/spark-submit"
  --master "$master" --deploy-mode client --name "moe infer $(basename "$output")"
  --properties-file "$conf"
  --driver-java-options "-Dlog4j2.configurationFile=$root/conf/log4j2.properties"
  ${MOE_SUBMIT_OPTS:-}
  --class dev.sparkmoe.spark.cli.MoeCli "$jar"
  infer --model "$model" --input "$input" --output "$output" "$@")
if [ "${MOE_DRY_RUN:-0}" = 1 ]; then
  printf '%q ' "${command[@]}"
  echo
  exit 0
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
exec "${command[@]}"
