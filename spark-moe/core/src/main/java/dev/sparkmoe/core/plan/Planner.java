package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Ranks placements of a model on a cluster by the cost model's throughput and recommends the best
 * one that fits in memory. Candidates on a GPU cluster: one expert per GPU (with replicas when
 * there are GPUs to spare), shared layers, colocating K experts per GPU, and tensor × pipeline
 * parallel layouts with one node per stage; on a Spark CPU cluster, the pipeline's placements.
 * Stateless and thread-safe.
 */
public final class Planner {
  private final CostModel costModel;

  public Planner(CostModel costModel) {
    this.costModel = costModel;
  }

  /** Every candidate, best first: layouts that fit before those that do not, then by tokens/s. */
  public List<Prediction> rank(ClusterSpec cluster, ModelShape model, Workload workload) {
    List<Prediction> out = new ArrayList<>();
    for (Layout layout : candidates(cluster, model)) {
      out.add(costModel.predict(cluster, model, workload, layout));
    }
    out.sort(
        Comparator.comparing((Prediction p) -> !p.fits())
            .thenComparing(Comparator.comparingDouble(Prediction::tokensPerSecond).reversed()));
    return out;
  }

  /** The best candidate that fits. */
  public Prediction recommend(ClusterSpec cluster, ModelShape model, Workload workload) {
    List<Prediction> ranked = rank(cluster, model, workload);
    if (ranked.isEmpty() || !ranked.get(0).fits()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot place %s on %s: no placement fits in device memory",
              model.name(), cluster.name()));
    }
    return ranked.get(0);
  }

  /**
   * The pipeline policy ({@code one-per-gpu}, {@code shared-layers} or {@code colocate:K}) with the
   * best predicted throughput on {@code slots} slots: what {@code --placement auto} resolves to.
   */
  public PlacementPolicy choose(
      ClusterSpec cluster, ModelShape model, Workload workload, int slots) {
    return choose(cluster, model, workload, slots, 0);
  }

  /**
   * {@link #choose(ClusterSpec, ModelShape, Workload, int)}, with {@code in-task} a candidate on a
   * Spark CPU cluster when every layer's experts and owner weights take at most {@value
   * #IN_TASK_MEMORY_FRACTION} of {@code executorMemoryBytes}: in-task, each executor holds them
   * all.
   *
   * @param executorMemoryBytes one executor's memory; 0 when unknown (no in-task)
   */
  public PlacementPolicy choose(
      ClusterSpec cluster,
      ModelShape model,
      Workload workload,
      int slots,
      long executorMemoryBytes) {
    PlacementPolicy best = PlacementPolicy.SHARED_LAYERS;
    double bestRate = -1;
    for (PlacementPolicy policy : pipelinePolicies(model, slots)) {
      int used = slotsFor(policy, model, slots);
      Layout layout = Layouts.of(policy, model, used);
      Prediction p = costModel.predict(cluster, model, workload, layout);
      if (p.fits() && p.tokensPerSecond() > bestRate) {
        best = policy;
        bestRate = p.tokensPerSecond();
      }
    }
    if (cluster.execution() == ClusterSpec.Execution.SPARK_TASKS
        && inTaskFits(model, executorMemoryBytes)) {
      Prediction p = costModel.predict(cluster, model, workload, Layouts.inTask(model, slots));
      if (p.tokensPerSecond() > bestRate) {
        best = PlacementPolicy.IN_TASK;
      }
    }
    return best;
  }

  /**
   * Share of an executor's memory that in-task's resident weights may take: the rest is headroom.
   */
  public static final double IN_TASK_MEMORY_FRACTION = 0.6;

  /** Whether every expert and owner weight of {@code model} fits one executor, with headroom. */
  public static boolean inTaskFits(ModelShape model, long executorMemoryBytes) {
    double bytes =
        (double) model.layers()
            * (model.experts() * model.expertWeightBytes() + model.ownerWeightBytes());
    return bytes <= executorMemoryBytes * IN_TASK_MEMORY_FRACTION;
  }

  /** The candidates {@link #rank} prices. */
  public List<Layout> candidates(ClusterSpec cluster, ModelShape model) {
    int devices = cluster.devices();
    int total = model.layers() * model.experts();
    List<Layout> out = new ArrayList<>();
    int slots = cluster.execution() == ClusterSpec.Execution.SPARK_TASKS ? total : devices;
    for (PlacementPolicy policy : pipelinePolicies(model, slots)) {
      int sharedSlots =
          cluster.execution() == ClusterSpec.Execution.SPARK_TASKS
              ? devices
              : Math.min(model.experts(), devices);
      int used =
          policy.kind() == PlacementPolicy.Kind.SHARED_LAYERS
              ? sharedSlots
              : slotsFor(policy, model, slots);
      out.add(Layouts.of(policy, model, used));
    }
    if (cluster.execution() == ClusterSpec.Execution.SPARK_TASKS) {
      out.add(Layouts.inTask(model, devices));
    }
    if (cluster.execution() == ClusterSpec.Execution.DEVICE_STREAMS) {
      for (int replicas = 2; replicas * total <= devices; replicas *= 2) {
        out.add(Layouts.replicated(model, replicas));
      }
      int tp = cluster.devicesPerNode();
      for (int pp = 1; pp <= model.layers() && tp * pp <= devices; pp *= 2) {
        if (model.layers() % pp == 0) {
          out.add(Layouts.tensorPipeline(model, tp, pp));
        }
      }
    }
    return out;
  }

  /** one-per-gpu where there are enough slots, shared-layers, and colocate:K for K = 2, 4, 8... */
  private static List<PlacementPolicy> pipelinePolicies(ModelShape model, int slots) {
    int total = model.layers() * model.experts();
    List<PlacementPolicy> out = new ArrayList<>();
    if (slots >= total) {
      out.add(PlacementPolicy.ONE_PER_GPU);
    }
    out.add(PlacementPolicy.SHARED_LAYERS);
    for (int k = 2; k <= total; k *= 2) {
      if ((total + k - 1) / k <= slots) {
        out.add(PlacementPolicy.colocate(k));
      }
    }
    return out;
  }

  /**
   * Slots a policy occupies out of {@code slots}.
   *
   * @throws IllegalArgumentException for a policy that is not placed as such ({@code auto})
   */
  public static int slotsFor(PlacementPolicy policy, ModelShape model, int slots) {
    int total = model.layers() * model.experts();
    if (policy.kind() == PlacementPolicy.Kind.ONE_PER_GPU) {
      return total;
    }
    if (policy.kind() == PlacementPolicy.Kind.SHARED_LAYERS) {
      return Math.min(slots, model.experts());
    }
    if (policy.kind() == PlacementPolicy.Kind.COLOCATE) {
      return (total + policy.expertsPerSlot() - 1) / policy.expertsPerSlot();
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid placement: %s (expected: one-per-gpu, shared-layers or colocate:K)",
            policy.cliName()));
  }
}
