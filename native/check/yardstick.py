"""The GPU check's yardstick and report (native/gpu-check.sh run calls it last).

Reads OUT_DIR/java-results.json (written by dev.sparkmoe.cuda.GpuCheck), times a same-shape, same-dtype
torch.matmul (the expert's gate_up GEMM: [n, hidden] @ [2 ffn, hidden].T) and the same expert FFN in PyTorch with
CUDA events (median of many, after warm-up, on fresh random data), writes OUT_DIR/torch-results.json and
OUT_DIR/results.md, and prints the test and check summary, then the table, last.

Usage: python3 yardstick.py OUT_DIR
"""
import json
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

REPEATS = 30
WARMUP = 3


def median_ms(torch, fn):
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(REPEATS):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def torch_rows(rows):
    """Times torch for every (dtype, hidden, ffn, tokens) the Java side measured; None without torch or a GPU."""
    try:
        import torch
    except ImportError as e:
        print(f"yardstick: no torch ({e}); the table has no yardstick")
        return None
    if not torch.cuda.is_available():
        print("yardstick: torch sees no GPU; the table has no yardstick")
        return None
    dtypes = {"bf16": torch.bfloat16, "f16": torch.float16}
    results = {}
    weights = {}
    for row in rows:
        dtype, hidden, ffn, n = row["dtype"], row["hidden"], row["ffn"], row["tokens"]
        key = (dtype, hidden, ffn)
        if key not in weights:
            weights.clear()
            torch.cuda.empty_cache()
            t = dtypes[dtype]
            weights[key] = (
                (torch.randn(2 * ffn, hidden, device="cuda") / hidden**0.5).to(t),
                (torch.randn(hidden, ffn, device="cuda") / ffn**0.5).to(t),
            )
        gate_up, down = weights[key]
        x = torch.randn(n, hidden, device="cuda").to(dtypes[dtype])

        def gemm():
            return torch.matmul(x, gate_up.t())

        def expert_ffn():
            gu = torch.matmul(x, gate_up.t())
            return torch.matmul(torch.nn.functional.silu(gu[:, :ffn]) * gu[:, ffn:], down.t())

        gemm_ms = median_ms(torch, gemm)
        ffn_ms = median_ms(torch, expert_ffn)
        results[f"{dtype}/{hidden}/{ffn}/{n}"] = {
            "gemm_ms": gemm_ms,
            "gemm_tflops": 2.0 * n * 2 * ffn * hidden / gemm_ms / 1e9,
            "ffn_ms": ffn_ms,
            "ffn_tflops": 6.0 * n * hidden * ffn / ffn_ms / 1e9,
        }
    results["torch"] = torch.__version__
    return results


def junit_summary(out):
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed = []
    for report in (out / "junit").glob("*.xml"):
        root = ElementTree.parse(report).getroot()
        for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
            for k in counts:
                counts[k] += int(suite.get(k, 0))
            for case in suite.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed.append(f"{case.get('classname')}.{case.get('name')}")
    return counts, failed


def table(java, torch_results):
    header = ("| dtype | hidden x ffn | tokens | GEMM TFLOP/s | torch.matmul TFLOP/s | ratio | FFN TFLOP/s (device) "
              "| torch FFN TFLOP/s | ratio | FFN end to end (ms) | tokens/s |")
    lines = [header, "|" + "---|" * 11]
    for row in java["rows"]:
        key = f"{row['dtype']}/{row['hidden']}/{row['ffn']}/{row['tokens']}"
        t = (torch_results or {}).get(key)
        lines.append("| {} | {} x {} | {} | {:.1f} | {} | {} | {:.1f} | {} | {} | {:.2f} | {:.0f} |".format(
            row["dtype"], row["hidden"], row["ffn"], row["tokens"], row["gemm_tflops"],
            f"{t['gemm_tflops']:.1f}" if t else "-",
            f"{row['gemm_tflops'] / t['gemm_tflops']:.2f}" if t else "-",
            row["ffn_device_tflops"],
            f"{t['ffn_tflops']:.1f}" if t else "-",
            f"{row['ffn_device_tflops'] / t['ffn_tflops']:.2f}" if t else "-",
            row["ffn_end_to_end_ms"], row["ffn_tokens_per_s"]))
    return "\n".join(lines)


def main():
    out = Path(sys.argv[1])
    java_path = out / "java-results.json"
    if not java_path.exists():
        print(f"yardstick: {java_path} is missing: the Java check did not finish")
        return 1
    java = json.loads(java_path.read_text())
    torch_results = torch_rows(java["rows"])
    (out / "torch-results.json").write_text(json.dumps(torch_results, indent=1))
    counts, failed = junit_summary(out)
    checks_failed = [c for c in java["checks"] if not c["passed"]]
    text = table(java, torch_results)
    summary = [
        f"device: {java['device']}",
        f"torch: {(torch_results or {}).get('torch', 'none')}",
        "gpu tests: {} run, {} failed, {} skipped{}".format(
            counts["tests"], counts["failures"] + counts["errors"], counts["skipped"],
            (": " + ", ".join(failed)) if failed else ""),
        "checks: {} passed, {} failed{}".format(
            len(java["checks"]) - len(checks_failed), len(checks_failed),
            "".join(f"\n  FAIL {c['name']}: {c['detail']}" for c in checks_failed)),
    ]
    (out / "results.md").write_text("\n".join(summary) + "\n\n" + text + "\n")
    print("\n".join(summary))
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
