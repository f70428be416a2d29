package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CostModelTest {
  private static final double TIGHT = 1e-9;
  private final SplittableRandom random = new SplittableRandom();

  private DeviceSpec randomDevice() {
    return new DeviceSpec(
        "test-gpu",
        (100 + random.nextInt(900)) * 1e12,
        (1 + random.nextDouble() * 4) * 1e12,
        80_000_000_000L,
        random.nextDouble() * 5e-6);
  }

  private static ClusterSpec cluster(DeviceSpec device, int nodes, int perNode) {
    return new ClusterSpec(
        "test", nodes, perNode, device, new LinkSpec(400e9, 2e-6), new LinkSpec(40e9, 6e-6), null);
  }

  @Test
  void oneDeviceLayerIsOwnerRooflinePlusExpertRoofline() {
    DeviceSpec device = randomDevice();
    ModelShape model = new ModelShape("m", 1, 1, 1, 512 + random.nextInt(512), 1024, 0, 0, 2);
    long tokens = 1 + random.nextInt(4096);
    Workload workload = Workload.gpuBatch(tokens, 64);
    Layout layout = Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 1);

    Prediction p = CostModel.uncalibrated().predict(cluster(device, 1, 1), model, workload, layout);

    double h = model.hidden();
    double ownerFlops = tokens * 2 * h * 1;
    double ownerBytes = h * 1 * 2 + 4.0 * tokens * h * 2;
    double owner =
        Math.max(ownerFlops / device.flopsPerSecond(), ownerBytes / device.memoryBytesPerSecond())
            + 4 * device.kernelLaunchSeconds();
    double expertFlops = tokens * 6 * h * 1024;
    double expertBytes = 3 * h * 1024 * 2 + 2.0 * tokens * h * 2;
    double expert =
        Math.max(expertFlops / device.flopsPerSecond(), expertBytes / device.memoryBytesPerSecond())
            + 3 * device.kernelLaunchSeconds();
    LayerCost layer = p.layers().get(0);
    assertThat(layer.dispatchSeconds())
        .as("owner and expert on one device: nothing moves")
        .isZero();
    assertThat(layer.ownerSeconds()).isCloseTo(owner, within(owner * TIGHT));
    assertThat(layer.expertSeconds()).isCloseTo(expert, within(expert * TIGHT));
    assertThat(p.latencySeconds())
        .as("hand-computed roofline: owner + expert")
        .isCloseTo(owner + expert, within((owner + expert) * TIGHT));
    assertThat(p.tokensPerSecond()).isCloseTo(tokens / (owner + expert), within(1e-6 * tokens));
  }

  @Test
  void dispatchAcrossNodesMovesHalfOfEachOwnersPairsOverInfiniband() {
    ClusterSpec cluster = cluster(randomDevice(), 2, 1);
    ModelShape model = new ModelShape("m", 1, 2, 1, 1024, 256, 0, 0, 2);
    long tokens = 2 * (100 + random.nextInt(10_000));
    Workload workload = Workload.gpuBatch(tokens, 1);
    Layout layout = Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 2);

    LayerCost layer =
        CostModel.uncalibrated().predict(cluster, model, workload, layout).layers().get(0);

    // Each device owns tokens/2 and hosts one expert (tokens/2 pairs with top-1 and an even
    // router); half of those pairs come from the other node.
    double bytes = tokens / 4.0 * (1024 * 2 + Workload.PAIR_OVERHEAD_BYTES);
    double expected = 6e-6 + bytes / 40e9;
    assertThat(layer.dispatchSeconds()).isCloseTo(expected, within(expected * TIGHT));
    assertThat(layer.combineSeconds()).isEqualTo(layer.dispatchSeconds());
  }

  @Test
  void layersOnTheirOwnDevicesPipelineAndSharedLayersDoNot() {
    ModelShape model = ModelShape.preset("seed-4x16").withWeightBytes(2);
    ClusterSpec cluster = ClusterPresets.h100(8, 8);
    Workload workload = Workload.gpuBatch(512 + random.nextInt(2048), 128);
    CostModel costModel = CostModel.uncalibrated();

    Prediction own =
        costModel.predict(
            cluster, model, workload, Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 64));
    Prediction shared =
        costModel.predict(
            cluster, model, workload, Layouts.of(PlacementPolicy.SHARED_LAYERS, model, 16));

    double slowestLayer =
        own.layers().stream().mapToDouble(LayerCost::totalSeconds).max().orElseThrow();
    assertThat(own.pipelineStages()).isEqualTo(4);
    assertThat(own.tokensPerSecond())
        .as("4 stages: throughput set by the slowest layer")
        .isCloseTo(workload.tokensPerBatch() / slowestLayer, within(1e-6 * own.tokensPerSecond()));
    assertThat(shared.pipelineStages()).isEqualTo(1);
    assertThat(shared.tokensPerSecond()).isEqualTo(shared.oneBatchTokensPerSecond());
  }

  @Test
  void tensorParallelSplitsComputeButEveryShardSeesAllTokens() {
    DeviceSpec device = new DeviceSpec("slow-math", 1e12, 1e15, 80_000_000_000L, 0);
    ClusterSpec cluster = cluster(device, 1, 8);
    ModelShape model = new ModelShape("m", 1, 1, 1, 1024, 4096, 0, 0, 2);
    Workload workload = Workload.gpuBatch(10_000 + random.nextInt(10_000), 1);
    CostModel costModel = CostModel.uncalibrated();

    LayerCost whole =
        costModel
            .predict(cluster, model, workload, Layouts.tensorPipeline(model, 1, 1))
            .layers()
            .get(0);
    LayerCost split =
        costModel
            .predict(cluster, model, workload, Layouts.tensorPipeline(model, 8, 1))
            .layers()
            .get(0);

    assertThat(split.expertSeconds())
        .as("compute-bound expert split 8 ways")
        .isCloseTo(whole.expertSeconds() / 8, within(whole.expertSeconds() * 1e-3));
    assertThat(whole.dispatchSeconds()).isZero();
    assertThat(split.dispatchSeconds())
        .as("each shard receives the other owners' tokens")
        .isPositive();
  }

  @Test
  void sparkLayerIsStagesOfWorkOverTheSharedCores() {
    double stage = random.nextDouble() * 0.1;
    double task = random.nextDouble() * 0.01;
    double perByte = random.nextDouble() * 1e-8;
    SparkCosts costs = new SparkCosts(1, task, stage, perByte);
    ClusterSpec cluster = ClusterPresets.cpuLocal(1, costs);
    ModelShape model = new ModelShape("m", 1, 1, 1, 64, 96, 0, 0, 4);
    long tokens = 64 + random.nextInt(1000);
    Workload workload = Workload.sparkRun(tokens, 16, 4, 1);
    KernelCalibration kernels =
        KernelCalibration.of(
            java.util.List.of(
                new KernelCalibration.Row(
                    ClusterPresets.CPU_CORE, "expert-ffn", "f32", 1, 64, 96, 1e-4),
                new KernelCalibration.Row(
                    ClusterPresets.CPU_CORE, "expert-ffn", "f32", 2000, 64, 96, 0.1001)),
            "test");

    Prediction p =
        new CostModel(kernels)
            .predict(cluster, model, workload, Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 1));

    double bytes = tokens * (64 * 4 + Workload.PAIR_OVERHEAD_BYTES);
    double expertCall = 1e-4 + (tokens - 1) * (0.1001 - 1e-4) / 1999;
    double router = tokens * 2.0 * 64 / ClusterPresets.CPU.flopsPerSecond();
    double expected =
        bytes * perByte / 2 // dispatch map stage
            + expertCall
            + bytes * perByte // expert stage: its compute, decode and encode
            + bytes * perByte / 2 // owner stage: combine decode (no next layer to route)
            + 3 * stage
            + 3 * task;
    LayerCost layer = p.layers().get(0);
    assertThat(layer.totalSeconds()).isCloseTo(expected, within(expected * 1e-9));
    assertThat(p.latencySeconds() - layer.totalSeconds())
        .as("input stage, and the embedding stage that routes layer 0")
        .isCloseTo(2 * (stage + task) + router, within(1e-12));
  }

  @Test
  void observedLoadSlowsTheSlotWithTheHotExpert() {
    ModelShape model = new ModelShape("m", 1, 4, 1, 1024, 2816, 0, 0, 2);
    ClusterSpec cluster = ClusterPresets.h100(1, 4);
    Workload even = Workload.gpuBatch(100_000, 1);
    Workload skewed = even.withObservedLoad(new long[][] {{70, 10, 10, 10}});
    Layout layout = Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 4);
    CostModel costModel = CostModel.uncalibrated();

    double evenExpert =
        costModel.predict(cluster, model, even, layout).layers().get(0).expertSeconds();
    double hotExpert =
        costModel.predict(cluster, model, skewed, layout).layers().get(0).expertSeconds();

    assertThat(skewed.loadOf(0, 0, 4)).isEqualTo(0.7);
    assertThat(hotExpert)
        .as("the hot slot takes 70%% of the pairs, not 25%%")
        .isGreaterThan(2.5 * evenExpert);
  }

  @Test
  void rejectsALayoutForAnotherModelOrABiggerCluster() {
    ModelShape model = ModelShape.preset("tiny");
    ModelShape other = new ModelShape("other", 3, 8, 2, 64, 96, 0, 0, 4);
    Workload workload = Workload.gpuBatch(64, 8);
    CostModel costModel = CostModel.uncalibrated();
    Layout layout = Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 16);

    assertThatThrownBy(() -> costModel.predict(ClusterPresets.h100(2, 8), other, workload, layout))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot price layout one-per-gpu: it places 2 layers x 8 experts, the model has 3 x 8");
    assertThatThrownBy(() -> costModel.predict(ClusterPresets.h100(1, 8), model, workload, layout))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot price layout one-per-gpu on h100-1x8: it needs 16 devices, the cluster has 8");
  }

  @Test
  void rejectsAnObservedLoadWithoutTokens() {
    Workload workload = Workload.gpuBatch(64, 8);
    assertThatThrownBy(() -> workload.withObservedLoad(new long[][] {{0, 0}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid observed load of layer 0: no tokens (expected: a positive total)");
  }
}
