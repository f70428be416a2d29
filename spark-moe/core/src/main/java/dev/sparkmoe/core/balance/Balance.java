package dev.sparkmoe.core.balance;

/** Balancedness of a load spread: mean ÷ max per slot, 1 being perfect. */
public final class Balance {
  private Balance() {}

  /** Mean over max of {@code perSlot}; 1 when every slot is empty (nothing to balance). */
  public static double of(double[] perSlot) {
    double max = 0;
    double sum = 0;
    for (double load : perSlot) {
      max = Math.max(max, load);
      sum += load;
    }
    return max == 0 ? 1.0 : sum / perSlot.length / max;
  }

  /** Mean over max of {@code perSlot}; 1 when every slot is empty. */
  public static double of(long[] perSlot) {
    double[] loads = new double[perSlot.length];
    for (int i = 0; i < loads.length; i++) {
      loads[i] = perSlot[i];
    }
    return of(loads);
  }
}
