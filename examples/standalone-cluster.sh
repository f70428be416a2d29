#!/usr/bin/env bash
# A real Spark standalone cluster on this machine, from the Maven jars (no Spark distribution needed): starts a
# master and two workers (one core, one GPU each: the real ones where nvidia-smi lists two, else fake GPUs),
# submits spark-moe's application jar with SparkSubmit, as spark-submit does, to run `moe infer` on a generated
# tiny model, checks the output, and stops the cluster.
#
#   examples/standalone-cluster.sh                  # builds what is missing first (mvn package, tests skipped)
#
# Environment:
#   MOE_WORK             work folder, replaced on each run (default: work/standalone)
#   MOE_JAR              the application jar (default: spark-moe/dist/target/spark-moe-*-all.jar)
#   MOE_SPARK_CLASSPATH  a file with Spark's jars, ':'-separated (default: spark-moe/dist/target/spark-classpath.txt);
#                        with a Spark distribution instead, set SPARK_HOME and leave this unset
#   MOE_ROWS             token rows (default: 48)
#   MOE_TIMEOUT          seconds to wait for the cluster and the job (default: 120)
#
# What it shows a Spark user: the conf of conf/spark-defaults-standalone-gpu.conf.template (GPU per executor, task
# GPU profile, locality wait, waiting for all executors), and that the application jar carries spark-moe and its
# libraries while Spark, Arrow, Jackson, netlib and the rest come from the cluster's own jars.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work="${MOE_WORK:-$root/work/standalone}"
rows="${MOE_ROWS:-48}"
timeout="${MOE_TIMEOUT:-120}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
pids=()

log() { echo "standalone: $*" >&2; }
fail() {
  log "$*"
  exit 1
}

stop_cluster() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_cluster EXIT

# The application jar and Spark's jars, building them when missing.
jar="${MOE_JAR:-$(ls "$root"/spark-moe/dist/target/spark-moe-*-all.jar 2>/dev/null | head -n 1 || true)}"
cp_file="${MOE_SPARK_CLASSPATH:-$root/spark-moe/dist/target/spark-classpath.txt}"
if [ -z "$jar" ] || { [ -z "${SPARK_HOME:-}" ] && [ ! -f "$cp_file" ]; }; then
  log "building spark-moe (mvn package, tests skipped)..."
  (cd "$root" && mvn -B -ntp -q -DskipTests -Dexec.skip package -pl spark-moe/dist -am) >&2
  jar=$(ls "$root"/spark-moe/dist/target/spark-moe-*-all.jar | head -n 1)
fi
[ -f "$jar" ] || fail "Cannot find the application jar $jar (build it with: mvn package -DskipTests)"

rm -rf "$work"
mkdir -p "$work"

# A Spark home: a distribution's, or one whose jars/ links the Maven jars. Workers start executors with
# $SPARK_HOME/jars/* on the classpath, as in a real distribution.
if [ -n "${SPARK_HOME:-}" ] && [ -z "${MOE_SPARK_CLASSPATH:-}" ]; then
  spark_home="$SPARK_HOME"
else
  spark_home="$work/spark-home"
  mkdir -p "$spark_home/jars"
  tr ':' '\n' <"$cp_file" | while read -r dep || [ -n "$dep" ]; do
    [ -z "$dep" ] || ln -sf "$dep" "$spark_home/jars/"
  done
fi
export SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
spark_cp="$spark_home/jars/*"
# The JVM flags Spark's launcher adds on Java 17.
opens=$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' "$root/pom.xml")
# Master, workers and the generators are short-lived and light: a small heap, the C1 compiler, the serial GC.
light="-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

# GPUs: the real discovery script where nvidia-smi lists two GPUs, else fake ones (one address per call).
if command -v nvidia-smi >/dev/null 2>&1 && [ "$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')" -ge 2 ]; then
  gpus="$root/conf/getGpusResources.sh"
  worker_gpus=$(nvidia-smi -L | grep -c '^GPU')
else
  gpus="$root/conf/fake-gpu-discovery.sh"
  worker_gpus=1
  export MOE_FAKE_GPU_DIR="$work/fake-gpus" MOE_FAKE_GPU_COUNT=2
fi
cat >"$work/worker.conf" <<CONF
spark.worker.resource.gpu.amount $worker_gpus
spark.worker.resource.gpu.discoveryScript $gpus
CONF

# Waits until $1 holds $2 lines matching $3, or fails naming the log when a cluster process died or time ran out.
await_log() {
  local file=$1 count=$2 pattern=$3 waited=0 pid
  until [ "$(grep -c -- "$pattern" "$file" 2>/dev/null || true)" -ge "$count" ]; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || fail "Cannot start the cluster: process $pid exited (logs: $work/*.log)"
    done
    [ "$waited" -lt "$((timeout * 10))" ] || fail "Cannot start the cluster: no '$pattern' in $file after $timeout s"
    sleep 0.1
    waited=$((waited + 1))
  done
}

# shellcheck disable=SC2086
"$java" $opens $light -cp "$spark_cp" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port 0 --webui-port 0 >"$work/master.log" 2>&1 &
pids+=($!)
await_log "$work/master.log" 1 "Starting Spark master at spark://"
master=$(grep -o 'spark://[^ ]*' "$work/master.log" | head -n 1)
log "master $master"
for i in 1 2; do
  # shellcheck disable=SC2086
  "$java" $opens $light -cp "$spark_cp" org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --webui-port 0 --cores 1 --memory 1g --work-dir "$work/worker-$i" \
    --properties-file "$work/worker.conf" "$master" >"$work/worker-$i.log" 2>&1 &
  pids+=($!)
done

# Meanwhile, a model and a tokenized table (the application jar's own commands, in a local JVM).
moe_local() {
  # shellcheck disable=SC2086
  "$java" $opens $light -Xmx1g -cp "$jar:$spark_cp" -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
    dev.sparkmoe.spark.cli.MoeCli "$@"
}
moe_local generate-model --preset tiny --out "$work/model" >&2
moe_local generate-tokens --rows "$rows" --min-len 2 --max-len 24 --vocab 512 --master 'local[1]' \
  --out "$work/tokens.parquet" >&2
await_log "$work/master.log" 2 "Registering worker"
log "2 workers registered"

# Submit with examples/submit-standalone.sh, as on a real cluster. Its spark-submit: the distribution's, or for
# Maven jars a stand-in that runs SparkSubmit, the class the real script runs, with the same JVM flags.
if [ ! -x "$spark_home/bin/spark-submit" ]; then
  mkdir -p "$spark_home/bin"
  cat >"$spark_home/bin/spark-submit" <<SUBMIT
#!/usr/bin/env bash
exec "$java" $opens -Xmx1g \${SPARK_SUBMIT_OPTS:-} -cp "$spark_home/jars/*" org.apache.spark.deploy.SparkSubmit "\$@"
SUBMIT
  chmod +x "$spark_home/bin/spark-submit"
fi
export SPARK_SUBMIT_OPTS="-Dlog4j2.configurationFile=$root/conf/log4j2.properties"
MOE_JAR="$jar" MOE_CONF="$root/conf/spark-defaults-standalone-gpu.conf.template" \
  MOE_SUBMIT_OPTS="--conf spark.executor.resource.gpu.discoveryScript=$gpus
    --conf spark.executor.cores=1 --conf spark.executor.memory=512m --conf spark.cores.max=2
    --conf spark.scheduler.maxRegisteredResourcesWaitingTime=${timeout}s
    --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false
    --conf spark.moe.backend=cpu --conf spark.moe.activation-dtype=f32" \
  "$root/examples/submit-standalone.sh" "$master" "$work/model" "$work/tokens.parquet" "$work/scores.json" \
  --output-format json --kind score | tee "$work/submit.out"

# Checks: every input row exactly once, a score for each, and the run report beside the output.
out="$work/scores.json"
[ -f "$out/_SUCCESS" ] || fail "Cannot find $out/_SUCCESS: the job did not finish"
lines=$(cat "$out"/part-*.json | wc -l)
ids=$(cat "$out"/part-*.json | grep -o '"id":[0-9]*' | sort -u | wc -l)
scores=$(cat "$out"/part-*.json | grep -c '"score":')
[ "$lines" -eq "$rows" ] || fail "Invalid output: $lines rows (expected: $rows)"
[ "$ids" -eq "$rows" ] || fail "Invalid output: $ids distinct ids (expected: $rows)"
[ "$scores" -eq "$rows" ] || fail "Invalid output: $scores rows with a score (expected: $rows)"
for report in "$out.report.json" "$out.report.html"; do
  [ -s "$report" ] || fail "Cannot find the run report $report"
done
grep -q '"executorId" : "1"' "$out.report.json" ||
  fail "Invalid run report: no expert task ran on executor 1 (expected: both executors used)"
log "OK: $rows rows scored on 2 executors; report in $out.report.html"
