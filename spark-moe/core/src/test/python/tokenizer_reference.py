"""The Python `tokenizers` library as the oracle of spark-moe's tokenizer (dev.sparkmoe.core.text).

    tokenizer_reference.py OUT_DIR STYLE VOCAB_SIZE TEXTS_JSON RESULT_JSON

Trains a real BPE tokenizer on a small fixed corpus with `tokenizers` itself and saves it as OUT_DIR/tokenizer.json
(STYLE bytelevel: GPT-2's byte-level pre-tokenizer and decoder; metaspace: Llama's "▁" word marker, byte fallback
and <unk> for characters outside the trained alphabet), with the special tokens <unk>, <s>, </s>, <pad>, an added (not special) token <|sep|>, and a post-processor
that puts <s> (BOS) before every sequence, as Llama's tokenizer.json does. Then writes RESULT_JSON:
{"ids": [[...], ...], "decoded": [...]} with `Tokenizer.encode(text).ids` (special tokens added) and
`Tokenizer.decode(ids)` (skip_special_tokens=True, the library's default) for every text of TEXTS_JSON (a list).
"""

import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers, AddedToken

CORPUS = [
    "Mixture-of-Experts models route every token to a few experts.",
    "Apache Spark runs batch inference over tables of text, one partition at a time.",
    "The quick brown fox jumps over the lazy dog; the dog sleeps on.",
    "Experts live on their own GPUs, and tokens travel to them through a shuffle.",
    "Numbers like 1024, 2816 and 32000 describe the model's shape.",
    "Accents: café, naïve, façade; other scripts: 東京, Москва, and emoji 🚀.",
]

SPECIAL = ["<unk>", "<s>", "</s>", "<pad>"]


def build(style, vocab_size):
    if style == "bytelevel":
        tokenizer = Tokenizer(models.BPE(unk_token=None))
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    elif style == "metaspace":
        tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
        tokenizer.decoder = decoders.Sequence(
            [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
        )
        alphabet = []
    else:
        raise SystemExit(f"unknown style {style}")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=alphabet, show_progress=False
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer=trainer)
    tokenizer.add_tokens([AddedToken("<|sep|>", special=False)])
    bos = tokenizer.token_to_id("<s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    return tokenizer


def main():
    out_dir, style, vocab_size, texts_path, result_path = sys.argv[1:6]
    tokenizer = build(style, int(vocab_size))
    os.makedirs(out_dir, exist_ok=True)
    tokenizer.save(os.path.join(out_dir, "tokenizer.json"))
    loaded = Tokenizer.from_file(os.path.join(out_dir, "tokenizer.json"))
    with open(texts_path, encoding="utf-8") as f:
        texts = json.load(f)
    ids = [loaded.encode(text).ids for text in texts]
    decoded = [loaded.decode(row) for row in ids]
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump({"ids": ids, "decoded": decoded, "vocab_size": loaded.get_vocab_size()}, f)


if __name__ == "__main__":
    main()
