package dev.sparkmoe.spark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.SparkTestSession;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Precedence: the call's option, then {@code spark.moe.<key>}, then its alias, then the default.
 */
class SessionOptionsTest {
  private static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("SessionOptionsTest");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @AfterEach
  void unset() {
    for (String key : new String[] {"placement", "kind", "output", "cluster", "slots"}) {
      spark.conf().unset("spark.moe." + key);
    }
  }

  @Test
  void callOptionThenSessionConfThenDefault() {
    assertThat(SessionOptions.of(spark).value(MoeOptions.PLACEMENT))
        .isEqualTo(PlacementPolicy.SHARED_LAYERS);
    spark.conf().set("spark.moe.placement", "colocate:4");
    assertThat(SessionOptions.of(spark).value(MoeOptions.PLACEMENT))
        .isEqualTo(PlacementPolicy.parse("colocate:4"));
    assertThat(
            SessionOptions.of(spark, Map.of("placement", "one-per-gpu"))
                .value(MoeOptions.PLACEMENT))
        .isEqualTo(PlacementPolicy.ONE_PER_GPU);
    assertThat(SessionOptions.of(spark).find(MoeOptions.SLOTS)).isEmpty();
    assertThatThrownBy(() -> SessionOptions.of(spark).value(MoeOptions.SLOTS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot read option slots: it has no fixed default (one per GPU, else the cluster's"
                + " task slots)");
  }

  @Test
  void theDeprecatedAliasIsReadAfterTheKey() {
    spark.conf().set("spark.moe.output", "score");
    assertThat(SessionOptions.of(spark).value(MoeOptions.KIND)).isEqualTo(OutputKind.SCORE);
    spark.conf().set("spark.moe.kind", "hidden");
    assertThat(SessionOptions.of(spark).value(MoeOptions.KIND)).isEqualTo(OutputKind.HIDDEN);
    assertThat(SessionOptions.callOption("output")).isSameAs(MoeOptions.KIND);
  }

  @Test
  void sessionOnlySettingsIgnoreCallOptionsAndInvalidValuesNameTheirKey() {
    assertThat(SessionOptions.of(spark, Map.of("cluster", "h100-8x8")).find(MoeOptions.CLUSTER))
        .isEmpty();
    spark.conf().set("spark.moe.slots", "none");
    assertThatThrownBy(() -> SessionOptions.of(spark).find(MoeOptions.SLOTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid slots: none (expected: a positive integer)");
  }

  @Test
  void unknownCallOptionsListTheKeys() {
    assertThatThrownBy(() -> SessionOptions.callOption("cluster"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid option: cluster (expected: one of placement, mode,"
                + " service.micro-batches, service.gather-tokens, service.gather-micros,"
                + " service.max-in-flight, service.queue-capacity, service.request-timeout-ms,"
                + " service.connect-timeout-ms, service.max-reconnects, slots, partitions,"
                + " activation-dtype, compute-dtype, backend, id-column, tokens-column,"
                + " text-column, tokenizer, on-row-error, wave-rows, sample-rows, replicas,"
                + " capacity-factor, data-parallel, expert-tp, slot-memory, batch-rows, kind,"
                + " max-new-tokens, min-new-tokens, temperature, top-k, top-p, min-p, seed,"
                + " stop-token-ids, ignore-eos, kv-cache-memory, on-invalid-token, output)");
  }
}
