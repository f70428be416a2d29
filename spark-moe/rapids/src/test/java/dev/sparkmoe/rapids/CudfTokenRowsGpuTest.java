package dev.sparkmoe.rapids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.DType;
import ai.rapids.cudf.HostColumnVector;
import dev.sparkmoe.cuda.CudaContext;
import dev.sparkmoe.cuda.DeviceBuffer;
import dev.sparkmoe.cuda.DeviceMemory;
import dev.sparkmoe.cuda.DeviceTokenEmbedding;
import dev.sparkmoe.cuda.Kernels;
import dev.sparkmoe.cuda.TensorDtype;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A cudf list column fed in place to the CUDA backend's embedding gather ({@link CudfTokenRows}:
 * cudf's device addresses, its stream, the primary context cudf and the backend share), against the
 * same ids uploaded from the host, bit for bit. Needs a GPU and the RAPIDS jar's natives: tagged
 * {@code gpu} (see {@link GpuTokenFunctionsTest} for how to run it); the GPU check bundle cannot
 * carry libcudf (native/README.md).
 */
@Tag("gpu")
class CudfTokenRowsGpuTest {
  private static final HostColumnVector.DataType TOKEN_LISTS =
      new HostColumnVector.ListType(true, new HostColumnVector.BasicType(true, DType.INT32));
  private static final int VOCAB = 501;
  private static final int HIDDEN = 64;

  @Test
  @SuppressWarnings("unchecked")
  void aCudfColumnIsReadInPlaceLikeHostIds() {
    Random random = new Random(ThreadLocalRandom.current().nextLong());
    List<List<Integer>> rows = new ArrayList<>();
    for (int row = 0; row < 60; row++) {
      rows.add(
          row % 11 == 10 ? null : randomIds(random, row % 7 == 3 ? 0 : 1 + random.nextInt(80)));
    }
    float[] table = new float[VOCAB * HIDDEN];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) random.nextGaussian();
    }
    CudaContext context = CudaContext.forAddress("0");
    try (ColumnVector tokens = ColumnVector.fromLists(TOKEN_LISTS, rows.toArray(new List[0]));
        DeviceMemory memory = DeviceMemory.open("CudfTokenRowsGpuTest");
        Kernels kernels = Kernels.load(context);
        DeviceTokenEmbedding embedding =
            DeviceTokenEmbedding.upload(
                context, kernels, memory, TensorDtype.BF16, table, HIDDEN)) {
      CudfTokenRows deviceRows = CudfTokenRows.of(tokens);
      int[][] host = new int[rows.size()][];
      for (int row = 0; row < rows.size(); row++) {
        assertThat(deviceRows.offsets().isNull(row))
            .as("row %d NULL", row)
            .isEqualTo(rows.get(row) == null);
        host[row] =
            rows.get(row) == null ? new int[0] : rows.get(row).stream().mapToInt(i -> i).toArray();
        assertThat(deviceRows.offsets().length(row))
            .as("row %d length", row)
            .isEqualTo(host[row].length);
      }
      int count = deviceRows.offsets().span();
      try (DeviceBuffer inPlace = embedding.gather(deviceRows);
          DeviceBuffer uploaded = embedding.gather(host)) {
        assertThat(embedding.download(inPlace, count))
            .as("in place vs uploaded")
            .isEqualTo(embedding.download(uploaded, count));
      }
    }
  }

  @Test
  void aColumnOfLongsIsRefused() {
    try (ColumnVector longs = ColumnVector.fromLongs(1, 2)) {
      assertThatThrownBy(() -> CudfTokenRows.of(longs))
          .hasMessage("Invalid token column type: INT64 (expected: LIST of INT32, array<int>)");
    }
  }

  private static List<Integer> randomIds(Random random, int size) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ids.add(random.nextInt(VOCAB));
    }
    return ids;
  }
}
