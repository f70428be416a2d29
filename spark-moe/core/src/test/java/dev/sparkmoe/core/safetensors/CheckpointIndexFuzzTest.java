package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.safetensors.FuzzProbe.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Property-based fuzzing of sharded checkpoints over hostile {@code weight_map} entries (see {@link
 * HostileModelDirectory}): opening the checkpoint and reading every tensor either succeeds or
 * throws {@link dev.sparkmoe.core.InvalidModelException}, never blocks, and never reads the file
 * outside the model directory.
 */
class CheckpointIndexFuzzTest {
  private static Path root;
  private static Path model;

  @BeforeContainer
  static void createDirectories() throws IOException {
    root = Files.createTempDirectory("checkpoint-fuzz");
    model = HostileModelDirectory.create(root);
  }

  @AfterContainer
  static void deleteDirectories() throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  @Property(tries = 600)
  void shardsResolveInsideTheModelDirectoryOrAreRejected(
      @ForAll("weightMaps") Map<String, String> weightMap) {
    HostileModelDirectory.writeIndex(model, weightMap);

    Outcome outcome =
        FuzzProbe.probe(
            model,
            /* inputSizeBytes= */ 4096,
            dir -> {
              try (Checkpoint checkpoint = Checkpoint.open(dir)) {
                checkpoint.tensorNames().forEach(checkpoint::readFloats);
              }
            });

    if (outcome == Outcome.LOADED) {
      assertThat(weightMap)
          .as("a checkpoint that loaded read only files inside %s", model)
          .doesNotContainKey(HostileModelDirectory.OUTSIDE_TENSOR);
    }
    Statistics.label("outcome").collect(outcome);
    Statistics.label("outcome")
        .coverage(check -> check.check(Outcome.LOADED).percentage(p -> p > 5));
  }

  @Provide
  Arbitrary<Map<String, String>> weightMaps() {
    return Arbitraries.subsetOf("in.w", "sub.w", HostileModelDirectory.OUTSIDE_TENSOR)
        .ofMinSize(1)
        .flatMap(
            tensors -> {
              List<String> names = tensors.stream().sorted().toList();
              List<Arbitrary<String>> shards = names.stream().map(this::shardOf).toList();
              return Combinators.combine(shards)
                  .as(
                      chosen -> {
                        Map<String, String> weightMap = new LinkedHashMap<>();
                        for (int i = 0; i < names.size(); i++) {
                          weightMap.put(names.get(i), chosen.get(i));
                        }
                        return weightMap;
                      });
            });
  }

  /** The tensor's own shard (under some spelling) half the time, else anything. */
  private Arbitrary<String> shardOf(String tensor) {
    Arbitrary<String> own =
        switch (tensor) {
          case "in.w" ->
              Arbitraries.of("in.safetensors", "./in.safetensors", "sub/../in.safetensors");
          case "sub.w" -> Arbitraries.of("sub/in2.safetensors", "sub/./in2.safetensors");
          default -> Arbitraries.of("link.safetensors", "linkdir/out.safetensors");
        };
    return Arbitraries.frequencyOf(
        Tuple.of(2, own),
        Tuple.of(2, Arbitraries.of(HostileModelDirectory.shardNames(model))),
        Tuple.of(1, Arbitraries.strings().ofMaxLength(12)));
  }
}
