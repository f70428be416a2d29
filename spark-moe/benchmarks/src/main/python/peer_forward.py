#!/usr/bin/env python3
"""The PyTorch peer of `bench peer`: a plain Mixtral forward in torch, fp32, on the CPU.

Loads the same config.json + model.safetensors as spark-moe (F16/BF16 weights converted to f32 once,
before timing), runs the same rows in the same batches (rows are added to a batch while it holds
fewer than --batch-tokens tokens), and writes each row's embedding (the mean over positions of the
final-normalized hidden state) as little-endian f32 [rows, hidden] to --out. Prints one JSON line:
{"forward_seconds": [one per --repeat pass], "tokens": ..., "torch": ..., "threads": ...}.

Only the forward is timed, after one untimed warm-up batch (--warmup-rows). The implementation is
what a competent torch user would write: the gate and up projections fused into one matrix, one
matmul per expert per batch on the tokens routed to it, scaled_dot_product_attention per row.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--rows", required=True, type=Path, help="JSON: {'rows': [[ids]], 'warmup': [[ids]]}")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-tokens", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=1, help="timed passes; each one is reported")
    return parser.parse_args()


class Mixtral:
    """Weights of a Mixtral-layout checkpoint, f32, laid out for the forward below."""

    def __init__(self, directory: Path):
        config = json.loads((directory / "config.json").read_text())
        tensors = load_file(str(directory / "model.safetensors"))
        f32 = {name: t.to(torch.float32) for name, t in tensors.items()}
        del tensors
        self.hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.kv_heads = config["num_key_value_heads"]
        self.head_dim = config.get("head_dim") or self.hidden // self.heads
        self.experts = config["num_local_experts"]
        self.top_k = config["num_experts_per_tok"]
        self.eps = config["rms_norm_eps"]
        self.theta = config.get("rope_theta", 1e6)
        self.window = config.get("sliding_window") or 0
        self.embed = f32["model.embed_tokens.weight"]
        self.final_norm = f32["model.norm.weight"]
        self.layers = [self._layer(f32, i) for i in range(config["num_hidden_layers"])]

    def _layer(self, f32, i):
        p = f"model.layers.{i}."
        moe = p + "block_sparse_moe."
        layer = {
            "post_norm": f32[p + "post_attention_layernorm.weight"],
            "router": f32[moe + "gate.weight"],
            "w13": [torch.cat([f32[f"{moe}experts.{e}.w1.weight"], f32[f"{moe}experts.{e}.w3.weight"]])
                    for e in range(self.experts)],
            "w2": [f32[f"{moe}experts.{e}.w2.weight"] for e in range(self.experts)],
        }
        if p + "self_attn.q_proj.weight" in f32:
            layer["input_norm"] = f32[p + "input_layernorm.weight"]
            for name in ("q", "k", "v", "o"):
                layer[name] = f32[f"{p}self_attn.{name}_proj.weight"]
        return layer


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rope_tables(head_dim, length, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    emb = torch.cat([angles, angles], dim=-1)
    return emb.cos(), emb.sin()


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def attention(m, layer, x, offsets, cos, sin):
    out = torch.empty_like(x)
    q_all = F.linear(x, layer["q"])
    k_all = F.linear(x, layer["k"])
    v_all = F.linear(x, layer["v"])
    for start, end in zip(offsets[:-1], offsets[1:]):
        n = end - start
        q = q_all[start:end].view(n, m.heads, m.head_dim).transpose(0, 1)
        k = k_all[start:end].view(n, m.kv_heads, m.head_dim).transpose(0, 1)
        v = v_all[start:end].view(n, m.kv_heads, m.head_dim).transpose(0, 1)
        q = rotate(q, cos[:n], sin[:n])
        k = rotate(k, cos[:n], sin[:n])
        group = m.heads // m.kv_heads
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        if m.window:
            i = torch.arange(n)
            allowed = (i[None, :] <= i[:, None]) & (i[None, :] > i[:, None] - m.window)
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        else:
            context = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        out[start:end] = F.linear(context.transpose(0, 1).reshape(n, m.heads * m.head_dim), layer["o"])
    return out


def moe(m, layer, x):
    probs = F.softmax(F.linear(x, layer["router"]), dim=-1, dtype=torch.float32)
    weights, chosen = torch.topk(probs, m.top_k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    out = torch.zeros_like(x)
    for e in range(m.experts):
        token, rank = torch.where(chosen == e)
        if token.numel() == 0:
            continue
        gate_up = F.linear(x[token], layer["w13"][e])
        gate, up = gate_up.chunk(2, dim=-1)
        y = F.linear(F.silu(gate) * up, layer["w2"][e])
        out.index_add_(0, token, y * weights[token, rank, None])
    return out


def forward(m, rows):
    """Embeddings [len(rows), hidden] of a batch of rows."""
    lengths = [len(r) for r in rows]
    offsets = [0]
    for n in lengths:
        offsets.append(offsets[-1] + n)
    ids = torch.tensor([t for r in rows for t in r], dtype=torch.int64)
    h = m.embed[ids]
    cos, sin = rope_tables(m.head_dim, max(lengths), m.theta)
    for layer in m.layers:
        if "q" in layer:
            h = h + attention(m, layer, rms_norm(h, layer["input_norm"], m.eps), offsets, cos, sin)
        h = h + moe(m, layer, rms_norm(h, layer["post_norm"], m.eps))
    h = rms_norm(h, m.final_norm, m.eps)
    return torch.stack([h[s:e].mean(dim=0) for s, e in zip(offsets[:-1], offsets[1:])])


def batches(rows, batch_tokens):
    batch, tokens = [], 0
    for row in rows:
        batch.append(row)
        tokens += len(row)
        if tokens >= batch_tokens:
            yield batch
            batch, tokens = [], 0
    if batch:
        yield batch


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    data = json.loads(args.rows.read_text())
    rows, warmup = data["rows"], data.get("warmup", [])
    with torch.inference_mode():
        model = Mixtral(args.model)
        for batch in batches(warmup, args.batch_tokens):
            forward(model, batch)
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            outputs = [forward(model, batch) for batch in batches(rows, args.batch_tokens)]
            seconds.append(time.perf_counter() - start)
    embeddings = torch.cat(outputs).contiguous()
    args.out.write_bytes(embeddings.numpy().astype("<f4").tobytes())
    print(json.dumps({
        "forward_seconds": seconds,
        "tokens": sum(len(r) for r in rows),
        "rows": len(rows),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
