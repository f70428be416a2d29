package dev.sparkmoe.core.exchange;

/**
 * Carries one layer's dispatch batches from the token owners to the expert slots, has the slots
 * compute them ({@link ExpertSide}) and brings the combine batches back, addressed by owner
 * partition. What a layer computes is the endpoints'; an exchange only decides how the encoded
 * batches travel.
 *
 * <p>The type parameters are the engine's handles: an exchange that answers within the owner's task
 * (in-process, expert servers) takes one partition's {@link OwnerDispatch} and returns its combine
 * batches; a staged engine (Spark's shuffles) takes and returns its distributed collections of
 * them. Implementations document their thread-safety.
 *
 * @param <D> what the owners dispatched
 * @param <C> the combine batches on their way back to the owners
 */
@FunctionalInterface
public interface Exchange<D, C> {
  /** Dispatches {@code layer}'s batches to their slots and returns the slots' combine batches. */
  C exchange(int layer, D dispatched);
}
