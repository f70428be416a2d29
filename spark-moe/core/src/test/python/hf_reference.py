#!/usr/bin/env python3
"""Hugging Face `transformers` as the independent oracle for the spark-moe reference forward.

    python hf_reference.py --model DIR --rows ROWS.json --out OUT.json [--hidden]

ROWS.json is {"rows": [[token ids...], ...]}. DIR is a Hugging Face checkpoint of one of the FAMILIES below
(config.json whose architectures names the class, model.safetensors or model.safetensors.index.json, tensors
F32/F16/BF16 in the per-expert layout that save_pretrained writes). The model is loaded with the family's
from_pretrained in fp32 with eager attention and eager experts, and every tensor of the checkpoint is compared
with the loaded parameter or buffer, so a renaming that silently leaves a parameter randomly initialized fails
here instead of passing as a wrong oracle.

A layer without self_attn.* tensors is a pure MoE layer: its attention is replaced by zeros (and its unused
input_layernorm by the identity), so the layer computes h + moe(post_attention_layernorm(h)).

Each row runs alone (batch 1, no padding). OUT.json is {"rows": [{"num_tokens", "embedding", "next_token",
"logprob", "score", "hidden"?}]}: embedding is the mean over positions of the final-normalized hidden state,
next_token the argmax of the logits at the last position, logprob its log-probability, score the sum over t >= 1
of log p(token_t | tokens before t) (0.0 for one token), hidden the final-normalized state per position (only
with --hidden). Log-probabilities are computed in float64 from the fp32 logits.

Exits non-zero with a one-line reason on stderr on any failure.
"""

import argparse
import json
import os
import re
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import (  # noqa: E402
    DeepseekV3ForCausalLM,
    MixtralForCausalLM,
    OlmoeForCausalLM,
    Qwen2MoeForCausalLM,
    Qwen3MoeForCausalLM,
)

# Class name -> (model class, config key of one routed expert's width).
FAMILIES = {
    "MixtralForCausalLM": (MixtralForCausalLM, "intermediate_size"),
    "Qwen2MoeForCausalLM": (Qwen2MoeForCausalLM, "moe_intermediate_size"),
    "Qwen3MoeForCausalLM": (Qwen3MoeForCausalLM, "moe_intermediate_size"),
    "OlmoeForCausalLM": (OlmoeForCausalLM, "intermediate_size"),
    "DeepseekV3ForCausalLM": (DeepseekV3ForCausalLM, "moe_intermediate_size"),
}
ATTENTION_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")
# Per-expert checkpoint names (Mixtral's w1/w3/w2, the others' gate/up/down), fused into 3D parameters on load.
LEGACY_EXPERT = re.compile(
    r"^model\.layers\.(\d+)\.(?:block_sparse_moe|mlp)\.experts\.(\d+)\.(w1|w2|w3|gate_proj|up_proj|down_proj)\.weight$"
)
LEGACY_GATE = re.compile(r"^model\.layers\.(\d+)\.block_sparse_moe\.gate\.weight$")


class OracleError(Exception):
    pass


class NoAttention(torch.nn.Module):
    """Stands in for the attention of a pure MoE layer: contributes nothing to the residual stream."""

    def forward(self, hidden_states, *args, **kwargs):
        return torch.zeros_like(hidden_states), None


def checkpoint_files(model_dir):
    """Maps each tensor name of the checkpoint to the file that holds it."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
        return {name: os.path.join(model_dir, file) for name, file in weight_map.items()}
    single = os.path.join(model_dir, "model.safetensors")
    if not os.path.isfile(single):
        raise OracleError(f"Cannot load checkpoint {model_dir}: neither model.safetensors nor model.safetensors.index.json")
    with safe_open(single, framework="pt") as f:
        return {name: single for name in f.keys()}


def read_config(model_dir):
    path = os.path.join(model_dir, "config.json")
    if not os.path.isfile(path):
        raise OracleError(f"Cannot load checkpoint {model_dir}: no config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    architectures = config.get("architectures")
    if not isinstance(architectures, list) or len(architectures) != 1 or architectures[0] not in FAMILIES:
        raise OracleError(f"Invalid architectures in {path}: {architectures} (expected: one of {sorted(FAMILIES)})")
    return config


def family(config):
    """The model class and the config key of an expert's width."""
    return FAMILIES[config["architectures"][0]]


def attentionless_layers(names, num_layers, with_projections):
    """Layers with no self_attn tensors at all; a layer with some q/k/v/o projections but not all is an error."""
    layers = []
    for i in range(num_layers):
        prefix = f"model.layers.{i}.self_attn."
        if not any(name.startswith(prefix) for name in names):
            layers.append(i)
            continue
        if not with_projections:
            continue
        present = [p for p in ATTENTION_PROJECTIONS if f"{prefix}{p}.weight" in names]
        if len(present) != len(ATTENTION_PROJECTIONS):
            missing = sorted(set(ATTENTION_PROJECTIONS) - set(present))
            raise OracleError(f"Cannot load layer {i}: self_attn has {present} but not {missing}")
    return layers


def expected_missing(model_keys, names, layers):
    """What a pure MoE layer lacks: all of its attention, and its input norm if the checkpoint has none."""
    missing = set()
    for i in layers:
        missing.update(k for k in model_keys if k.startswith(f"model.layers.{i}.self_attn."))
        norm = f"model.layers.{i}.input_layernorm.weight"
        if norm not in names:
            missing.add(norm)
    return missing


def load_model(model_dir, config):
    files = checkpoint_files(model_dir)
    model_class, _ = family(config)
    # DeepSeek-V3's multi-head latent attention has no q/k/v projections to check pairwise.
    layers = attentionless_layers(files, config["num_hidden_layers"], model_class is not DeepseekV3ForCausalLM)
    if layers:
        print(f"hf_reference: layers {layers} have no self_attn tensors: pure MoE layers, zero attention", file=sys.stderr)
    try:
        model, info = model_class.from_pretrained(
            model_dir,
            dtype=torch.float32,
            attn_implementation="eager",
            experts_implementation="eager",
            local_files_only=True,
            output_loading_info=True,
        )
    except (RuntimeError, ValueError, OSError) as e:
        raise OracleError(f"Cannot load checkpoint {model_dir} into {model_class.__name__}: {e}") from e
    check_loading_info(model_dir, info, expected_missing(model.state_dict().keys(), files, layers), model_class)
    for i in layers:
        model.model.layers[i].self_attn = NoAttention()
        model.model.layers[i].input_layernorm = torch.nn.Identity()
    model.eval()
    return model, files


def check_loading_info(model_dir, info, allowed_missing, model_class):
    missing = set(info.get("missing_keys", ())) - allowed_missing
    problems = {
        "missing": sorted(missing),
        "unexpected": sorted(info.get("unexpected_keys", ())),
        "mismatched": sorted(str(m) for m in info.get("mismatched_keys", ())),
        "error_msgs": list(info.get("error_msgs", ())),
    }
    problems = {kind: keys for kind, keys in problems.items() if keys}
    if problems:
        raise OracleError(f"Cannot load checkpoint {model_dir} into {model_class.__name__}: {problems}")


def model_slice(params, name, intermediate_size):
    """The loaded parameter or buffer (or slice of one) that holds checkpoint tensor `name`."""
    expert = LEGACY_EXPERT.match(name)
    if expert:
        layer, j, w = int(expert.group(1)), int(expert.group(2)), expert.group(3)
        prefix = f"model.layers.{layer}.mlp.experts."
        if w in ("w2", "down_proj"):
            return params[prefix + "down_proj"][j]
        gate_up = params[prefix + "gate_up_proj"][j]
        return gate_up[:intermediate_size] if w in ("w1", "gate_proj") else gate_up[intermediate_size:]
    gate = LEGACY_GATE.match(name)
    if gate:
        return params[f"model.layers.{gate.group(1)}.mlp.gate.weight"]
    if name not in params:
        raise OracleError(f"Cannot verify tensor {name}: no parameter of that name in the loaded model")
    return params[name]


def verify_parameters(model, files, config):
    """Every checkpoint tensor must equal what the model computes with (exactly, after the fp32 upcast)."""
    params = dict(model.named_parameters(remove_duplicate=False))
    params.update(dict(model.named_buffers()))
    expert_width = config[family(config)[1]]
    by_file = {}
    for name, file in files.items():
        by_file.setdefault(file, []).append(name)
    for file, names in by_file.items():
        with safe_open(file, framework="pt") as f:
            for name in names:
                expected = f.get_tensor(name).to(torch.float32)
                actual = model_slice(params, name, expert_width)
                if tuple(actual.shape) != tuple(expected.shape) or not torch.equal(actual, expected):
                    raise OracleError(
                        f"Cannot trust loaded tensor {name}: the model's value differs from {file} "
                        f"(shape {list(actual.shape)} vs {list(expected.shape)})"
                    )
    if "lm_head.weight" not in files:
        if not config.get("tie_word_embeddings", False):
            raise OracleError("Cannot load lm_head.weight: absent and tie_word_embeddings is false")
        if not torch.equal(model.lm_head.weight, model.model.embed_tokens.weight):
            raise OracleError("Cannot trust lm_head: tie_word_embeddings is true but it differs from embed_tokens")


def check_rows(rows, vocab_size):
    for r, row in enumerate(rows):
        if not row:
            raise OracleError(f"Invalid row {r}: no tokens (expected: at least one)")
        for token in row:
            if not isinstance(token, int) or not 0 <= token < vocab_size:
                raise OracleError(f"Invalid token id {token} in row {r} (expected: 0 <= id < {vocab_size})")
    return rows


def run_row(model, row, with_hidden):
    ids = torch.tensor([row], dtype=torch.long)
    hidden = model.model(input_ids=ids, use_cache=False).last_hidden_state[0]
    logits = model.lm_head(hidden)
    logp = torch.log_softmax(logits.to(torch.float64), dim=-1)
    next_token = int(torch.argmax(logits[-1]).item())
    targets = ids[0, 1:]
    score = float(logp[:-1].gather(1, targets[:, None]).sum().item()) if len(row) > 1 else 0.0
    out = {
        "num_tokens": len(row),
        "embedding": hidden.mean(dim=0).tolist(),
        "next_token": next_token,
        "logprob": float(logp[-1, next_token].item()),
        "score": score,
    }
    if with_hidden:
        out["hidden"] = hidden.tolist()
    return out


def setup():
    """Two threads, warnings on: transformers prints its load report (missing, unexpected, mismatched keys) there."""
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    transformers.logging.set_verbosity_warning()
    transformers.logging.disable_progress_bar()


def reference(model_dir, rows, with_hidden):
    """Loads and verifies the checkpoint in model_dir, then runs each row alone; returns the output rows."""
    start = time.monotonic()
    config = read_config(model_dir)
    check_rows(rows, config["vocab_size"])
    model, files = load_model(model_dir, config)
    loaded = time.monotonic()
    verify_parameters(model, files, config)
    verified = time.monotonic()
    with torch.inference_mode():
        results = [run_row(model, row, with_hidden) for row in rows]
    done = time.monotonic()
    print(
        f"hf_reference: transformers {transformers.__version__}, torch {torch.__version__}: "
        f"loaded {model_dir} in {loaded - start:.2f} s, compared its {len(files)} tensors in {verified - loaded:.2f} s, "
        f"ran {len(rows)} rows ({sum(map(len, rows))} tokens) in {done - verified:.2f} s",
        file=sys.stderr,
    )
    return results


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.replace(tmp, path)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Hugging Face checkpoint directory of a supported family")
    parser.add_argument("--rows", required=True, help='JSON file {"rows": [[token ids...], ...]}')
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--hidden", action="store_true", help="also write the final hidden state per position")
    args = parser.parse_args(argv)

    setup()
    with open(args.rows, encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    write_json(args.out, {"rows": reference(args.model, rows, args.hidden)})


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except OracleError as e:
        print(f"hf_reference: {e}", file=sys.stderr)
        sys.exit(1)
