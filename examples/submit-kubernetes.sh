#!/usr/bin/env bash
# Submits `moe infer` to Kubernetes with GPUs (cluster mode: the driver runs in a pod), with a Spark 3.5
# distribution's spark-submit and conf/spark-defaults-k8s-gpu.conf.template.
#
#   examples/submit-kubernetes.sh k8s://https://API-SERVER:6443 MODEL_DIR INPUT OUTPUT [moe infer options...]
#   e.g. examples/submit-kubernetes.sh k8s://https://10.0.0.1:6443 /models/mixtral s3a://corpus/docs s3a://out/scores \
#          --kind embedding --activation-dtype f16
#
# The image (spark.kubernetes.container.image in the template) carries spark-moe's application jar at
# /opt/spark-moe/spark-moe-all.jar and conf/ under /opt/spark-moe/conf; the model is on a volume every pod mounts
# at MODEL_DIR (the template mounts the claim moe-models at /models).
# Environment:
#   SPARK_HOME       the Spark distribution (required)
#   MOE_IMAGE        the container image (default: the template's spark.kubernetes.container.image)
#   MOE_JAR          the jar's URI (default: local:///opt/spark-moe/spark-moe-all.jar, inside the image)
#   MOE_CONF         the properties file (default: conf/spark-defaults-k8s-gpu.conf.template)
#   MOE_SUBMIT_OPTS  more spark-submit options, e.g. "--conf spark.executor.instances=64"
#   MOE_DRY_RUN=1    print the spark-submit command instead of running it
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -lt 4 ]; then
  echo "Usage: $0 k8s://https://API-SERVER:PORT MODEL_DIR INPUT OUTPUT [moe infer options...]" >&2
  exit 2
fi
master=$1 model=$2 input=$3 output=$4
shift 4
case "$master" in
  k8s://*) ;;
  *) echo "submit-kubernetes: Invalid master: $master (expected: k8s://https://<api-server>:<port>)" >&2; exit 2 ;;
esac
[ -n "${SPARK_HOME:-}" ] || { echo "submit-kubernetes: Cannot submit: SPARK_HOME is not set (expected: a Spark 3.5 distribution)" >&2; exit 1; }
conf="${MOE_CONF:-$root/conf/spark-defaults-k8s-gpu.conf.template}"
jar="${MOE_JAR:-local:///opt/spark-moe/spark-moe-all.jar}"
image_opts=()
[ -z "${MOE_IMAGE:-}" ] || image_opts=(--conf "spark.kubernetes.container.image=$MOE_IMAGE")

# shellcheck disable=SC2086
command=("$SPARK_HOME/bin/spark-submit"
  --master "$master" --deploy-mode cluster --name "moe-infer"
  --properties-file "$conf"
  "${image_opts[@]}"
  ${MOE_SUBMIT_OPTS:-}
  --class dev.sparkmoe.spark.cli.MoeCli "$jar"
  infer --model "$model" --input "$input" --output "$output" "$@")
if [ "${MOE_DRY_RUN:-0}" = 1 ]; then
  printf '%q ' "${command[@]}"
  echo
  exit 0
fi
exec "${command[@]}"
