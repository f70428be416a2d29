package dev.sparkmoe.core.nn;

import java.util.Random;

/**
 * Run in a child JVM by {@link BundledOpenBlasTest}: prints which BLAS {@link Gemm} chose and the
 * relative error of one product against a double-precision loop, as {@code key=value} lines.
 */
final class GemmProbe {
  private GemmProbe() {}

  public static void main(String[] args) {
    int n = 37;
    int k = 300;
    int m = 129;
    Random random = new Random(Long.parseLong(args[0]));
    float[] a = fresh(random, n * k);
    float[] w = fresh(random, m * k);
    float[] c = new float[n * m];
    Gemm.multiplyTransposed(a, n, k, w, m, c);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double expected = 0;
        for (int p = 0; p < k; p++) {
          expected += a[i * k + p] * (double) w[j * k + p];
        }
        diff += (c[i * m + j] - expected) * (c[i * m + j] - expected);
        norm += expected * expected;
      }
    }
    System.out.println("source=" + Gemm.source());
    System.out.println("implementation=" + Gemm.implementation());
    System.out.println("description=" + Gemm.description());
    System.out.println("relativeError=" + Math.sqrt(diff / norm));
  }

  private static float[] fresh(Random random, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
