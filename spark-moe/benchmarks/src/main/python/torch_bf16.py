#!/usr/bin/env python3
"""torch's bf16 on the CPU, one thread: the yardstick of Bf16GemmBenchmark and ExpertFfnBenchmark -p dtype=BF16.

Times torch.matmul in bf16 at n x k x m (default 1024 x 1024 x 5632) and the expert FFN a torch user
would write in bf16 (one fused gate|up matmul, silu(gate) * up, the down matmul) at hidden 1024,
FFN 2816 for each --ffn-tokens. Weights are bf16 and pre-transposed to [in, out] (torch's fastest
layout); activations are bf16. Prints one JSON line with GFLOP/s: the best of --repeat timings,
each the mean of calls over about --seconds.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def timed(fn, seconds, repeat):
    fn()
    best = float("inf")
    for _ in range(repeat):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = min(best, elapsed / calls)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gemm", default="1024,1024,5632", help="n,k,m")
    parser.add_argument("--ffn-tokens", default="256,1024,4096")
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--ffn", type=int, default=2816)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(1)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}

    n, k, m = (int(v) for v in args.gemm.split(","))
    a = torch.randn(n, k, generator=gen).to(torch.bfloat16)
    b = torch.randn(k, m, generator=gen).to(torch.bfloat16)
    result[f"matmul_bf16_{n}x{k}x{m}_gflops"] = 2 * n * k * m / timed(lambda: torch.matmul(a, b), args.seconds, args.repeat) / 1e9

    h, f = args.hidden, args.ffn
    gate_up = (torch.randn(h, 2 * f, generator=gen) / h**0.5).to(torch.bfloat16)
    down = (torch.randn(f, h, generator=gen) / f**0.5).to(torch.bfloat16)

    def ffn(x):
        g, u = torch.matmul(x, gate_up).chunk(2, dim=-1)
        return torch.matmul(F.silu(g) * u, down)

    for tokens in (int(t) for t in args.ffn_tokens.split(",")):
        x = torch.randn(tokens, h, generator=gen).to(torch.bfloat16)
        seconds = timed(lambda: ffn(x), args.seconds, args.repeat)
        result[f"ffn_bf16_n{tokens}_gflops"] = 6 * tokens * h * f / seconds / 1e9
    print(json.dumps({key: round(v, 1) if isinstance(v, float) else v for key, v in result.items()}))


if __name__ == "__main__":
    main()
