package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.ExpertStats;
import dev.sparkmoe.core.exchange.OwnerStats;
import java.io.Serializable;

/**
 * What one pipeline task reports to the driver through an accumulator: an owner partition's routing
 * of a layer, or an expert slot's compute of a layer, with where it ran.
 */
sealed interface TaskStat extends Serializable {
  /** The two kinds of pipeline task that report. */
  enum Stage {
    OWNER,
    EXPERT
  }

  /** A task's identity across attempts and waves: a retry reports under the same key. */
  record Key(Stage stage, int layer, int index) implements Serializable {}

  Key key();

  TaskSite site();

  /**
   * This task's counts plus {@code later}'s (the same key, a later wave): counts, bytes and times
   * add up; where it ran and the backend are later's ({@link TaskSite#then}).
   */
  TaskStat plus(TaskStat later);

  default int layer() {
    return key().layer();
  }

  default int index() {
    return key().index();
  }

  /**
   * An owner task: routed {@code layer} (and, but for layer 0, combined the layer before).
   *
   * @param partition the owner partition
   */
  record Owner(int layer, int partition, TaskSite site, OwnerStats stats) implements TaskStat {
    private static final long serialVersionUID = 1L;

    @Override
    public Key key() {
      return new Key(Stage.OWNER, layer, partition);
    }

    @Override
    public TaskStat plus(TaskStat later) {
      Owner other = (Owner) later;
      return new Owner(layer, partition, site.then(other.site), stats.plus(other.stats));
    }
  }

  /**
   * An expert task.
   *
   * @param backend the expert backend's description
   */
  record Expert(int layer, int slot, TaskSite site, String backend, ExpertStats stats)
      implements TaskStat {
    private static final long serialVersionUID = 1L;

    @Override
    public Key key() {
      return new Key(Stage.EXPERT, layer, slot);
    }

    @Override
    public TaskStat plus(TaskStat later) {
      Expert other = (Expert) later;
      return new Expert(layer, slot, site.then(other.site), other.backend, stats.plus(other.stats));
    }
  }
}
