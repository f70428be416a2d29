"""Writes the Arrow IPC corpora that ArrowTokensSourceTest reads, with the real `datasets` and `pyarrow`.

Usage: write_corpora.py TOKENS_JSON OUT_DIR

TOKENS_JSON holds {"rows": [[token ids], ...]}. Row i gets the text "doc-i". Writes under OUT_DIR:
  hf/         Dataset.save_to_disk, 2 shards, record batches of 40 rows (columns input_ids, text)
  dict/       DatasetDict.save_to_disk: train (every row) and test (the first 10 rows)
  file.arrow  the Arrow IPC file format (Feather v2), batches of 64 rows
  stream.arrows  the Arrow IPC stream format, batches of 64 rows
  lz4.arrows  the stream format with LZ4-compressed buffers
  large.arrows  input_ids as list<int32> and big as large_list<int64>
"""

import json
import os
import sys

import datasets
import pyarrow as pa


def main(tokens_json, out):
    with open(tokens_json) as f:
        rows = json.load(f)["rows"]
    texts = ["doc-%d" % i for i in range(len(rows))]
    datasets.disable_progress_bars()
    datasets.config.DEFAULT_MAX_BATCH_SIZE = 40  # save_to_disk writes one record batch per 40 rows
    ds = datasets.Dataset.from_dict({"input_ids": rows, "text": texts})
    ds.save_to_disk(os.path.join(out, "hf"), num_shards=2)
    datasets.DatasetDict({"train": ds, "test": ds.select(range(10))}).save_to_disk(
        os.path.join(out, "dict"))

    table = pa.table({"input_ids": pa.array(rows, pa.list_(pa.int32())), "text": texts})
    with pa.ipc.new_file(os.path.join(out, "file.arrow"), table.schema) as writer:
        writer.write_table(table, max_chunksize=64)
    with pa.ipc.new_stream(os.path.join(out, "stream.arrows"), table.schema) as writer:
        writer.write_table(table, max_chunksize=64)
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.ipc.new_stream(os.path.join(out, "lz4.arrows"), table.schema, options=options) as writer:
        writer.write_table(table)
    large = pa.table({
        "input_ids": pa.array(rows, pa.list_(pa.int32())),
        "big": pa.array(rows, pa.large_list(pa.int64())),
    })
    with pa.ipc.new_stream(os.path.join(out, "large.arrows"), large.schema) as writer:
        writer.write_table(large)
    print(json.dumps({"hf_features": str(ds.features), "datasets": datasets.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
