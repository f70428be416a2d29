package dev.sparkmoe.core.backend;

import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.model.MoeModel;

/**
 * Computes routed experts' FFNs, {@code down(silu(gate x) * up x)}, one call per expert per token
 * batch (never per token). Implementations are found through {@link ExpertBackendProvider} and
 * {@link ExpertBackends}.
 *
 * <p>A backend owns the resident copies of the experts it was given (device memory on a GPU);
 * {@link #close()} releases them. Thread-safety is per implementation and stated there.
 */
public interface ExpertBackend extends AutoCloseable {
  /** Short name, as {@code spark.moe.backend} spells it ({@code cpu}, {@code cuda}). */
  String name();

  /** A one-line description for logs and reports, e.g. the BLAS library or the GPU in use. */
  String description();

  /**
   * Makes {@code weights} resident on this backend; the handle is valid until the backend closes.
   */
  ResidentExpert upload(ExpertWeights weights);

  /**
   * Makes expert {@code expert} of {@code layer} resident, reading from {@code model} the form this
   * backend holds: by default the f32 weights ({@link MoeModel#loadExpert}); a bf16 backend reads
   * bf16 bits and decodes nothing.
   */
  default ResidentExpert upload(MoeModel model, int layer, int expert) {
    return upload(model.loadExpert(layer, expert));
  }

  /**
   * Computes the expert on {@code numTokens} rows of {@code input} ([numTokens, hidden], row-major)
   * into {@code output} ([numTokens, hidden]), overwriting it.
   */
  void compute(ResidentExpert expert, float[] input, int numTokens, float[] output);

  @Override
  void close();
}
