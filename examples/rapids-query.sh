#!/usr/bin/env bash
# Runs examples/rapids-query.sql with spark-sql, the RAPIDS Accelerator and spark-moe's application jar, with
# conf/spark-defaults-rapids.conf.template (Spark 3.5.6, RAPIDS 25.04.0 through its 3.5.5 shim).
#
#   examples/rapids-query.sh MODEL_DIR INPUT OUTPUT
#
# Environment:
#   SPARK_HOME       a Spark 3.5.6 distribution (required)
#   MOE_RAPIDS_JAR   the RAPIDS jar (default: the one spark-moe/rapids/fetch-rapids-jar.sh installed)
#   MOE_JAR          the application jar (default: spark-moe/dist/target/spark-moe-*-all.jar)
#   MOE_MASTER       the master (default: local[4]; a GPU cluster: spark://MASTER:7077)
#   MOE_RAPIDS_MODE  explainOnly where the driver machine has no GPU (the default then): RAPIDS runs the query on
#                    the CPU and logs, for every query, what it would run on the GPU; else executeongpu
#   MOE_DRY_RUN=1    print the spark-sql command instead of running it
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -ne 3 ]; then
  echo "Usage: $0 MODEL_DIR INPUT OUTPUT" >&2
  exit 2
fi
model=$1 input=$2 output=$3
[ -n "${SPARK_HOME:-}" ] || { echo "rapids-query: Cannot run: SPARK_HOME is not set (expected: a Spark 3.5.6 distribution)" >&2; exit 1; }
version=$(sed -n 's:.*<rapids.version>\(.*\)</rapids.version>.*:\1:p' "$root/pom.xml" | head -n 1)
rapids="${MOE_RAPIDS_JAR:-$HOME/.m2/repository/dev/sparkmoe/thirdparty/rapids-4-spark_2.12/$version/rapids-4-spark_2.12-$version.jar}"
[ -f "$rapids" ] || { echo "rapids-query: Cannot find the RAPIDS jar $rapids (run spark-moe/rapids/fetch-rapids-jar.sh, or set MOE_RAPIDS_JAR)" >&2; exit 1; }
jar="${MOE_JAR:-$(ls "$root"/spark-moe/dist/target/spark-moe-*-all.jar 2>/dev/null | head -n 1 || true)}"
[ -n "$jar" ] || { echo "rapids-query: Cannot find spark-moe's application jar (build it: mvn package -DskipTests, or set MOE_JAR)" >&2; exit 1; }
if [ -z "${MOE_RAPIDS_MODE:-}" ]; then
  if nvidia-smi -L >/dev/null 2>&1; then MOE_RAPIDS_MODE=executeongpu; else MOE_RAPIDS_MODE=explainOnly; fi
fi

no_gpu=()
if [ "$MOE_RAPIDS_MODE" = explainOnly ]; then
  # No GPU: no GPU resources to ask for, and RAPIDS' shuffle manager needs its GPU plugin running.
  no_gpu=(--conf spark.rapids.skipGpuArchitectureCheck=true --conf spark.executor.resource.gpu.amount=0
    --conf spark.task.resource.gpu.amount=0 --conf spark.shuffle.manager=sort)
fi
command=("$SPARK_HOME/bin/spark-sql" --master "${MOE_MASTER:-local[4]}"
  --properties-file "$root/conf/spark-defaults-rapids.conf.template"
  --jars "$rapids,$jar"
  --conf "spark.rapids.sql.mode=$MOE_RAPIDS_MODE"
  --conf "spark.rapids.sql.explain=NOT_ON_GPU"
  ${no_gpu[@]+"${no_gpu[@]}"}
  -d "model=$model" -d "input=$input" -d "output=$output"
  -f "$root/examples/rapids-query.sql")
if [ "${MOE_DRY_RUN:-0}" = 1 ]; then
  printf '%q ' "${command[@]}"
  echo
  exit 0
fi
exec "${command[@]}"
