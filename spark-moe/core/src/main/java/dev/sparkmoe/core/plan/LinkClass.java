package dev.sparkmoe.core.plan;

/** Which link a byte crosses between a token owner and an expert shard. */
enum LinkClass {
  /** Same device: nothing moves. */
  LOCAL,
  /** Same node, other device: NVLink. */
  INTRA,
  /** Other node: InfiniBand. */
  INTER;

  static LinkClass between(int a, int b, int devicesPerNode) {
    if (a == b) {
      return LOCAL;
    }
    return a / devicesPerNode == b / devicesPerNode ? INTRA : INTER;
  }
}
