#!/usr/bin/env bash
# Runs examples/java/MoeInferenceExample.java from source (java's single-file launcher) on local Spark, with
# spark-moe's application jar and Spark's jars on the classpath.
#
#   examples/java-app.sh MODEL_DIR INPUT(.parquet|.json) OUTPUT
#   e.g. after examples/quickstart.sh:
#   examples/java-app.sh work/quickstart/model work/quickstart/tokens.parquet work/embeddings.parquet
#
# Environment: MOE_MASTER (default: local[2]); MOE_JAR and MOE_SPARK_CLASSPATH as in standalone-cluster.sh;
# with a Spark distribution, SPARK_HOME (its jars/ are used).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 3 ] || { echo "Usage: $0 MODEL_DIR INPUT OUTPUT" >&2; exit 2; }

jar="${MOE_JAR:-$(ls "$root"/spark-moe/dist/target/spark-moe-*-all.jar 2>/dev/null | head -n 1 || true)}"
cp_file="${MOE_SPARK_CLASSPATH:-$root/spark-moe/dist/target/spark-classpath.txt}"
if [ -n "${SPARK_HOME:-}" ] && [ -z "${MOE_SPARK_CLASSPATH:-}" ]; then
  spark_cp="$SPARK_HOME/jars/*"
else
  if [ -z "$jar" ] || [ ! -f "$cp_file" ]; then
    echo "java-app: building spark-moe (mvn package, tests skipped)..." >&2
    (cd "$root" && mvn -B -ntp -q -DskipTests -Dexec.skip package -pl spark-moe/dist -am) >&2
    jar=$(ls "$root"/spark-moe/dist/target/spark-moe-*-all.jar | head -n 1)
  fi
  spark_cp=$(cat "$cp_file")
fi

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
opens=$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' "$root/pom.xml")
# shellcheck disable=SC2086
exec "$java" $opens -Xmx2g -Dspark.master="${MOE_MASTER:-local[2]}" -Dspark.ui.enabled=false \
  -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
  -cp "$jar:$spark_cp" "$root/examples/java/MoeInferenceExample.java" "$@"
