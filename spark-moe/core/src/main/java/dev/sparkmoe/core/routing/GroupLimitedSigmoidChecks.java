package dev.sparkmoe.core.routing;

/** The settings checks of {@link GroupLimitedSigmoidRouter}. */
final class GroupLimitedSigmoidChecks {
  private GroupLimitedSigmoidChecks() {}

  static void checkGroups(int numExperts, int topK, int numGroups, int topKGroups) {
    if (numGroups < 1 || numExperts % numGroups != 0) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid number of expert groups: %d (expected: a divisor of %d, the number of"
                  + " experts)",
              numGroups, numExperts));
    }
    if (topKGroups < 1 || topKGroups > numGroups) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid top-k groups: %d (expected: 1 <= top-k groups <= %d, the number of groups)",
              topKGroups, numGroups));
    }
    int groupSize = numExperts / numGroups;
    if (numGroups > 1 && groupSize < 2) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid expert group size: %d = %d experts / %d groups (expected: >= 2, as a group"
                  + " scores by its top 2)",
              groupSize, numExperts, numGroups));
    }
    int kept = topKGroups * groupSize;
    if (topK > kept) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid top-k: %d (expected: <= %d = %d top-k groups x %d experts per group)",
              topK, kept, topKGroups, groupSize));
    }
  }

  static void checkCorrectionBias(float[] correctionBias, int numExperts) {
    if (correctionBias.length != numExperts) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid correction bias length: %d (expected: %d, the number of experts)",
              correctionBias.length, numExperts));
    }
    for (int expert = 0; expert < numExperts; expert++) {
      if (!Float.isFinite(correctionBias[expert])) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid correction bias %s for expert %d (expected: a finite number)",
                correctionBias[expert], expert));
      }
    }
  }

  static void checkRoutedScalingFactor(float routedScalingFactor) {
    if (!(routedScalingFactor > 0f) || !Float.isFinite(routedScalingFactor)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid routed scaling factor: %s (expected: a finite number > 0)",
              routedScalingFactor));
    }
  }
}
