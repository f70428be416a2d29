#!/usr/bin/env python3
"""transformers' batch generation, the peer of `moe infer --kind generate` in bin/generate.

    python generate_peer.py --model DIR --input TABLE.parquet --new-tokens N --threads T

Loads the checkpoint (fp32, eager attention), reads the tokenized table (id, tokens: rows of equal length, so no
padding), and runs model.generate(do_sample=False, min_new_tokens=N, max_new_tokens=N) over all rows as one
batch: once with one new token (time to first token: the batch's prefill) and once with N. Prints one JSON line:
seconds, output tokens/s, TTFT and TPOT in ms, and the generated tokens per id for the comparison.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pyarrow.parquet as pq  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--new-tokens", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = pq.read_table(args.input).to_pydict()
    ids, rows = table["id"], table["tokens"]
    if len({len(r) for r in rows}) != 1:
        raise SystemExit("generate_peer: rows must have equal lengths (no padding)")
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    batch = torch.tensor(rows, dtype=torch.long)
    mask = torch.ones_like(batch)

    def run(n):
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=batch, attention_mask=mask, do_sample=False, min_new_tokens=n,
                                 max_new_tokens=n, pad_token_id=0)
        return time.perf_counter() - start, out[:, batch.shape[1]:].tolist()

    ttft, _ = run(1)
    seconds, tokens = run(args.new_tokens)
    n = args.new_tokens
    print(json.dumps({
        "rows": len(rows),
        "seconds": seconds,
        "output_tokens_per_s": len(rows) * n / seconds,
        "ttft_ms": ttft * 1e3,
        "tpot_ms": (seconds - ttft) / max(1, n - 1) * 1e3,
        "tokens": dict(zip(map(str, ids), tokens)),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
