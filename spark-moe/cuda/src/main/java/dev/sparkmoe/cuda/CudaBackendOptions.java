package dev.sparkmoe.cuda;

/**
 * How a {@link CudaExpertBackend} runs.
 *
 * @param deviceAddress the GPU, as Spark's resource address names it (a CUDA device ordinal)
 * @param dtype the tensor-core type weights and activations are rounded to; accumulation is f32
 * @param chunkTokens tokens per pipelined chunk: a batch of more is split, and chunk i+1 uploads
 *     while chunk i computes; also the size of the device workspace
 */
public record CudaBackendOptions(String deviceAddress, TensorDtype dtype, int chunkTokens) {
  /** JVM system property naming the GPU address (default {@code 0}). */
  public static final String DEVICE_PROPERTY = "spark.moe.cuda.device";

  /** JVM system property naming the dtype, {@code f16} or {@code bf16} (default {@code bf16}). */
  public static final String DTYPE_PROPERTY = "spark.moe.cuda.dtype";

  /** JVM system property for {@link #chunkTokens} (default 2048). */
  public static final String CHUNK_TOKENS_PROPERTY = "spark.moe.cuda.chunk-tokens";

  static final int DEFAULT_CHUNK_TOKENS = 2048;

  public CudaBackendOptions {
    if (deviceAddress == null || deviceAddress.isBlank()) {
      throw new IllegalArgumentException(
          "Invalid GPU address: " + deviceAddress + " (expected: a CUDA device ordinal)");
    }
    if (dtype == null) {
      throw new IllegalArgumentException("Invalid CUDA dtype: null (expected: f16, bf16)");
    }
    if (chunkTokens < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid chunk tokens: %d (expected: >= 1)", chunkTokens));
    }
  }

  /** GPU 0, bf16 (the range of f32, so no overflow on any checkpoint), 2048-token chunks. */
  public static CudaBackendOptions defaults() {
    return new CudaBackendOptions("0", TensorDtype.BF16, DEFAULT_CHUNK_TOKENS);
  }

  /**
   * The defaults overridden by the {@code spark.moe.cuda.*} JVM system properties (set them on
   * executors with {@code spark.executor.extraJavaOptions}).
   *
   * @throws IllegalArgumentException if a property holds an invalid value
   */
  public static CudaBackendOptions fromSystemProperties() {
    CudaBackendOptions d = defaults();
    String chunk = System.getProperty(CHUNK_TOKENS_PROPERTY);
    return new CudaBackendOptions(
        System.getProperty(DEVICE_PROPERTY, d.deviceAddress()),
        TensorDtype.parse(System.getProperty(DTYPE_PROPERTY, d.dtype().label())),
        chunk == null ? d.chunkTokens() : parseChunkTokens(chunk));
  }

  public CudaBackendOptions withDeviceAddress(String address) {
    return new CudaBackendOptions(address, dtype, chunkTokens);
  }

  public CudaBackendOptions withDtype(TensorDtype type) {
    return new CudaBackendOptions(deviceAddress, type, chunkTokens);
  }

  public CudaBackendOptions withChunkTokens(int tokens) {
    return new CudaBackendOptions(deviceAddress, dtype, tokens);
  }

  private static int parseChunkTokens(String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s: %s (expected: a positive integer)", CHUNK_TOKENS_PROPERTY, value),
          e);
    }
  }
}
