package dev.sparkmoe.cuda;

import static dev.sparkmoe.core.Checks.checkArgument;

import dev.sparkmoe.core.backend.DeviceTokenRows;
import dev.sparkmoe.core.backend.TokenOffsets;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The token-owner side's first step on the GPU: the embedding rows of a batch's token ids, gathered
 * on the device ({@code moe_gather_rows}, the table in f32, the output in the backend's tensor
 * dtype, row-major {@code [ids, hidden]} in the order of the values buffer). Two inputs, one
 * kernel: {@link #gather(DeviceTokenRows)} reads ids that already live on the GPU (a RAPIDS batch's
 * cudf column) in place, on the stream their producer uses; {@link #gather(int[][])} uploads host
 * ids first, the path the in-place one must match bit for bit.
 *
 * <p>Not checked on the device: that every id is below the vocabulary size (the gather kernel does
 * not bound its reads). Offsets are checked on the host copy ({@link TokenOffsets}).
 *
 * <p>Owns the device table; {@link #close()} frees it. Not thread-safe.
 */
public final class DeviceTokenEmbedding implements AutoCloseable {
  private final CudaContext context;
  private final Kernels kernels;
  private final DeviceMemory memory;
  private final TensorDtype dtype;
  private final int vocab;
  private final int hidden;
  private final DeviceBuffer table;

  private DeviceTokenEmbedding(
      CudaContext context,
      Kernels kernels,
      DeviceMemory memory,
      TensorDtype dtype,
      float[] table,
      int vocab,
      int hidden) {
    this.context = context;
    this.kernels = kernels;
    this.memory = memory;
    this.dtype = dtype;
    this.vocab = vocab;
    this.hidden = hidden;
    this.table = memory.allocate("embedding table", 4L * table.length);
    CudaDriver.copyHostToDevice(this.table.pointer(), Pointer.to(table), 4L * table.length);
  }

  /**
   * Uploads {@code table} (f32, row-major {@code [vocab, hidden]}) into {@code memory}, with the
   * context current.
   */
  public static DeviceTokenEmbedding upload(
      CudaContext context,
      Kernels kernels,
      DeviceMemory memory,
      TensorDtype dtype,
      float[] table,
      int hidden) {
    checkArgument(hidden > 0, "Invalid hidden size: %d (expected: > 0)", hidden);
    checkArgument(
        table.length % hidden == 0,
        "Invalid embedding table: %d values (expected: a multiple of hidden size %d)",
        table.length,
        hidden);
    context.makeCurrent();
    return new DeviceTokenEmbedding(
        context, kernels, memory, dtype, table, table.length / hidden, hidden);
  }

  public int vocab() {
    return vocab;
  }

  /**
   * The embeddings of every id from the first row's start to the last row's end, read in place on
   * {@code rows}' stream; returns once they are written. The caller owns the buffer.
   *
   * @throws IllegalArgumentException if the rows live on another GPU, or their offsets are invalid
   *     (the message names the row)
   */
  public DeviceBuffer gather(DeviceTokenRows rows) {
    checkArgument(
        rows.deviceOrdinal() == context.ordinal(),
        "Cannot read the device token rows of GPU %d: the embedding lives on GPU %d (run the task"
            + " on the GPU that holds its batch)",
        rows.deviceOrdinal(),
        context.ordinal());
    TokenOffsets offsets = rows.offsets();
    checkArgument(
        offsets.rows() == rows.rows(),
        "Invalid device token rows: %d offsets rows (expected: %d)",
        offsets.rows(),
        rows.rows());
    context.makeCurrent();
    CUdeviceptr ids = address(rows.valuesAddress()).withByteOffset(4L * offsets.first());
    return gatherOn(ids, offsets.span(), stream(rows.stream()));
  }

  /** The same embeddings from host ids, uploaded first: the reference for the in-place path. */
  public DeviceBuffer gather(int[][] tokens) {
    int count = 0;
    for (int[] row : tokens) {
      count += row.length;
    }
    int[] flat = new int[count];
    int at = 0;
    for (int[] row : tokens) {
      System.arraycopy(row, 0, flat, at, row.length);
      at += row.length;
    }
    context.makeCurrent();
    try (DeviceBuffer ids = memory.allocate("uploaded token ids", 4L * Math.max(1, count));
        CudaStream stream = CudaStream.legacyDefault()) {
      CudaDriver.copyHostToDevice(ids.pointer(), Pointer.to(flat), 4L * count);
      return gatherOn(ids.pointer(), count, stream);
    }
  }

  private DeviceBuffer gatherOn(CUdeviceptr ids, int count, CudaStream stream) {
    DeviceBuffer out =
        memory.allocate("token embeddings", (long) Math.max(1, count) * hidden * dtype.sizeBytes());
    try {
      kernels.gatherRows(dtype, table.pointer(), ids, count, hidden, out.pointer(), stream);
      stream.synchronize();
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /**
   * The bits of the first {@code ids} embeddings of a buffer {@link #gather} returned, copied to
   * the host: for checks.
   */
  public short[] download(DeviceBuffer embeddings, int ids) {
    short[] bits = new short[ids * hidden];
    context.makeCurrent();
    CudaDriver.copyDeviceToHost(Pointer.to(bits), embeddings.pointer(), 2L * bits.length);
    return bits;
  }

  /** A driver-API pointer at a raw device address (one another library allocated). */
  static CUdeviceptr address(long address) {
    return new CUdeviceptr().withByteOffset(address);
  }

  static CudaStream stream(DeviceTokenRows.DeviceStream stream) {
    return switch (stream) {
      case PER_THREAD_DEFAULT -> CudaStream.perThreadDefault();
      case LEGACY_DEFAULT -> CudaStream.legacyDefault();
    };
  }

  @Override
  public void close() {
    table.close();
  }
}
