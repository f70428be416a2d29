package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.exchange.ExchangeMode;
import dev.sparkmoe.core.placement.PlacementPolicy;
import org.apache.spark.SparkContext;

/**
 * Which exchange a run takes, and why: {@code spark.moe.mode} against the placement and the
 * cluster. The service's barrier stage needs every server's task at once, and the owners need a
 * task slot beside them; Spark's own barrier check fails only after its retries, so the service is
 * checked here, before any task.
 *
 * @param mode what runs: {@code shuffle}, {@code service} or {@code in-task} (no exchange)
 * @param reason one sentence for the report
 */
record ExchangeChoice(String mode, String reason) {
  static final String IN_TASK = "in-task";

  boolean isService() {
    return mode.equals(ExchangeMode.SERVICE.optionName());
  }

  /**
   * @param placement the placement asked for (before auto chose)
   * @param inTask whether the plan that runs is in-task
   * @param servers expert slots, one server each
   * @param capacity whether expert capacity is set (it runs in the shuffle's expert stage)
   * @throws IllegalArgumentException when mode service cannot run, saying why and the fix
   */
  static ExchangeChoice of(
      SparkContext sc,
      ExchangeMode mode,
      PlacementPolicy placement,
      boolean inTask,
      int servers,
      boolean capacity) {
    if (inTask) {
      Checks.checkArgument(
          mode != ExchangeMode.SERVICE || placement.kind() != PlacementPolicy.Kind.IN_TASK,
          "Invalid mode service with placement in-task (expected: mode shuffle or auto; in-task"
              + " computes every expert in the owner task, with no exchange)");
      return new ExchangeChoice(IN_TASK, "placement in-task: every owner computes its experts");
    }
    if (mode == ExchangeMode.SHUFFLE) {
      return new ExchangeChoice("shuffle", "spark.moe.mode is shuffle");
    }
    Checks.checkArgument(
        mode != ExchangeMode.SERVICE || !capacity,
        "Invalid capacity-factor with mode service (expected: unset, or mode shuffle; expert"
            + " capacity runs in the shuffle's expert stage)");
    if (capacity) {
      return new ExchangeChoice("shuffle", "mode auto: expert capacity runs in the shuffle");
    }
    int taskSlots = taskSlots(sc);
    int needed = servers + 1;
    if (mode == ExchangeMode.SERVICE) {
      Checks.checkArgument(
          taskSlots >= needed,
          "Cannot run mode service: it needs %d task slots at once (%d expert servers + 1 owner)"
              + " and the cluster has %d (add executors or cores, lower spark.moe.slots, or set"
              + " spark.moe.mode to shuffle)",
          needed,
          servers,
          taskSlots);
      return new ExchangeChoice(
          "service",
          String.format(
              "spark.moe.mode is service: %d servers + owners on %d task slots",
              servers, taskSlots));
    }
    return taskSlots >= needed
        ? new ExchangeChoice(
            "service",
            String.format(
                "mode auto: %d task slots run the %d expert servers and the owners at once",
                taskSlots, servers))
        : new ExchangeChoice(
            "shuffle",
            String.format(
                "mode auto: %d task slots cannot run %d expert servers and an owner at once",
                taskSlots, servers));
  }

  /**
   * Tasks the cluster runs at once in the default resource profile: what Spark's barrier check
   * counts (executor cores over task CPUs, and GPUs over task GPUs where tasks ask for them).
   */
  static int taskSlots(SparkContext sc) {
    return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
  }
}
