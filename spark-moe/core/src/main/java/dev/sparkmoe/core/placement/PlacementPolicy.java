package dev.sparkmoe.core.placement;

import java.util.Locale;

/**
 * How experts are spread over slots (a slot is one GPU, or one CPU task slot). Parse user input
 * with {@link #parse}; build the mapping with {@link PlacementPlan#of}.
 *
 * @param kind the policy family
 * @param expertsPerSlot for {@link Kind#COLOCATE}, experts per slot; 1 otherwise
 */
public record PlacementPolicy(Kind kind, int expertsPerSlot) implements java.io.Serializable {
  /** The policy families. */
  public enum Kind {
    /** Every (layer, expert) on its own slot: needs layers × experts slots. */
    ONE_PER_GPU("one-per-gpu"),
    /** Expert e of every layer on slot e mod slots. */
    SHARED_LAYERS("shared-layers"),
    /** K consecutive experts (counting across layers) per slot: the colocated baseline. */
    COLOCATE("colocate:K"),
    /**
     * No expert slots: every token-owner task computes every expert itself from its executor's
     * resident experts, with no exchange. The plan's slots are nominal.
     */
    IN_TASK("in-task"),
    /**
     * Chosen by the cost model on the driver ({@code dev.sparkmoe.core.plan.Planner#choose}) once
     * the slots are known; never placed as such.
     */
    AUTO("auto");

    private final String cliName;

    Kind(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }
  }

  public static final PlacementPolicy ONE_PER_GPU = new PlacementPolicy(Kind.ONE_PER_GPU, 1);
  public static final PlacementPolicy SHARED_LAYERS = new PlacementPolicy(Kind.SHARED_LAYERS, 1);
  public static final PlacementPolicy IN_TASK = new PlacementPolicy(Kind.IN_TASK, 1);
  public static final PlacementPolicy AUTO = new PlacementPolicy(Kind.AUTO, 1);

  public PlacementPolicy {
    if (expertsPerSlot < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid experts per slot: %d (expected: at least 1)", expertsPerSlot));
    }
  }

  public static PlacementPolicy colocate(int expertsPerSlot) {
    return new PlacementPolicy(Kind.COLOCATE, expertsPerSlot);
  }

  /**
   * Parses {@code one-per-gpu}, {@code shared-layers}, {@code colocate:K}, {@code in-task} or
   * {@code auto}.
   */
  public static PlacementPolicy parse(String name) {
    String value = name.trim().toLowerCase(Locale.ROOT);
    if (value.equals(Kind.ONE_PER_GPU.cliName)) {
      return ONE_PER_GPU;
    }
    if (value.equals(Kind.SHARED_LAYERS.cliName)) {
      return SHARED_LAYERS;
    }
    if (value.equals(Kind.IN_TASK.cliName)) {
      return IN_TASK;
    }
    if (value.equals(Kind.AUTO.cliName)) {
      return AUTO;
    }
    if (value.startsWith("colocate:")) {
      try {
        return colocate(Integer.parseInt(value.substring("colocate:".length())));
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid placement: %s (expected: one of one-per-gpu, shared-layers, colocate:K with K >= 1,"
                + " in-task, auto)",
            name));
  }

  /** The name users write. */
  public String cliName() {
    return kind == Kind.COLOCATE ? "colocate:" + expertsPerSlot : kind.cliName;
  }
}
