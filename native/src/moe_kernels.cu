// The spark-moe CUDA kernels: one translation unit, so nvcc builds one fatbin (sm_80 and sm_90 code plus
// compute_90 PTX) that the cuda module packages as dev/sparkmoe/cuda/spark-moe-kernels.fatbin.
//
// Every entry point is extern "C" (unmangled, looked up by name from Java) and checks nothing: the Java launchers
// (dev.sparkmoe.cuda.Kernels) validate sizes and pick grids. Keep the list in Kernels.NAMES in step with this file;
// FatbinTest checks that every name is in every target of the fatbin.

#include "elementwise.cuh"
#include "gemm.cuh"
#include "norm_router.cuh"

using moe::GemmTile;

#define MOE_GEMM(NAME, T, BM, BN, WARPS_M, WARPS_N)                                                      \
  extern "C" __global__ void __launch_bounds__(32 * (WARPS_M) * (WARPS_N))                               \
      NAME(const T* A, const T* B, float* C, int M, int N, int K) {                                      \
    moe::gemm_nt<T, GemmTile<T, BM, BN, WARPS_M, WARPS_N>>(A, B, C, M, N, K);                            \
  }

MOE_GEMM(moe_gemm_f16_128x128, __half, 128, 128, 2, 4)
MOE_GEMM(moe_gemm_f16_64x64, __half, 64, 64, 2, 2)
MOE_GEMM(moe_gemm_bf16_128x128, __nv_bfloat16, 128, 128, 2, 4)
MOE_GEMM(moe_gemm_bf16_64x64, __nv_bfloat16, 64, 64, 2, 2)

#define MOE_TYPED(SUFFIX, T)                                                                              \
  extern "C" __global__ void moe_convert_##SUFFIX(const float* in, long long n, T* out) {                 \
    moe::convert<T>(in, n, out);                                                                          \
  }                                                                                                       \
  extern "C" __global__ void moe_swiglu_##SUFFIX(const float* gate_up, int rows, int ffn, T* out) {       \
    moe::swiglu<T>(gate_up, rows, ffn, out);                                                              \
  }                                                                                                       \
  extern "C" __global__ void moe_gather_rows_##SUFFIX(const float* src, const int* rows, int n, int hidden, \
                                                       T* dst) {                                          \
    moe::gather_rows<T>(src, rows, n, hidden, dst);                                                       \
  }

MOE_TYPED(f16, __half)
MOE_TYPED(bf16, __nv_bfloat16)

extern "C" __global__ void moe_scatter_add_weighted(const float* src, const int* rows, const float* weights, int n,
                                                    int hidden, float* dst) {
  moe::scatter_add_weighted(src, rows, weights, n, hidden, dst);
}

extern "C" __global__ void moe_rmsnorm(const float* x, const float* weight, int rows, int hidden, float eps,
                                       float* out) {
  moe::rmsnorm(x, weight, rows, hidden, eps, out);
}

extern "C" __global__ void moe_router_softmax_topk(const float* logits, int tokens, int experts, int k,
                                                   int renormalize, int* out_experts, float* out_weights) {
  moe::router_softmax_topk(logits, tokens, experts, k, renormalize, out_experts, out_weights);
}
