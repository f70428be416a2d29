// RMSNorm and the softmax/top-k router, both in f32 with Hugging Face semantics (see the Java RmsNorm and
// SoftmaxTopKRouter, which the GPU tests compare against).
#pragma once

#include <climits>

#include "common.cuh"

namespace moe {

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the total.
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float partial[32];
  __shared__ float total;
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float s = lane < blockDim.x / 32 ? partial[lane] : 0.0f;
    s = warp_sum(s);
    if (lane == 0) total = s;
  }
  __syncthreads();
  return total;
}

// One block per row: out = weight * (x / sqrt(mean(x^2) + eps)).
__device__ __forceinline__ void rmsnorm(const float* __restrict__ x, const float* __restrict__ weight, int rows,
                                        int hidden, float eps, float* __restrict__ out) {
  const int row = blockIdx.x;
  if (row >= rows) return;  // uniform per block: the grid has one block per row
  const float* xr = x + static_cast<int64_t>(row) * hidden;
  float* yr = out + static_cast<int64_t>(row) * hidden;
  float sum = 0.0f;
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) sum += xr[c] * xr[c];
  const float scale = rsqrtf(block_sum(sum) / hidden + eps);
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) yr[c] = weight[c] * (xr[c] * scale);
}

// Experts per lane held in registers: up to 32 x 8 = 256 experts per router.
constexpr int kRouterSlotsPerLane = 8;
constexpr int kRouterMaxExperts = 32 * kRouterSlotsPerLane;

// One warp per token: softmax over all experts, then the k highest probabilities, best first, ties to the lower
// expert index (as the Java TopK); with renormalize != 0 the chosen weights are divided by their sum.
__device__ __forceinline__ void router_softmax_topk(const float* __restrict__ logits, int tokens, int experts, int k,
                                                    int renormalize, int* __restrict__ out_experts,
                                                    float* __restrict__ out_weights) {
  const int64_t token = global_thread() / 32;
  const int lane = threadIdx.x % 32;
  if (token >= tokens) return;  // uniform per warp
  const float* row = logits + token * experts;
  float p[kRouterSlotsPerLane];
  float max = -INFINITY;
#pragma unroll
  for (int j = 0; j < kRouterSlotsPerLane; j++) {
    const int e = lane + 32 * j;
    p[j] = e < experts ? row[e] : -INFINITY;
    max = fmaxf(max, p[j]);
  }
  max = warp_max(max);
  float sum = 0.0f;
#pragma unroll
  for (int j = 0; j < kRouterSlotsPerLane; j++) {
    const int e = lane + 32 * j;
    p[j] = e < experts ? expf(p[j] - max) : 0.0f;
    sum += p[j];
  }
  sum = warp_sum(sum);
#pragma unroll
  for (int j = 0; j < kRouterSlotsPerLane; j++) {
    // Probabilities are >= 0; -1 marks a slot that is no expert or is already chosen.
    p[j] = lane + 32 * j < experts ? p[j] / sum : -1.0f;
  }
  int* chosen = out_experts + token * k;
  float* weights = out_weights + token * k;
  for (int rank = 0; rank < k; rank++) {
    float best = -1.0f;
    int best_expert = INT_MAX;
#pragma unroll
    for (int j = 0; j < kRouterSlotsPerLane; j++) {
      if (p[j] > best) {  // j ascending: strict > keeps the lower index on ties
        best = p[j];
        best_expert = lane + 32 * j;
      }
    }
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
      const float other = __shfl_xor_sync(0xffffffffu, best, offset);
      const int other_expert = __shfl_xor_sync(0xffffffffu, best_expert, offset);
      if (other > best || (other == best && other_expert < best_expert)) {
        best = other;
        best_expert = other_expert;
      }
    }
#pragma unroll
    for (int j = 0; j < kRouterSlotsPerLane; j++) {
      if (lane + 32 * j == best_expert) p[j] = -1.0f;  // compile-time slot index: p stays in registers
    }
    if (lane == 0) {
      chosen[rank] = best_expert;
      weights[rank] = best;
    }
  }
  if (renormalize != 0 && lane == 0) {
    float chosen_sum = 0.0f;
    for (int rank = 0; rank < k; rank++) chosen_sum += weights[rank];
    for (int rank = 0; rank < k; rank++) weights[rank] /= chosen_sum;
  }
}

}  // namespace moe
