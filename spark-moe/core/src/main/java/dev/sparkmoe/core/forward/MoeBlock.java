package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.nn.RowBlockGemm;
import dev.sparkmoe.core.routing.Router;
import dev.sparkmoe.core.routing.Routing;

/**
 * The routed experts of one MoE layer on a batch of normalized tokens: router GEMM and top-k
 * routing ({@link #route}), then one expert call per expert hit (tokens gathered) and a weighted
 * scatter-add. Each token's expert outputs are summed in ascending expert id, the order the
 * expert-parallel pipeline also uses, so results do not depend on how tokens were grouped.
 * Thread-safe if the backend is.
 */
public final class MoeBlock {
  private final int hidden;
  private final int numExperts;
  private final ExpertBackend backend;

  public MoeBlock(int hidden, int numExperts, ExpertBackend backend) {
    this.hidden = hidden;
    this.numExperts = numExperts;
    this.backend = backend;
  }

  /**
   * Router decisions for {@code numTokens} rows of {@code x} ([numTokens, hidden]) with router
   * weight [router.numExperts(), hidden]: logits in f32 by GEMMs in fixed row blocks ({@link
   * RowBlockGemm}, so a token's logits do not depend on the other tokens), then the router.
   */
  public static Routing route(
      Router router, float[] routerWeight, float[] x, int numTokens, int hidden) {
    int numExperts = router.numExperts();
    float[] logits = new float[numTokens * numExperts];
    RowBlockGemm.multiplyTransposed(x, numTokens, hidden, routerWeight, numExperts, logits);
    return router.route(logits, numTokens);
  }

  /** Gives the resident expert for a layer-local expert index, making it resident on first use. */
  @FunctionalInterface
  public interface ExpertSource {
    ResidentExpert resident(int expert);
  }

  /**
   * Writes {@code Σ_k weight_k · expert_k(x)} for every token into {@code out} (overwritten).
   *
   * @param experts the layer's experts
   */
  public void apply(Routing routing, float[] x, int numTokens, ExpertSource experts, float[] out) {
    java.util.Arrays.fill(out, 0, numTokens * hidden, 0f);
    int[][] tokensByExpert = groupByExpert(routing);
    for (int expert = 0; expert < numExperts; expert++) {
      int[] slots = tokensByExpert[expert];
      if (slots.length == 0) {
        continue;
      }
      float[] input = new float[slots.length * hidden];
      for (int i = 0; i < slots.length; i++) {
        int token = slots[i] / routing.topK();
        System.arraycopy(x, token * hidden, input, i * hidden, hidden);
      }
      float[] output = new float[slots.length * hidden];
      backend.compute(experts.resident(expert), input, slots.length, output);
      scatterAdd(routing, slots, output, out);
    }
  }

  private void scatterAdd(Routing routing, int[] slots, float[] output, float[] out) {
    for (int i = 0; i < slots.length; i++) {
      int token = slots[i] / routing.topK();
      float weight = routing.weights()[slots[i]];
      int dst = token * hidden;
      int src = i * hidden;
      for (int d = 0; d < hidden; d++) {
        out[dst + d] += output[src + d] * weight;
      }
    }
  }

  /**
   * For each expert, the indices into the routing arrays (token · topK + rank) that chose it, in
   * token order.
   */
  private int[][] groupByExpert(Routing routing) {
    int[] counts = new int[numExperts];
    int[] chosen = routing.experts();
    int total = routing.numTokens() * routing.topK();
    for (int i = 0; i < total; i++) {
      counts[chosen[i]]++;
    }
    int[][] groups = new int[numExperts][];
    for (int e = 0; e < numExperts; e++) {
      groups[e] = new int[counts[e]];
    }
    int[] fill = new int[numExperts];
    for (int i = 0; i < total; i++) {
      groups[chosen[i]][fill[chosen[i]]++] = i;
    }
    return groups;
  }
}
