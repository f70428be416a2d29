package dev.sparkmoe.core.backend;

/** An expert whose weights a backend holds ready to compute; owned by the backend that made it. */
public interface ResidentExpert {
  int layer();

  int expert();

  /** Bytes this expert occupies on the backend. */
  long sizeBytes();
}
