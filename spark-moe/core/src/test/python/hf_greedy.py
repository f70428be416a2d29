#!/usr/bin/env python3
"""Greedy generation by `transformers` as the oracle of spark-moe's generator.

    python hf_greedy.py --rows ROWS.json --max-new-tokens N --out OUT.json DIR [DIR ...]

Each DIR is a checkpoint that hf_reference.load_model loads and verifies (fp32, eager attention, every tensor compared
with the loaded parameter). Each row of ROWS.json ({"rows": [[token ids...], ...]}) runs alone (batch 1, no
padding) through model.generate(do_sample=False, max_new_tokens=N) with the KV cache and the model's own
generation_config (its eos_token_id ends a row). One process serves every DIR. OUT.json is {"models": [{"eos_token_id":
..., "rows": [{"tokens", "logprobs", "gaps"}]}, ...]}, one entry per DIR in order: the new tokens, each one's log-probability under the step's unmodified distribution, and
the gap between the step's two best log-probabilities (a near tie lets float rounding pick either). Log-
probabilities are computed in float64 from the fp32 logits.

Exits non-zero with a one-line reason on stderr on any failure.
"""

import argparse
import json
import sys

import hf_reference  # noqa: E402  (sets the offline environment before importing transformers)
import torch


def greedy(model, row, max_new_tokens):
    ids = torch.tensor([row], dtype=torch.long)
    out = model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        do_sample=False,
        max_new_tokens=max_new_tokens,
        output_logits=True,
        return_dict_in_generate=True,
        use_cache=True,
    )
    tokens = out.sequences[0, len(row):].tolist()
    logprobs, gaps = [], []
    for step, token in enumerate(tokens):
        logp = torch.log_softmax(out.logits[step][0].to(torch.float64), dim=-1)
        best = torch.topk(logp, 2).values
        logprobs.append(float(logp[token].item()))
        gaps.append(float((best[0] - best[1]).item()))
    return {"tokens": tokens, "logprobs": logprobs, "gaps": gaps}


def run_model(model_dir, rows, max_new_tokens):
    config = hf_reference.read_config(model_dir)
    hf_reference.check_rows(rows, config["vocab_size"])
    model, files = hf_reference.load_model(model_dir, config)
    hf_reference.verify_parameters(model, files, config)
    with torch.inference_mode():
        results = [greedy(model, row, max_new_tokens) for row in rows]
    return {"eos_token_id": model.generation_config.eos_token_id, "rows": results}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", required=True)
    parser.add_argument("--max-new-tokens", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("models", nargs="+", metavar="DIR")
    args = parser.parse_args(argv)

    hf_reference.setup()
    with open(args.rows, encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    models = [run_model(d, rows, args.max_new_tokens) for d in args.models]
    hf_reference.write_json(args.out, {"models": models})


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except hf_reference.OracleError as e:
        print(f"hf_greedy: {e}", file=sys.stderr)
        sys.exit(1)
