package dev.sparkmoe.core.placement;

/**
 * Where {@link PlacementPlan} puts copy c (a replica or a tensor-parallel shard) of an expert that
 * one copy's plan, using {@code used} slots, puts on slot b.
 */
enum SlotSpread {
  /** {@code b + c · used}: the copies on disjoint slot ranges. */
  STRIDED,
  /** {@code b · copies + c}: the copies of a slot next to each other. */
  GROUPED;

  int slot(int base, int copy, int copies, int used) {
    return this == STRIDED ? base + copy * used : base * copies + copy;
  }
}
