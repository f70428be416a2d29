package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.exchange.ExchangeMode;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@link MoeInference}'s settings after precedence was applied; partitions, slots and the wave size
 * may stay open (the input's partitions, the cluster's slots, one wave). {@code generate} is null
 * unless the kind is {@code generate}.
 *
 * @param textColumn the text column to tokenize instead of reading {@code tokensColumn}
 * @param tokenizer the {@code tokenizer.json} of the run: the option, else the model folder's;
 *     empty when there is none (text needs one, token ids do not)
 */
record ResolvedOptions(
    String modelPath,
    String idColumn,
    String tokensColumn,
    Optional<String> textColumn,
    Optional<Path> tokenizer,
    OutputKind kind,
    PlacementPolicy placement,
    ExchangeMode mode,
    ServiceSettings service,
    String backend,
    ActivationDtype activationDtype,
    ComputeDtype computeDtype,
    Optional<Integer> partitions,
    Optional<Integer> slots,
    InvalidTokenPolicy invalidTokens,
    Optional<Long> waveRows,
    LoadBalanceOptions balance,
    GenerateSettings generate) {}
