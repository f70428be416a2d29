#!/usr/bin/env bash
# Puts the Spark RAPIDS Accelerator jar where the spark-moe-rapids module compiles and tests against it, once.
#
#   spark-moe/rapids/fetch-rapids-jar.sh
#
# The jar (com.nvidia:rapids-4-spark_2.12, ~600 MB: RapidsUDF, the ai.rapids.cudf classes, the natives) is served
# by Maven Central, but its pom's parent (rapids-4-spark-jdk-profiles_2.12) is not, so a plain dependency does not
# resolve. This script downloads the jar alone, checks its SHA-1, and installs it with a generated pom under
# dev.sparkmoe.thirdparty in the local Maven repository, which is the cache: a second run finds it and does
# nothing. The version follows rapids.version in the parent pom.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=$(sed -n 's:.*<rapids.version>\(.*\)</rapids.version>.*:\1:p' "$root/pom.xml" | head -n 1)
[ -n "$version" ] || { echo "fetch-rapids-jar: no <rapids.version> in $root/pom.xml" >&2; exit 1; }
repo=${MOE_M2_REPOSITORY:-$HOME/.m2/repository}
installed=$repo/dev/sparkmoe/thirdparty/rapids-4-spark_2.12/$version/rapids-4-spark_2.12-$version.jar
if [ -s "$installed" ]; then
  echo "fetch-rapids-jar: RAPIDS $version already installed ($installed)"
  exit 0
fi
url=https://repo1.maven.org/maven2/com/nvidia/rapids-4-spark_2.12/$version/rapids-4-spark_2.12-$version.jar
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
curl -fsS --retry 3 -o "$tmp/rapids.jar" "$url"
expected=$(curl -fsS --retry 3 "$url.sha1" | awk '{print $1}')
actual=$(sha1sum "$tmp/rapids.jar" | awk '{print $1}')
[ "$expected" = "$actual" ] ||
  { echo "fetch-rapids-jar: SHA-1 of $url is $actual (expected: $expected); run again" >&2; exit 1; }
echo "fetch-rapids-jar: downloaded RAPIDS $version ($(du -m "$tmp/rapids.jar" | cut -f1) MB) in $(( $(date +%s) - start )) s"
mvn -B -ntp -q install:install-file -Dfile="$tmp/rapids.jar" -DgroupId=dev.sparkmoe.thirdparty \
  -DartifactId=rapids-4-spark_2.12 -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
echo "fetch-rapids-jar: installed as dev.sparkmoe.thirdparty:rapids-4-spark_2.12:$version"
