package dev.sparkmoe.rapids;

import static dev.sparkmoe.core.Checks.checkArgument;

import ai.rapids.cudf.BaseDeviceMemoryBuffer;
import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.ColumnView;
import ai.rapids.cudf.Cuda;
import ai.rapids.cudf.DType;
import ai.rapids.cudf.HostColumnVector;
import ai.rapids.cudf.HostMemoryBuffer;
import dev.sparkmoe.core.backend.DeviceTokenRows;
import dev.sparkmoe.core.backend.TokenOffsets;

/**
 * A cudf {@code list<int32>} column (a RAPIDS columnar batch's token column) as {@link
 * DeviceTokenRows}: the offsets and the child's data are cudf's own device buffers, in the primary
 * context of the current device (cudf uses the runtime API), ordered by the per-thread default
 * stream when cudf is built with it (RAPIDS is). Only the offsets ({@code 4 (rows + 1)} bytes) and,
 * where there are NULL rows, the null flags are copied to the host, to be checked; the ids stay on
 * the GPU.
 *
 * <p>Borrows the column: the caller keeps it open until the consumer's work is done.
 */
public final class CudfTokenRows implements DeviceTokenRows {
  private final int rows;
  private final long offsetsAddress;
  private final long valuesAddress;
  private final long valueCount;
  private final TokenOffsets offsets;
  private final int deviceOrdinal;
  private final DeviceStream stream;

  private CudfTokenRows(ColumnView lists, ColumnView ids) {
    BaseDeviceMemoryBuffer offsetBuffer = lists.getOffsets();
    this.rows = (int) lists.getRowCount();
    this.offsetsAddress = offsetBuffer.getAddress();
    this.valuesAddress = ids.getRowCount() == 0 ? 0 : ids.getData().getAddress();
    this.valueCount = ids.getRowCount();
    this.offsets = TokenOffsets.of(hostOffsets(offsetBuffer, rows), nulls(lists), valueCount);
    this.deviceOrdinal = Cuda.getDevice();
    this.stream =
        Cuda.isPtdsEnabled() ? DeviceStream.PER_THREAD_DEFAULT : DeviceStream.LEGACY_DEFAULT;
  }

  /**
   * The rows of {@code tokens}, a {@code list<int32>} column.
   *
   * @throws IllegalArgumentException if the column is not a list of int32, or its offsets are
   *     invalid (the message names the row)
   */
  public static CudfTokenRows of(ColumnView tokens) {
    checkArgument(
        tokens.getType().equals(DType.LIST),
        "Invalid token column type: %s (expected: LIST of INT32, array<int>)",
        tokens.getType());
    checkArgument(
        tokens.getRowCount() < Integer.MAX_VALUE,
        "Invalid token column: %d rows (expected: fewer than 2^31 - 1 in one batch)",
        tokens.getRowCount());
    try (ColumnView ids = tokens.getChildColumnView(0)) {
      checkArgument(
          ids.getType().equals(DType.INT32),
          "Invalid token id type: %s (expected: INT32, array<int>)",
          ids.getType());
      return new CudfTokenRows(tokens, ids);
    }
  }

  private static int[] hostOffsets(BaseDeviceMemoryBuffer offsets, int rows) {
    int[] host = new int[rows + 1];
    if (offsets == null) {
      return host; // cudf leaves the offsets of a list column with no rows unallocated
    }
    try (HostMemoryBuffer copy = HostMemoryBuffer.allocate(offsets.getLength())) {
      copy.copyFromDeviceBuffer(offsets);
      copy.getInts(host, 0, 0, rows + 1);
    }
    return host;
  }

  private static boolean[] nulls(ColumnView lists) {
    if (lists.getNullCount() == 0) {
      return null;
    }
    boolean[] nulls = new boolean[(int) lists.getRowCount()];
    try (ColumnVector flags = lists.isNull();
        HostColumnVector host = flags.copyToHost()) {
      for (int row = 0; row < nulls.length; row++) {
        nulls[row] = host.getBoolean(row);
      }
    }
    return nulls;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public long offsetsAddress() {
    return offsetsAddress;
  }

  @Override
  public long valuesAddress() {
    return valuesAddress;
  }

  @Override
  public long valueCount() {
    return valueCount;
  }

  @Override
  public TokenOffsets offsets() {
    return offsets;
  }

  @Override
  public DeviceStream stream() {
    return stream;
  }

  @Override
  public int deviceOrdinal() {
    return deviceOrdinal;
  }
}
