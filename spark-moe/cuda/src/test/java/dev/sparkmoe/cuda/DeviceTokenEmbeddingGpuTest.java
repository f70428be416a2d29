package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.DeviceTokenRows;
import dev.sparkmoe.core.backend.TokenOffsets;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GPU-resident token input: ids already in device memory (the list layout a cudf column has,
 * offsets starting past 0 as in a sliced column, with empty and NULL rows), read in place on the
 * per-thread default stream, against the same ids uploaded from the host (bit for bit) and against
 * the table rounded to the dtype on the host (bit for bit). The cudf adapter itself
 * (spark-moe/rapids CudfTokenRows) needs the RAPIDS jar's natives, which the GPU bundle cannot
 * carry.
 */
@GpuTest
class DeviceTokenEmbeddingGpuTest {
  private static final int VOCAB = 997;
  private static final int HIDDEN = 96;
  private static GpuFixture gpu;

  @BeforeAll
  static void open() {
    gpu = GpuFixture.open("DeviceTokenEmbeddingGpuTest");
  }

  @AfterAll
  static void close() {
    gpu.close();
  }

  @Test
  void inPlaceIdsMatchUploadedIdsAndTheTable() {
    Random random = new Random(ThreadLocalRandom.current().nextLong());
    float[] table = new float[VOCAB * HIDDEN];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) random.nextGaussian();
    }
    int rows = 40;
    int lead = 5;
    int[] offsets = new int[rows + 1];
    offsets[0] = lead;
    for (int row = 0; row < rows; row++) {
      offsets[row + 1] = offsets[row] + (row % 9 == 4 ? 0 : 1 + random.nextInt(60));
    }
    int[] values = new int[offsets[rows] + 3];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextInt(VOCAB);
    }
    int[][] host = new int[rows][];
    for (int row = 0; row < rows; row++) {
      host[row] = java.util.Arrays.copyOfRange(values, offsets[row], offsets[row + 1]);
    }
    int count = offsets[rows] - lead;
    for (TensorDtype dtype : TensorDtype.values()) {
      try (DeviceTokenEmbedding embedding =
              DeviceTokenEmbedding.upload(
                  gpu.context, gpu.kernels, gpu.memory, dtype, table, HIDDEN);
          DeviceBuffer deviceOffsets = gpu.ints("offsets", offsets);
          DeviceBuffer deviceValues = gpu.ints("values", values);
          DeviceBuffer inPlace =
              embedding.gather(rowsOver(deviceOffsets, deviceValues, offsets, values.length));
          DeviceBuffer uploaded = embedding.gather(host)) {
        short[] fromDevice = gpu.readShorts(inPlace, count * HIDDEN);
        assertThat(fromDevice)
            .as("%s: in place vs uploaded ids", dtype)
            .isEqualTo(gpu.readShorts(uploaded, count * HIDDEN));
        for (int i = 0; i < count * HIDDEN; i++) {
          int id = values[lead + i / HIDDEN];
          assertThat(fromDevice[i])
              .as("%s: id %d, column %d", dtype, id, i % HIDDEN)
              .isEqualTo(dtype.bits(table[id * HIDDEN + i % HIDDEN]));
        }
      }
    }
  }

  @Test
  void rowsOfAnotherGpuAreRefused() {
    try (DeviceTokenEmbedding embedding =
        DeviceTokenEmbedding.upload(
            gpu.context, gpu.kernels, gpu.memory, TensorDtype.BF16, new float[HIDDEN], HIDDEN)) {
      DeviceTokenRows elsewhere =
          new Rows(
              1, 0, 0, 0, TokenOffsets.of(new int[] {0, 0}, null, 0), gpu.context.ordinal() + 1);
      assertThatThrownBy(() -> embedding.gather(elsewhere))
          .hasMessage(
              "Cannot read the device token rows of GPU %d: the embedding lives on GPU %d (run the"
                  + " task on the GPU that holds its batch)",
              gpu.context.ordinal() + 1, gpu.context.ordinal());
    }
  }

  private static DeviceTokenRows rowsOver(
      DeviceBuffer offsets, DeviceBuffer values, int[] hostOffsets, int valueCount) {
    return new Rows(
        hostOffsets.length - 1,
        address(offsets.pointer()),
        address(values.pointer()),
        valueCount,
        TokenOffsets.of(hostOffsets, null, valueCount),
        gpu.context.ordinal());
  }

  /** The raw address, as another library (cudf) would hand it over. */
  private static long address(CUdeviceptr pointer) {
    return CudaDriver.address(pointer);
  }

  private record Rows(
      int rows,
      long offsetsAddress,
      long valuesAddress,
      long valueCount,
      TokenOffsets offsets,
      int deviceOrdinal)
      implements DeviceTokenRows {
    @Override
    public DeviceStream stream() {
      return DeviceStream.PER_THREAD_DEFAULT;
    }
  }
}
