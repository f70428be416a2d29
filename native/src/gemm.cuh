// Tensor-core GEMM for the expert FFN: C[M, N] (f32) = A[M, K] . B[N, K]^T with A and B in f16 or bf16 and f32
// accumulation. Both operands are row-major with K contiguous, which is how activations ([tokens, hidden]) and
// Hugging Face weights ([out, in]) are laid out, so neither is transposed in memory.
//
// Block tile BM x BN x 32, WARPS_M x WARPS_N warps each computing a (BM / WARPS_M) x (BN / WARPS_N) tile with WMMA
// 16x16x16 fragments; a 3-stage shared-memory pipeline fed by cp.async (16-byte copies, zero-filled past the edges)
// overlaps the loads of tile k+2 with the math of tile k. Rows in shared memory are padded by 8 elements (16 bytes):
// a row stride of 80 bytes puts the 8 rows each ldmatrix phase reads into 8 distinct 16-byte bank groups.
//
// Any M, N, K >= 1 work. The fast load path needs K % 8 == 0 and 16-byte-aligned A and B; otherwise tiles load
// element by element. The direct store needs N % 8 == 0; otherwise, and on edge tiles, fragments go through a
// per-warp staging area.
#pragma once

#include <mma.h>

#include "common.cuh"

namespace moe {

__device__ __forceinline__ void cp_async_16(void* smem_dst, const void* gmem_src, int src_bytes) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem_dst));
  // src_bytes < 16 zero-fills the rest; 0 reads nothing (the source address is then any valid one).
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem_src), "r"(src_bytes));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

template <typename T, int BM_, int BN_, int WARPS_M_, int WARPS_N_>
struct GemmTile {
  static constexpr int BM = BM_;
  static constexpr int BN = BN_;
  static constexpr int WARPS_M = WARPS_M_;
  static constexpr int WARPS_N = WARPS_N_;
  static constexpr int BK = 32;
  static constexpr int STAGES = 3;
  static constexpr int LDS = BK + 8;  // padded row stride in elements
  static constexpr int WM = BM / WARPS_M;
  static constexpr int WN = BN / WARPS_N;
  static constexpr int FM = WM / 16;
  static constexpr int FN = WN / 16;
  static constexpr int THREADS = 32 * WARPS_M * WARPS_N;
  static constexpr int CHUNKS_PER_ROW = BK / 8;  // 16-byte chunks of one row of a k-tile
  static constexpr int STAGE_ELEMS = (BM + BN) * LDS;
  // The Java side (GemmTiles) mirrors this: STAGES * (BM + BN) * LDS * sizeof(T).
  static constexpr int SMEM_BYTES = STAGES * STAGE_ELEMS * static_cast<int>(sizeof(T));
  static_assert(WM % 16 == 0 && WN % 16 == 0, "warp tiles are whole 16x16 fragments");
  static_assert(SMEM_BYTES >= THREADS / 32 * 256 * 4, "the epilogue's staging fits in the pipeline's memory");
};

// Copies rows [row0, row0 + nrows) x columns [k0, k0 + BK) of g ([rows_total, K]) into smem ([nrows, LDS]),
// zero-filling what lies outside g.
template <typename Tile, typename T>
__device__ __forceinline__ void load_tile(T* __restrict__ smem, const T* __restrict__ g, int rows_total, int row0,
                                          int K, int k0, int nrows, bool vectorized) {
  for (int c = threadIdx.x; c < nrows * Tile::CHUNKS_PER_ROW; c += Tile::THREADS) {
    const int r = c / Tile::CHUNKS_PER_ROW;
    const int kc = (c % Tile::CHUNKS_PER_ROW) * 8;
    const int gr = row0 + r;
    const int gk = k0 + kc;
    T* dst = smem + r * Tile::LDS + kc;
    if (vectorized) {
      // K % 8 == 0, so a chunk that starts inside the row ends inside it.
      const bool inside = gr < rows_total && gk < K;
      const T* src = inside ? g + static_cast<int64_t>(gr) * K + gk : g;
      cp_async_16(dst, src, inside ? 16 : 0);
    } else {
#pragma unroll
      for (int i = 0; i < 8; i++) {
        const bool inside = gr < rows_total && gk + i < K;
        dst[i] = inside ? g[static_cast<int64_t>(gr) * K + gk + i] : Dtype<T>::from_float(0.0f);
      }
    }
  }
}

template <typename T, typename Tile>
__device__ __forceinline__ void gemm_nt(const T* __restrict__ A, const T* __restrict__ B, float* __restrict__ C, int M,
                                        int N, int K) {
  using namespace nvcuda;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int wm = warp / Tile::WARPS_N;
  const int wn = warp % Tile::WARPS_N;
  // blockIdx.x walks M so that consecutive blocks share one tile of B (the weights) while it is in L2.
  const int row0 = blockIdx.x * Tile::BM;
  const int col0 = blockIdx.y * Tile::BN;
  const bool vectorized = K % 8 == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                          reinterpret_cast<uintptr_t>(B) % 16 == 0;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[Tile::FM][Tile::FN];
#pragma unroll
  for (int i = 0; i < Tile::FM; i++) {
#pragma unroll
    for (int j = 0; j < Tile::FN; j++) wmma::fill_fragment(acc[i][j], 0.0f);
  }

  const int ktiles = (K + Tile::BK - 1) / Tile::BK;
  auto stage_a = [&](int s) { return smem + s * Tile::STAGE_ELEMS; };
  auto stage_b = [&](int s) { return smem + s * Tile::STAGE_ELEMS + Tile::BM * Tile::LDS; };
  auto load_stage = [&](int s, int kt) {
    load_tile<Tile>(stage_a(s), A, M, row0, K, kt * Tile::BK, Tile::BM, vectorized);
    load_tile<Tile>(stage_b(s), B, N, col0, K, kt * Tile::BK, Tile::BN, vectorized);
  };

  // One commit group per k-tile (empty past the end), so "all but STAGES - 2 groups done" means tile kt is in.
#pragma unroll
  for (int s = 0; s < Tile::STAGES - 1; s++) {
    if (s < ktiles) load_stage(s, s);
    cp_async_commit();
  }
  for (int kt = 0; kt < ktiles; kt++) {
    cp_async_wait<Tile::STAGES - 2>();
    // Tile kt is visible to all, and every warp is done with the stage the next load overwrites.
    __syncthreads();
    const int next = kt + Tile::STAGES - 1;
    if (next < ktiles) load_stage(next % Tile::STAGES, next);
    cp_async_commit();

    const T* As = stage_a(kt % Tile::STAGES);
    const T* Bs = stage_b(kt % Tile::STAGES);
#pragma unroll
    for (int kk = 0; kk < Tile::BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a[Tile::FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b[Tile::FN];
#pragma unroll
      for (int i = 0; i < Tile::FM; i++) {
        wmma::load_matrix_sync(a[i], As + (wm * Tile::WM + i * 16) * Tile::LDS + kk, Tile::LDS);
      }
#pragma unroll
      for (int j = 0; j < Tile::FN; j++) {
        // B's rows are C's columns: row-major [N, K] read as a column-major K x N operand.
        wmma::load_matrix_sync(b[j], Bs + (wn * Tile::WN + j * 16) * Tile::LDS + kk, Tile::LDS);
      }
#pragma unroll
      for (int i = 0; i < Tile::FM; i++) {
#pragma unroll
        for (int j = 0; j < Tile::FN; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
      }
    }
  }
  cp_async_wait<0>();
  __syncthreads();  // the pipeline's memory becomes the epilogue's staging area

  float* staging = reinterpret_cast<float*>(smem_raw) + warp * 256;
  const bool direct = N % 8 == 0 && reinterpret_cast<uintptr_t>(C) % 32 == 0;
#pragma unroll
  for (int i = 0; i < Tile::FM; i++) {
#pragma unroll
    for (int j = 0; j < Tile::FN; j++) {
      const int r = row0 + wm * Tile::WM + i * 16;
      const int c = col0 + wn * Tile::WN + j * 16;
      if (r >= M || c >= N) continue;  // uniform per warp
      if (direct && r + 16 <= M && c + 16 <= N) {
        wmma::store_matrix_sync(C + static_cast<int64_t>(r) * N + c, acc[i][j], N, wmma::mem_row_major);
      } else {
        wmma::store_matrix_sync(staging, acc[i][j], 16, wmma::mem_row_major);
        __syncwarp();
        for (int e = lane; e < 256; e += 32) {
          const int rr = r + e / 16;
          const int cc = c + e % 16;
          if (rr < M && cc < N) C[static_cast<int64_t>(rr) * N + cc] = staging[e];
        }
        __syncwarp();
      }
    }
  }
}

}  // namespace moe
