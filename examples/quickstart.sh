#!/usr/bin/env bash
# The README's main job: generate a small model and a tokenized table, then run inference on them with local
# Spark and the CPU backend. Everything goes under ${MOE_WORK:-work/quickstart} and is replaced on each run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
moe="$root/spark-moe/bin/moe"
work="${MOE_WORK:-$root/work/quickstart}"
preset="${MOE_PRESET:-tiny}"

rm -rf "$work"
mkdir -p "$work"
"$moe" generate-model --preset "$preset" --out "$work/model"
vocab=$(sed -n 's/.*"vocab_size" : \([0-9]*\).*/\1/p' "$work/model/config.json")
"$moe" generate-tokens --rows "${MOE_ROWS:-64}" --min-len 4 --max-len 48 --vocab "$vocab" \
  --out "$work/tokens.parquet"
"$moe" infer --model "$work/model" --input "$work/tokens.parquet" \
  --output "$work/scores.json" --output-format json --kind score
echo "First results ($work/scores.json):"
awk 'NR <= 5' "$work"/scores.json/part-*.json # not head: cat would die of SIGPIPE under pipefail
echo "Run report: $work/scores.json.report.html (charts) and $work/scores.json.report.json"
