// Memory-bound element-wise kernels: f32 -> f16/bf16 conversion, fused SwiGLU, gather of routed tokens and the
// weighted scatter-add combine. All take grid-stride loops, so any grid size covers any element count.
#pragma once

#include "common.cuh"

namespace moe {

template <typename T>
__device__ __forceinline__ void convert(const float* __restrict__ in, int64_t n, T* __restrict__ out) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) out[i] = Dtype<T>::from_float(in[i]);
}

// out[r, c] = silu(gate_up[r, c]) * gate_up[r, ffn + c], rounded once to T: the gate and up halves of one fused
// GEMM's output row, consumed in the same pass that writes the down GEMM's input.
template <typename T>
__device__ __forceinline__ void swiglu(const float* __restrict__ gate_up, int rows, int ffn, T* __restrict__ out) {
  const int64_t n = static_cast<int64_t>(rows) * ffn;
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    const int64_t r = i / ffn;
    const int64_t c = i - r * ffn;
    const float* row = gate_up + r * 2 * ffn;
    const float g = row[c];
    const float u = row[ffn + c];
    // Same operation order as the CPU backend: silu(g) = g / (1 + e^-g), then times up.
    out[i] = Dtype<T>::from_float(__fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), u));
  }
}

// dst[i, :] = T(src[rows[i], :]): the tokens routed to one expert, packed densely for its GEMM.
template <typename T>
__device__ __forceinline__ void gather_rows(const float* __restrict__ src, const int* __restrict__ rows, int n,
                                            int hidden, T* __restrict__ dst) {
  const int64_t total = static_cast<int64_t>(n) * hidden;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t r = i / hidden;
    const int64_t c = i - r * hidden;
    dst[i] = Dtype<T>::from_float(src[static_cast<int64_t>(rows[r]) * hidden + c]);
  }
}

// dst[rows[i], :] += weights[i] * src[i, :] for one expert's outputs. Rows must be distinct within a launch (a token
// routes to an expert at most once), so no atomics are needed; launching experts in ascending id on one stream sums
// each token's experts in a fixed order, and the explicit roundings (no fused multiply-add) match Java's
// `dst += w * x` bit for bit.
__device__ __forceinline__ void scatter_add_weighted(const float* __restrict__ src, const int* __restrict__ rows,
                                                     const float* __restrict__ weights, int n, int hidden,
                                                     float* __restrict__ dst) {
  const int64_t total = static_cast<int64_t>(n) * hidden;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t r = i / hidden;
    const int64_t c = i - r * hidden;
    float* d = dst + static_cast<int64_t>(rows[r]) * hidden + c;
    *d = __fadd_rn(*d, __fmul_rn(weights[r], src[i]));
  }
}

}  // namespace moe
