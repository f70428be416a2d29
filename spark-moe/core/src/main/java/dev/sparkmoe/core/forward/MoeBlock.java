package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertSource;
import dev.sparkmoe.core.nn.RowBlockGemm;
import dev.sparkmoe.core.routing.Router;
import dev.sparkmoe.core.routing.Routing;
import java.util.List;

/**
 * The routed experts of a MoE layer computed in this process, the in-process {@link ExpertStep}:
 * router GEMM and top-k routing ({@link #route}), then one backend call per expert hit ({@link
 * WeightedExperts}: tokens gathered, outputs weighted) and each token's outputs summed in ascending
 * expert id ({@link ExpertSum}) — the pipeline's expert side and combine run the same two routines,
 * so results do not depend on how tokens were grouped. Thread-safe if the backend and the expert
 * source are.
 */
public final class MoeBlock implements ExpertStep {
  private final int hidden;
  private final ExpertBackend backend;
  private final ExpertSource experts;

  /**
   * @param experts the resident experts; called once per (layer, expert) that a call routes to
   */
  public MoeBlock(int hidden, ExpertBackend backend, ExpertSource experts) {
    this.hidden = hidden;
    this.backend = backend;
    this.experts = experts;
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

  @Override
  public float[] apply(int layer, Routing routing, float[] x) {
    int topK = routing.topK();
    float[] weighted = new float[routing.numTokens() * topK * hidden];
    WeightedExperts.Entries entries =
        new WeightedExperts.Entries(x, hidden, topK, routing.weights());
    int[][] byExpert = WeightedExperts.byExpert(routing.experts());
    for (int expert = 0; expert < byExpert.length; expert++) {
      if (byExpert[expert].length > 0) {
        WeightedExperts.compute(
            backend, experts.resident(layer, expert), entries, byExpert[expert], weighted);
      }
    }
    int[] tokens = new int[routing.numTokens() * topK];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = i / topK;
    }
    return ExpertSum.sum(
        routing.numTokens(),
        hidden,
        List.of(new ExpertSum.Part(tokens, routing.experts(), weighted)));
  }
}
