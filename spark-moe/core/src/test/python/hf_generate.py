#!/usr/bin/env python3
"""Small checkpoints of every supported family, written by the real `transformers` classes, with their oracle.

    python hf_generate.py --out DIR --seed S [--rows ROWS.json] [--hidden] MODEL [MODEL ...]

Each MODEL is one of the names in MODELS (family-variant, e.g. qwen2_moe-f32). For each, this builds the
family's config and *ForCausalLM with torch's generator seeded from S and the model name, widens the random
init (the library's default init, std 0.02, leaves attention and routing nearly uniform, which would let a wrong
mask or router pass), casts it to the variant's dtype and writes DIR/MODEL with save_pretrained: config.json and
model.safetensors in the per-expert layout that the Hub's checkpoints use. DeepSeek-V3's
e_score_correction_bias stays F32 in a BF16 checkpoint, as in the released weights. DeepSeek-V3 variants then
lose their attention tensors and input norms (spark-moe does not implement multi-head latent attention), so
their layers are pure MoE layers.

With --rows (a JSON file {"rows": [[token ids...], ...]}), each checkpoint is then loaded back from disk and run
by hf_reference.reference (fp32, eager attention, every tensor verified) and the result written to
DIR/MODEL/oracle.json in hf_reference's output format. One process serves all the models it is given, so a test
pays for importing torch and transformers once.

Exits non-zero with a one-line reason on stderr on any failure.
"""

import argparse
import json
import math
import os
import sys
import zlib

import hf_reference  # noqa: E402  (sets the offline environment before importing transformers)
import torch
from safetensors.torch import load_file, save_file
from transformers import (
    DeepseekV3Config,
    DeepseekV3ForCausalLM,
    MixtralConfig,
    MixtralForCausalLM,
    OlmoeConfig,
    OlmoeForCausalLM,
    Qwen2MoeConfig,
    Qwen2MoeForCausalLM,
    Qwen3MoeConfig,
    Qwen3MoeForCausalLM,
)

COMMON = dict(vocab_size=160, hidden_size=48, rms_norm_eps=1e-6, max_position_embeddings=256, hidden_act="silu")

# name -> (config class, model class, dtype, config keys). Each family has an F32 and a BF16 variant that differ
# in every switch the family has (normalization, biases, dense layers, shared experts, tying, groups, ...).
MODELS = {
    "mixtral-f32": (MixtralConfig, MixtralForCausalLM, torch.float32, dict(
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, num_local_experts=8,
        num_experts_per_tok=2, intermediate_size=32, rope_theta=1e6)),
    "qwen2_moe-f32": (Qwen2MoeConfig, Qwen2MoeForCausalLM, torch.float32, dict(
        num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, num_experts=8, num_experts_per_tok=2,
        moe_intermediate_size=32, shared_expert_intermediate_size=40, intermediate_size=56, mlp_only_layers=[1],
        norm_topk_prob=False, rope_theta=10000.0)),
    "qwen2_moe-bf16": (Qwen2MoeConfig, Qwen2MoeForCausalLM, torch.bfloat16, dict(
        num_hidden_layers=4, num_attention_heads=6, num_key_value_heads=6, num_experts=6, num_experts_per_tok=3,
        moe_intermediate_size=24, shared_expert_intermediate_size=36, intermediate_size=40, decoder_sparse_step=2,
        norm_topk_prob=True, tie_word_embeddings=True, rope_theta=1e6)),
    "qwen3_moe-f32": (Qwen3MoeConfig, Qwen3MoeForCausalLM, torch.float32, dict(
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16, num_experts=8,
        num_experts_per_tok=2, moe_intermediate_size=32, norm_topk_prob=True, use_sliding_window=True,
        sliding_window=6, rope_theta=10000.0)),
    "qwen3_moe-bf16": (Qwen3MoeConfig, Qwen3MoeForCausalLM, torch.bfloat16, dict(
        num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4, num_experts=6, num_experts_per_tok=2,
        moe_intermediate_size=24, intermediate_size=40, mlp_only_layers=[0], attention_bias=True,
        norm_topk_prob=False, tie_word_embeddings=True, rope_theta=1e6)),
    "olmoe-f32": (OlmoeConfig, OlmoeForCausalLM, torch.float32, dict(
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, num_experts=8, num_experts_per_tok=2,
        intermediate_size=32, clip_qkv=3.0, norm_topk_prob=False, rms_norm_eps=1e-5)),
    "olmoe-bf16": (OlmoeConfig, OlmoeForCausalLM, torch.bfloat16, dict(
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, num_experts=6, num_experts_per_tok=3,
        intermediate_size=24, attention_bias=True, norm_topk_prob=True, tie_word_embeddings=True)),
    "deepseek_v3-f32": (DeepseekV3Config, DeepseekV3ForCausalLM, torch.float32, dict(
        num_hidden_layers=3, n_routed_experts=16, num_experts_per_tok=4, n_group=4, topk_group=2,
        moe_intermediate_size=16, intermediate_size=40, n_shared_experts=1, first_k_dense_replace=1,
        routed_scaling_factor=2.5, norm_topk_prob=True)),
    "deepseek_v3-bf16": (DeepseekV3Config, DeepseekV3ForCausalLM, torch.bfloat16, dict(
        num_hidden_layers=2, n_routed_experts=8, num_experts_per_tok=2, n_group=1, topk_group=1,
        moe_intermediate_size=24, intermediate_size=40, n_shared_experts=2, first_k_dense_replace=0,
        routed_scaling_factor=1.5, norm_topk_prob=False, tie_word_embeddings=True)),
}

# DeepSeek-V3's attention (multi-head latent attention) at the smallest size; the layers lose it before saving.
DEEPSEEK_ATTENTION = dict(num_attention_heads=2, num_key_value_heads=2, q_lora_rank=None, kv_lora_rank=16,
                          qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8, rope_interleave=True)

# Standard deviations x sqrt(fan-in) by parameter; queries and keys are scaled up so that attention is peaked,
# routers so that routing is uneven, as trained models are.
GAINS = (("q_proj", 2.0), ("k_proj", 2.0), ("mlp.gate.weight", 3.0))


class GenerateError(Exception):
    pass


def config_for(name):
    config_class, _, dtype, keys = MODELS[name]
    values = dict(COMMON, **keys)
    if config_class is DeepseekV3Config:
        values.update(DEEPSEEK_ATTENTION)
    rope_theta = values.pop("rope_theta", 10000.0)
    values["rope_parameters"] = {"rope_type": "default", "rope_theta": rope_theta}
    return config_class(**values)


def widen(model, generator):
    """Replaces the library's tiny init: norms near 1 (QK norms near 2), weights at unit gain, visible biases."""
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        if "rotary_emb" in name:
            continue
        if name.endswith("e_score_correction_bias"):
            values = 0.1 * torch.randn(tensor.shape, generator=generator)
        elif "norm" in name:
            base = 2.0 if ("q_norm" in name or "k_norm" in name) else 1.0
            values = base + 0.2 * torch.randn(tensor.shape, generator=generator)
        elif name.endswith("embed_tokens.weight"):
            values = torch.randn(tensor.shape, generator=generator)
        elif tensor.dim() == 1:
            values = 0.3 * torch.randn(tensor.shape, generator=generator)
        else:
            gain = next((g for key, g in GAINS if key in name), 1.0)
            values = torch.randn(tensor.shape, generator=generator) * (gain / math.sqrt(tensor.shape[-1]))
        with torch.no_grad():
            tensor.copy_(values)


def cast(model, dtype):
    """Casts to dtype, keeping DeepSeek-V3's correction bias in F32 as its released checkpoints do."""
    if dtype == torch.float32:
        return model
    biases = {n: b.detach().clone() for n, b in model.named_buffers() if n.endswith("e_score_correction_bias")}
    model.to(dtype)
    for name, bias in biases.items():
        module = model.get_submodule(name.rsplit(".", 1)[0])
        module.e_score_correction_bias = bias
    return model


def strip_attention(model_dir, num_layers):
    """Removes every self_attn tensor and input norm: the layers become pure MoE layers."""
    path = os.path.join(model_dir, "model.safetensors")
    tensors = load_file(path)
    prefixes = tuple(f"model.layers.{i}.self_attn." for i in range(num_layers))
    norms = {f"model.layers.{i}.input_layernorm.weight" for i in range(num_layers)}
    kept = {k: v for k, v in tensors.items() if not k.startswith(prefixes) and k not in norms}
    save_file(kept, path, metadata={"format": "pt"})


def generate(name, out_dir, seed):
    if name not in MODELS:
        raise GenerateError(f"Invalid model {name} (expected: one of {', '.join(MODELS)})")
    _, model_class, dtype, _ = MODELS[name]
    config = config_for(name)
    generator = torch.Generator().manual_seed(seed ^ zlib.crc32(name.encode()))
    torch.manual_seed(seed ^ zlib.crc32(name.encode()))
    model = model_class(config)
    widen(model, generator)
    model = cast(model, dtype)
    model_dir = os.path.join(out_dir, name)
    model.save_pretrained(model_dir)
    if model_class is DeepseekV3ForCausalLM:
        strip_attention(model_dir, config.num_hidden_layers)
    if os.path.exists(os.path.join(model_dir, "model.safetensors.index.json")):
        raise GenerateError(f"Cannot use {model_dir}: save_pretrained sharded a test model")
    return model_dir


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory that receives one checkpoint folder per model")
    parser.add_argument("--seed", type=int, required=True, help="seed of the random weights")
    parser.add_argument("--rows", help='JSON file {"rows": [[token ids...], ...]}: also write oracle.json')
    parser.add_argument("--hidden", action="store_true", help="oracle.json also holds the hidden states")
    parser.add_argument("models", nargs="+", metavar="MODEL", help=", ".join(MODELS))
    args = parser.parse_args(argv)

    hf_reference.setup()
    rows = None
    if args.rows:
        with open(args.rows, encoding="utf-8") as f:
            rows = json.load(f)["rows"]
    for name in args.models:
        model_dir = generate(name, args.out, args.seed)
        print(f"hf_generate: wrote {model_dir}", file=sys.stderr)
        if rows is not None:
            results = hf_reference.reference(model_dir, rows, args.hidden)
            hf_reference.write_json(os.path.join(model_dir, "oracle.json"), {"rows": results})


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (GenerateError, hf_reference.OracleError) as e:
        print(f"hf_generate: {e}", file=sys.stderr)
        sys.exit(1)
