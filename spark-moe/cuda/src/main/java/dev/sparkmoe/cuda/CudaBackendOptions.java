package dev.sparkmoe.cuda;

import dev.sparkmoe.core.config.MoeOptions;

/**
 * How a {@link CudaExpertBackend} runs.
 *
 * @param deviceAddress the GPU, as Spark's resource address names it (a CUDA device ordinal)
 * @param dtype the tensor-core type weights and activations are rounded to; accumulation is f32
 * @param chunkTokens tokens per pipelined chunk: a batch of more is split, and chunk i+1 uploads
 *     while chunk i computes; also the size of the device workspace
 */
public record CudaBackendOptions(String deviceAddress, TensorDtype dtype, int chunkTokens) {
  /** JVM system property naming the GPU address: {@link MoeOptions#CUDA_DEVICE}. */
  public static final String DEVICE_PROPERTY = MoeOptions.CUDA_DEVICE.confKey();

  /** JVM system property naming the dtype: {@link MoeOptions#CUDA_DTYPE}. */
  public static final String DTYPE_PROPERTY = MoeOptions.CUDA_DTYPE.confKey();

  /** JVM system property for {@link #chunkTokens}: {@link MoeOptions#CUDA_CHUNK_TOKENS}. */
  public static final String CHUNK_TOKENS_PROPERTY = MoeOptions.CUDA_CHUNK_TOKENS.confKey();

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

  /**
   * The registry's defaults: GPU 0, bf16 (the range of f32, so no overflow on any checkpoint),
   * 2048-token chunks.
   */
  public static CudaBackendOptions defaults() {
    return new CudaBackendOptions(
        MoeOptions.CUDA_DEVICE.defaultValue(),
        TensorDtype.parse(MoeOptions.CUDA_DTYPE.defaultValue()),
        MoeOptions.CUDA_CHUNK_TOKENS.parse(MoeOptions.CUDA_CHUNK_TOKENS.defaultValue()));
  }

  /**
   * The defaults overridden by the {@code spark.moe.cuda.*} JVM system properties (set them on
   * executors with {@code spark.executor.extraJavaOptions}).
   *
   * @throws IllegalArgumentException if a property holds an invalid value
   */
  public static CudaBackendOptions fromSystemProperties() {
    return new CudaBackendOptions(
        MoeOptions.systemProperty(MoeOptions.CUDA_DEVICE),
        TensorDtype.parse(MoeOptions.systemProperty(MoeOptions.CUDA_DTYPE)),
        MoeOptions.systemProperty(MoeOptions.CUDA_CHUNK_TOKENS));
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
}
