package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.Optional;

/**
 * {@link MoeInference}'s settings after precedence was applied; partitions, slots and the wave size
 * may stay open (the input's partitions, the cluster's slots, one wave). {@code generate} is null
 * unless the kind is {@code generate}.
 */
record ResolvedOptions(
    String modelPath,
    String idColumn,
    String tokensColumn,
    OutputKind kind,
    PlacementPolicy placement,
    String backend,
    ActivationDtype activationDtype,
    ComputeDtype computeDtype,
    Optional<Integer> partitions,
    Optional<Integer> slots,
    InvalidTokenPolicy invalidTokens,
    Optional<Long> waveRows,
    LoadBalanceOptions balance,
    GenerateSettings generate) {}
