package dev.sparkmoe.spark.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What an expert-parallel run did: its settings, per-layer load and traffic, per-executor expert
 * loads and throughput. Written as JSON next to the output by the CLI; returned by {@link
 * MoeInference#run}.
 *
 * @param model model directory
 * @param placement placement policy and its slot count
 * @param backend backend description (BLAS or GPU in use)
 * @param activationDtype dtype of activations in the shuffles
 * @param partitions token-owner partitions
 * @param slotLocations where each slot's expert tasks are pinned (Spark task locations), by slot
 * @param rows input rows
 * @param tokens input tokens
 * @param skippedRows rows left out because their tokens were invalid (with {@code --on-row-error
 *     skip})
 * @param wallSeconds driver-side time of the whole run
 * @param tokensPerSecond {@code tokens / wallSeconds}
 * @param layers one entry per layer
 * @param executors expert loads per executor
 * @param memory waves and JVM heap high-water marks; null in reports written before waves existed
 * @param loadBalance the measured routing load and what placement did with it
 * @param placementReason why this placement ran: the planner's reason under {@code auto}, else that
 *     it was asked for
 * @param loadSeconds expert weights fetched, decoded and made resident, summed over the executors
 *     and their threads (prefetches overlap compute, so this is work, not wall time)
 * @param loadBlockedSeconds of the expert tasks' time, what they spent waiting for experts to load:
 *     the part of {@code loadSeconds} on the critical path (the sum of the layers' {@link
 *     Layer#loadSeconds})
 * @param exchange which exchange ran and why, with the service's per-layer overlap; null in reports
 *     written before modes existed
 * @param generation latency, throughput and KV cache of kind {@code generate}; null for the others
 */
public record RunReport(
    String model,
    String placement,
    String backend,
    String activationDtype,
    int partitions,
    List<String> slotLocations,
    long rows,
    long tokens,
    long skippedRows,
    double wallSeconds,
    double tokensPerSecond,
    List<Layer> layers,
    List<Executor> executors,
    Memory memory,
    LoadBalance loadBalance,
    String placementReason,
    double loadSeconds,
    double loadBlockedSeconds,
    Exchange exchange,
    GenerationReport generation) {

  /**
   * One layer.
   *
   * @param bytesMinimum the least any exchange can move per direction: k × tokens × hidden ×
   *     activation bytes
   * @param balance mean over max token-expert pairs per slot (1 is perfect)
   * @param loadSeconds summed expert-task time blocked waiting for the layer's experts to be
   *     fetched, decoded and made resident (a prefetch still running included)
   */
  @SuppressWarnings("ArrayRecordComponent") // report values, built once
  public record Layer(
      int layer,
      double wallSeconds,
      long[] tokensPerExpert,
      List<SlotRun> slots,
      double balance,
      long bytesDispatched,
      long bytesCombined,
      long bytesMinimum,
      double ownerComputeSeconds,
      double expertComputeSeconds,
      double expertBlockedSeconds,
      double loadSeconds) {}

  /**
   * One slot's expert task in a layer.
   *
   * @param tokens token-expert pairs it computed
   * @param executorId the executor it ran on
   * @param pinned whether it ran on the executor its slot is pinned to (false: that executor was
   *     gone or busy past the locality wait, and the experts were loaded where it ran)
   * @param gpuAddress the GPU it was given, or null
   * @param blockedSeconds time it waited for decoded input (the rest of its time overlapped)
   */
  public record SlotRun(
      int slot,
      long tokens,
      String executorId,
      boolean pinned,
      String gpuAddress,
      double computeSeconds,
      double blockedSeconds) {}

  /**
   * One executor.
   *
   * @param expertLoads experts it made resident (each loaded once per executor)
   * @param gpuAddresses GPU addresses its expert tasks were given
   * @param loadSeconds time it spent loading those experts, summed over its threads
   */
  public record Executor(
      String executorId, int expertLoads, List<String> gpuAddresses, double loadSeconds) {}

  /**
   * How the input was cut into waves, and the memory the run took.
   *
   * @param waves waves the input rows were processed in, each through every layer
   * @param waveRows the most input rows per wave ({@code spark.moe.wave-rows}); 0: one wave
   * @param peakHeapBytes largest over the JVMs below of {@link Heap#peakHeapBytes}
   * @param peakLiveHeapBytes largest over the JVMs below of {@link Heap#peakLiveHeapBytes}
   * @param jvms each executor's JVM, and the driver's as {@code driver} (in local mode the same
   *     JVM)
   */
  public record Memory(
      int waves, long waveRows, long peakHeapBytes, long peakLiveHeapBytes, List<Heap> jvms) {}

  /**
   * One JVM's heap high-water marks during the run.
   *
   * @param peakHeapBytes the most heap in use, garbage included (read just before each garbage
   *     collection, between which heap use only grows)
   * @param peakLiveHeapBytes the most heap still in use right after a garbage collection (0: no
   *     collection ran): what the run really held at its peak
   * @param maxHeapBytes the heap's limit ({@code -Xmx})
   */
  public record Heap(
      String executorId, long peakHeapBytes, long peakLiveHeapBytes, long maxHeapBytes) {}

  /** This report with its waves and memory. */
  public RunReport withMemory(Memory value) {
    return new RunReport(
        model,
        placement,
        backend,
        activationDtype,
        partitions,
        slotLocations,
        rows,
        tokens,
        skippedRows,
        wallSeconds,
        tokensPerSecond,
        layers,
        executors,
        value,
        loadBalance,
        placementReason,
        loadSeconds,
        loadBlockedSeconds,
        exchange,
        generation);
  }

  /** This report with the statistics of kind {@code generate}. */
  public RunReport withGeneration(GenerationReport value) {
    return new RunReport(
        model,
        placement,
        backend,
        activationDtype,
        partitions,
        slotLocations,
        rows,
        tokens,
        skippedRows,
        wallSeconds,
        tokensPerSecond,
        layers,
        executors,
        memory,
        loadBalance,
        placementReason,
        loadSeconds,
        loadBlockedSeconds,
        exchange,
        value);
  }

  /** This report with the exchange that ran. */
  public RunReport withExchange(Exchange value) {
    return new RunReport(
        model,
        placement,
        backend,
        activationDtype,
        partitions,
        slotLocations,
        rows,
        tokens,
        skippedRows,
        wallSeconds,
        tokensPerSecond,
        layers,
        executors,
        memory,
        loadBalance,
        placementReason,
        loadSeconds,
        loadBlockedSeconds,
        value,
        generation);
  }

  /**
   * The exchange that carried the routed tokens.
   *
   * @param mode {@code shuffle}, {@code service} or {@code in-task} (no exchange)
   * @param reason why: the setting, or what {@code auto} saw
   * @param serviceLayers in service mode, one entry per layer; else empty
   */
  public record Exchange(String mode, String reason, List<ServiceLayer> serviceLayers) {}

  /**
   * One layer in service mode, summed over waves, owner partitions and servers.
   *
   * @param ownerComputeSeconds owners' routing and combining
   * @param expertWaitSeconds owners' time blocked on the servers (what the micro-batches did not
   *     hide)
   * @param serverBusyFraction servers' compute time over compute and idle time
   * @param maxQueueDepth the most decoded requests waiting at one server
   * @param requests requests the servers answered (resends count again)
   * @param computations gathered expert computations: requests / computations is the gather
   */
  public record ServiceLayer(
      int layer,
      double ownerComputeSeconds,
      double expertWaitSeconds,
      double serverBusyFraction,
      int maxQueueDepth,
      long requests,
      long computations) {}

  /**
   * Routing load and load balancing. The measured balancedness of every layer is {@link
   * Layer#balance}.
   *
   * @param sampleRows input rows whose routing the driver measured before the job
   * @param sampleTokens their tokens, plus with waves the tokens of every wave but the last
   * @param sampleSeconds driver time spent on the sample
   * @param sampledTokensPerExpert per layer, tokens per expert that the last wave's placement was
   *     planned from ([layers][experts]): the driver's sample, plus with waves what the expert
   *     tasks of every wave but the last counted
   * @param replicas the hot-expert replica setting ({@code none}, {@code auto} or a number)
   * @param replicasPerExpert per layer, replicas of each expert (1 without replication)
   * @param dataParallel copies of the whole expert set
   * @param expertTp tensor-parallel shards per expert (1: none)
   * @param plannedBalanceBefore per layer, balancedness the policy's placement would have on the
   *     sampled load
   * @param plannedBalanceAfter per layer, the same for the placement that ran
   * @param capacityFactor the capacity factor, or null for dropless
   * @param capacity tokens an expert computes at most per layer (with waves, the largest over the
   *     waves, each capped on its own tokens), or -1 for dropless
   * @param droppedTokensPerExpert per layer, tokens each expert dropped over its capacity (empty
   *     arrays when dropless)
   * @param droppedTokens the sum of {@code droppedTokensPerExpert}
   */
  @SuppressWarnings("ArrayRecordComponent") // report values, built once
  public record LoadBalance(
      long sampleRows,
      long sampleTokens,
      double sampleSeconds,
      long[][] sampledTokensPerExpert,
      String replicas,
      int[][] replicasPerExpert,
      int dataParallel,
      int expertTp,
      double[] plannedBalanceBefore,
      double[] plannedBalanceAfter,
      Double capacityFactor,
      long capacity,
      long[][] droppedTokensPerExpert,
      long droppedTokens) {}

  public String toJson() {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(
          "Cannot write the run report of " + model + " as JSON: " + e.getOriginalMessage(), e);
    }
  }
}
