package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GemmTileTest {
  @Test
  void sharedMemoryMatchesTheKernelsPipeline() {
    assertThat(GemmTile.LARGE.sharedBytes())
        .as("3 stages x (128 + 128) rows x (32 + 8) halves x 2 bytes, as gemm.cuh computes it")
        .isEqualTo(61_440);
    assertThat(GemmTile.SMALL.sharedBytes()).isEqualTo(30_720);
  }

  @Test
  void kernelNamesAreInTheKernelList() {
    for (GemmTile tile : GemmTile.values()) {
      for (TensorDtype dtype : TensorDtype.values()) {
        assertThat(Kernels.NAMES).contains(tile.kernelName(dtype));
      }
    }
    assertThat(GemmTile.LARGE.kernelName(TensorDtype.BF16)).isEqualTo("moe_gemm_bf16_128x128");
  }

  @Test
  void largeTileOnlyWhenItFillsTheGpu() {
    // H200: 132 multiprocessors.
    assertThat(GemmTile.choose(128, 4096, 132)).as("1 x 32 blocks").isEqualTo(GemmTile.SMALL);
    assertThat(GemmTile.choose(1024, 2 * 14336, 132))
        .as("8 x 224 blocks")
        .isEqualTo(GemmTile.LARGE);
    assertThat(GemmTile.choose(1, 1, 1)).isEqualTo(GemmTile.LARGE);
    assertThat(GemmTile.LARGE.blocks(129, 257)).isEqualTo(2 * 3);
  }
}
