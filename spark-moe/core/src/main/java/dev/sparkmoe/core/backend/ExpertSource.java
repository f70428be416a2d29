package dev.sparkmoe.core.backend;

/**
 * Gives the resident expert of a (layer, expert), making it resident on first use or each time, as
 * the implementation chooses. Thread-safety is the implementation's, and callers state what they
 * need.
 */
@FunctionalInterface
public interface ExpertSource {
  ResidentExpert resident(int layer, int expert);
}
