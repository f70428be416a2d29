#!/usr/bin/env python3
"""The whole job a PyTorch user would write instead of `moe infer --kind embedding`.

Loads the checkpoint with `transformers` (`AutoModelForCausalLM.from_pretrained`, in --dtype), reads
the tokenized Parquet table (`id`, `tokens`), runs the model over the rows in batches of at most
--batch-tokens tokens (rows of one length together, so no padding), takes each row's embedding as
spark-moe defines it (the mean over positions of the final-normalized hidden state) and writes
`id`, `embedding` as Parquet. Prints one JSON line with the phase times measured inside the process;
the caller times the whole process (interpreter start and imports included), as a user waits for it.
"""
import argparse
import json
import time

T0 = time.perf_counter()

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True, help="Parquet table with id and tokens")
    parser.add_argument("--output", required=True, help="Parquet file to write")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-tokens", type=int, default=4096)
    return parser.parse_args()


def batches(rows, batch_tokens):
    """Rows grouped by length, then cut into batches of at most batch_tokens tokens."""
    by_length = {}
    for index, tokens in enumerate(rows):
        by_length.setdefault(len(tokens), []).append(index)
    for length, indices in sorted(by_length.items()):
        per_batch = max(1, batch_tokens // max(1, length))
        for start in range(0, len(indices), per_batch):
            yield indices[start:start + per_batch]


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    imported = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=DTYPES[args.dtype])
    model.eval()
    loaded = time.perf_counter()
    table = pq.read_table(args.input, columns=["id", "tokens"])
    ids = table.column("id").to_pylist()
    rows = table.column("tokens").to_pylist()
    hidden = model.config.hidden_size
    embeddings = [None] * len(rows)
    with torch.inference_mode():
        for indices in batches(rows, args.batch_tokens):
            tokens = torch.tensor([rows[i] for i in indices], dtype=torch.long)
            states = model.model(input_ids=tokens).last_hidden_state
            means = states.float().mean(dim=1)
            for j, i in enumerate(indices):
                embeddings[i] = means[j].tolist()
    computed = time.perf_counter()
    out = pa.table(
        {"id": pa.array(ids, pa.int64()),
         "embedding": pa.array(embeddings, pa.list_(pa.float32()))})
    pq.write_table(out, args.output)
    written = time.perf_counter()
    print(json.dumps({
        "import_seconds": imported - T0,
        "load_seconds": loaded - imported,
        "forward_seconds": computed - loaded,
        "write_seconds": written - computed,
        "rows": len(rows),
        "tokens": sum(len(r) for r in rows),
        "hidden": hidden,
        "torch": torch.__version__,
        "threads": args.threads,
        "dtype": args.dtype,
    }))


if __name__ == "__main__":
    main()
