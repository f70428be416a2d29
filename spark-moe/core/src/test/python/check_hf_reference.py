#!/usr/bin/env python3
"""Checks the oracle itself: hf_reference.py against an independent numpy Mixtral.

    .venv/bin/python spark-moe/core/src/test/python/check_hf_reference.py

Writes small random Mixtral checkpoints in the legacy Hugging Face layout (F32, F16, BF16; tied and untied
embeddings; a sharded index; an explicit head_dim; pure MoE layers without attention), runs hf_reference.py on
them as a subprocess, and compares every output with a float64 numpy forward that reads config.json and the
safetensors bytes itself (no torch, no safetensors library): RMSNorm, RoPE rotate-half, grouped-query causal
attention at 1/sqrt(head_dim), softmax router over all experts with top-k renormalized, experts
w2(silu(w1 x) * w3 x). It also checks that broken checkpoints fail loudly. Exits non-zero on any disagreement.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import save_file
from safetensors.torch import save_file as save_torch_file

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "hf_reference.py")
RELATIVE_TOLERANCE = 1e-5
LOGPROB_TOLERANCE = 1e-5


# ---------------------------------------------------------------- checkpoint writing


def round_bf16(x):
    """Round-to-nearest-even to bfloat16, returned as the float32 values bf16 represents."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32)


def random_tensors(spec, rng):
    h, inter, v = spec["hidden_size"], spec["intermediate_size"], spec["vocab_size"]
    heads, kv = spec["num_attention_heads"], spec["num_key_value_heads"]
    hd = spec.get("head_dim") or h // heads

    def linear(out_dim, in_dim, gain=1.0):
        return (rng.standard_normal((out_dim, in_dim)) * gain / np.sqrt(in_dim)).astype(np.float32)

    def norm():
        return (1.0 + 0.2 * rng.standard_normal(h)).astype(np.float32)

    t = {"model.embed_tokens.weight": rng.standard_normal((v, h)).astype(np.float32)}
    for i in range(spec["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if i not in spec["attentionless"]:
            t[p + "input_layernorm.weight"] = norm()
            t[p + "self_attn.q_proj.weight"] = linear(heads * hd, h, 2.0)
            t[p + "self_attn.k_proj.weight"] = linear(kv * hd, h, 2.0)
            t[p + "self_attn.v_proj.weight"] = linear(kv * hd, h)
            t[p + "self_attn.o_proj.weight"] = linear(h, heads * hd)
        t[p + "post_attention_layernorm.weight"] = norm()
        t[p + "block_sparse_moe.gate.weight"] = linear(spec["num_local_experts"], h, 3.0)
        for j in range(spec["num_local_experts"]):
            e = f"{p}block_sparse_moe.experts.{j}."
            t[e + "w1.weight"] = linear(inter, h)
            t[e + "w3.weight"] = linear(inter, h)
            t[e + "w2.weight"] = linear(h, inter)
    t["model.norm.weight"] = norm()
    if not spec["tie_word_embeddings"]:
        t["lm_head.weight"] = linear(v, h)
    return t


def config_json(spec):
    keys = (
        "vocab_size hidden_size intermediate_size num_hidden_layers num_attention_heads num_key_value_heads "
        "num_local_experts num_experts_per_tok tie_word_embeddings rms_norm_eps rope_theta"
    ).split()
    config = {k: spec[k] for k in keys}
    if spec.get("head_dim"):
        config["head_dim"] = spec["head_dim"]
    config.update(
        architectures=["MixtralForCausalLM"],
        model_type="mixtral",
        hidden_act="silu",
        max_position_embeddings=4096,
        sliding_window=None,
        bos_token_id=1,
        eos_token_id=2,
        torch_dtype={"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[spec["dtype"]],
    )
    return config


def save_shard(path, tensors, dtype):
    """Writes tensors in dtype; returns the float32 values the file actually holds."""
    if dtype == "F32":
        save_file(tensors, path)
        return tensors
    if dtype == "F16":
        half = {k: v.astype(np.float16) for k, v in tensors.items()}
        save_file(half, path)
        return {k: v.astype(np.float32) for k, v in half.items()}
    stored = {k: round_bf16(v) for k, v in tensors.items()}
    save_torch_file({k: torch.from_numpy(v).to(torch.bfloat16) for k, v in stored.items()}, path)
    return stored


def write_checkpoint(model_dir, spec, seed):
    os.makedirs(model_dir)
    tensors = random_tensors(spec, np.random.default_rng(seed))
    with open(os.path.join(model_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config_json(spec), f, indent=2)
    if not spec.get("sharded"):
        save_shard(os.path.join(model_dir, "model.safetensors"), tensors, spec["dtype"])
        return
    names = sorted(tensors)
    halves = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    for n, part in enumerate(halves):
        file = f"model-{n + 1:05d}-of-00002.safetensors"
        save_shard(os.path.join(model_dir, file), {k: tensors[k] for k in part}, spec["dtype"])
        weight_map.update({k: file for k in part})
    with open(os.path.join(model_dir, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


# ---------------------------------------------------------------- independent reading and forward


def read_safetensors(path):
    """The safetensors format by hand: u64 LE header length, JSON header, little-endian data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin : base + end]
        if info["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif info["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2")
        elif info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"Invalid dtype {info['dtype']} for {name} (expected: F32, F16, BF16)")
        out[name] = arr.reshape(info["shape"]).astype(np.float64)
    return out


def read_checkpoint(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    files = sorted(x for x in os.listdir(model_dir) if x.endswith(".safetensors"))
    tensors = {}
    for file in files:
        tensors.update(read_safetensors(os.path.join(model_dir, file)))
    return config, tensors


def rms_norm(x, weight, eps):
    return weight * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def rope(x, positions, theta):
    """x: [heads, n, head_dim]; rotate-half convention (first half pairs with second half)."""
    d = x.shape[-1]
    inv_freq = 1.0 / theta ** (np.arange(0, d, 2, dtype=np.float64) / d)
    angles = positions[:, None] * inv_freq[None, :]
    cos = np.cos(np.concatenate([angles, angles], axis=-1))
    sin = np.sin(np.concatenate([angles, angles], axis=-1))
    rotated = np.concatenate([-x[..., d // 2 :], x[..., : d // 2]], axis=-1)
    return x * cos + rotated * sin


def attention(x, t, p, c):
    n = x.shape[0]
    heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim") or c["hidden_size"] // heads
    q = (x @ t[p + "self_attn.q_proj.weight"].T).reshape(n, heads, hd).transpose(1, 0, 2)
    k = (x @ t[p + "self_attn.k_proj.weight"].T).reshape(n, kv, hd).transpose(1, 0, 2)
    v = (x @ t[p + "self_attn.v_proj.weight"].T).reshape(n, kv, hd).transpose(1, 0, 2)
    positions = np.arange(n, dtype=np.float64)
    q, k = rope(q, positions, c["rope_theta"]), rope(k, positions, c["rope_theta"])
    out = np.empty((heads, n, hd))
    future = np.triu(np.ones((n, n), dtype=bool), k=1)
    for head in range(heads):
        g = head // (heads // kv)
        scores = q[head] @ k[g].T / np.sqrt(hd)
        scores[future] = -np.inf
        w = np.exp(scores - scores.max(axis=-1, keepdims=True))
        out[head] = (w / w.sum(axis=-1, keepdims=True)) @ v[g]
    return out.transpose(1, 0, 2).reshape(n, heads * hd) @ t[p + "self_attn.o_proj.weight"].T


def moe(x, t, p, c):
    logits = x @ t[p + "block_sparse_moe.gate.weight"].T
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        top = np.argsort(-probs[i], kind="stable")[: c["num_experts_per_tok"]]
        weights = probs[i, top] / probs[i, top].sum()
        for j, w in zip(top, weights):
            e = f"{p}block_sparse_moe.experts.{j}."
            a = t[e + "w1.weight"] @ x[i]
            hidden = a / (1.0 + np.exp(-a)) * (t[e + "w3.weight"] @ x[i])
            out[i] += w * (t[e + "w2.weight"] @ hidden)
    return out


def numpy_forward(config, t, row):
    eps = config["rms_norm_eps"]
    h = t["model.embed_tokens.weight"][row]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if p + "self_attn.q_proj.weight" in t:
            h = h + attention(rms_norm(h, t[p + "input_layernorm.weight"], eps), t, p, config)
        h = h + moe(rms_norm(h, t[p + "post_attention_layernorm.weight"], eps), t, p, config)
    h = rms_norm(h, t["model.norm.weight"], eps)
    head = t["model.embed_tokens.weight"] if config["tie_word_embeddings"] else t["lm_head.weight"]
    logits = h @ head.T
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    next_token = int(np.argmax(logits[-1]))
    score = float(sum(logp[s - 1, row[s]] for s in range(1, len(row))))
    return {"hidden": h, "logits": logits, "next_token": next_token, "logprob": logp[-1, next_token], "score": score}


# ---------------------------------------------------------------- comparison


def relative(actual, expected):
    return float(np.linalg.norm(np.asarray(actual) - expected) / np.linalg.norm(expected))


def run_oracle(model_dir, rows, work, extra=()):
    rows_path, out_path = os.path.join(work, "rows.json"), os.path.join(work, "out.json")
    with open(rows_path, "w", encoding="utf-8") as f:
        json.dump({"rows": rows}, f)
    cmd = [sys.executable, ORACLE, "--model", model_dir, "--rows", rows_path, "--out", out_path, *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return proc, out_path


def compare(name, model_dir, rows, work):
    proc, out_path = run_oracle(model_dir, rows, work, ["--hidden"])
    if proc.returncode != 0:
        raise AssertionError(f"{name}: hf_reference.py failed: {proc.stderr.strip()[-2000:]}")
    with open(out_path, encoding="utf-8") as f:
        results = json.load(f)["rows"]
    config, tensors = read_checkpoint(model_dir)
    worst = 0.0
    for r, (row, got) in enumerate(zip(rows, results)):
        ref = numpy_forward(config, tensors, row)
        errors = {
            "hidden": relative(got["hidden"], ref["hidden"]),
            "embedding": relative(got["embedding"], ref["hidden"].mean(axis=0)),
            "logprob": abs(got["logprob"] - ref["logprob"]) / max(1.0, abs(ref["logprob"])),
            "score": abs(got["score"] - ref["score"]) / max(1.0, abs(ref["score"])),
        }
        tolerances = {"hidden": RELATIVE_TOLERANCE, "embedding": RELATIVE_TOLERANCE}
        for key, err in errors.items():
            if err > tolerances.get(key, LOGPROB_TOLERANCE):
                raise AssertionError(f"{name}: row {r} {key} differs from numpy by {err:.3e}")
        top2 = np.sort(ref["logits"][-1])[-2:]
        if got["num_tokens"] != len(row) or (top2[1] - top2[0] > 1e-4 and got["next_token"] != ref["next_token"]):
            raise AssertionError(f"{name}: row {r} num_tokens/next_token {got} vs {ref['next_token']}")
        worst = max(worst, *errors.values())
    print(f"ok   {name}: {len(rows)} rows, worst relative difference {worst:.2e}")


def expect_failure(name, model_dir, rows, work, needle):
    proc, _ = run_oracle(model_dir, rows, work)
    if proc.returncode == 0 or needle not in proc.stderr:
        raise AssertionError(f"{name}: expected a failure naming {needle!r}, got rc={proc.returncode}: {proc.stderr}")
    print(f"ok   {name}: fails with: {proc.stderr.strip().splitlines()[-1]}")


BASE = dict(
    vocab_size=97,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    num_local_experts=4,
    num_experts_per_tok=2,
    tie_word_embeddings=False,
    rms_norm_eps=1e-5,
    rope_theta=1e6,
    dtype="F32",
    attentionless=(),
)

CASES = {
    "f32-untied-gqa": {},
    "f16-tied": dict(dtype="F16", tie_word_embeddings=True),
    "bf16-untied": dict(dtype="BF16", rope_theta=1e4),
    "f32-sharded-head-dim-16": dict(sharded=True, head_dim=16, num_key_value_heads=4),
    "f32-mixed-pure-moe-layer": dict(num_hidden_layers=3, attentionless=(1,), num_local_experts=8, num_experts_per_tok=3),
    "f16-all-pure-moe": dict(dtype="F16", attentionless=(0, 1), tie_word_embeddings=True),
}


def main():
    rng = np.random.default_rng(20240611)
    rows = [[int(x) for x in rng.integers(0, 97, size=n)] for n in (1, 2, 7, 19)]
    with tempfile.TemporaryDirectory(prefix="check-hf-reference-") as work:
        for seed, (name, overrides) in enumerate(CASES.items()):
            spec = {**BASE, **overrides}
            model_dir = os.path.join(work, name)
            write_checkpoint(model_dir, spec, seed)
            compare(name, model_dir, rows, work)

        broken = os.path.join(work, "broken-missing-expert")
        write_checkpoint(broken, BASE, 99)
        tensors = read_safetensors(os.path.join(broken, "model.safetensors"))
        del tensors["model.layers.1.block_sparse_moe.experts.2.w2.weight"]
        save_file({k: v.astype(np.float32) for k, v in tensors.items()}, os.path.join(broken, "model.safetensors"))
        expect_failure("missing expert tensor", broken, rows, work, "Cannot load checkpoint")

        write_checkpoint(broken + "-norm", BASE, 98)
        tensors = read_safetensors(os.path.join(broken + "-norm", "model.safetensors"))
        del tensors["model.layers.1.post_attention_layernorm.weight"]
        save_file({k: v.astype(np.float32) for k, v in tensors.items()}, os.path.join(broken + "-norm", "model.safetensors"))
        expect_failure("missing norm", broken + "-norm", rows, work, "post_attention_layernorm")

        del tensors["model.layers.0.self_attn.k_proj.weight"]
        save_file({k: v.astype(np.float32) for k, v in tensors.items()}, os.path.join(broken, "model.safetensors"))
        expect_failure("partial attention", broken, rows, work, "self_attn has")

        expect_failure("token out of range", os.path.join(work, "f32-untied-gqa"), [[3, 97]], work, "Invalid token id 97")
    print("check_hf_reference: all checks passed")


if __name__ == "__main__":
    main()
