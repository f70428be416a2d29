package dev.sparkmoe.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PlacementPlanReplicasTest {
  @Test
  void replicasSplitAnOwnersTokensEvenlyRoundRobin() {
    PlacementPlan plan =
        PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 1, 3, 4)
            .withReplicas(0, new int[][] {{0, 2, 3}, {1}, {3}});
    int partition = new Random().nextInt(100);
    int[] counts = new int[4];
    for (int ordinal = 0; ordinal < 30; ordinal++) {
      counts[plan.slotFor(0, 0, partition, ordinal)]++;
    }
    assertThat(counts).as("30 tokens over 3 replicas").containsExactly(10, 0, 10, 10);
    assertThat(plan.slotFor(0, 0, 0, 0)).as("partition 0 starts at the first replica").isZero();
    assertThat(plan.slotFor(0, 0, 1, 0)).as("partition 1 at the second").isEqualTo(2);
    assertThat(plan.slotFor(0, 1, partition, 7)).isEqualTo(1);
    assertThat(plan.layerSlots(0)).containsExactly(0, 1, 2, 3);
    assertThat(plan.expertsOn(0, 3)).containsExactly(0, 2);
    assertThat(plan.totalReplicas()).isEqualTo(5);
    assertThat(plan.maxExpertsPerSlot()).isEqualTo(2);
    assertThat(plan.toString())
        .isEqualTo(
            "shared-layers over 4 slots (1 layers x 3 experts, at most 2 per slot, 2 hot-expert"
                + " replicas)");
  }

  @Test
  void groupedTensorParallelPutsAnExpertsShardsOnNeighbouringSlots() {
    PlacementPlan grouped =
        PlacementPlan.tensorParallelGrouped(PlacementPolicy.colocate(4), 2, 4, 6, 3);
    PlacementPlan strided = PlacementPlan.tensorParallel(PlacementPolicy.colocate(4), 2, 4, 6, 3);

    assertThat(grouped.replicaSlots(1, 2))
        .as("layer 1 on base slot 1: slots 3..5")
        .containsExactly(3, 4, 5);
    assertThat(strided.replicaSlots(1, 2)).as("base slot 1, stride 2").containsExactly(1, 3, 5);
    assertThat(grouped.layerSlots(0)).containsExactly(0, 1, 2);
    assertThat(grouped.shardOn(1, 2, 4)).isEqualTo(1);
    assertThat(grouped.tensorParallel()).isEqualTo(3);
    assertThatThrownBy(
            () -> PlacementPlan.tensorParallelGrouped(PlacementPolicy.colocate(4), 2, 4, 5, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot place expert-tp 3 with colocate:4 on 5 slots: one copy of the experts needs 2"
                + " slots, 3 need 6. Add executors or GPUs, set spark.moe.slots (--slots), lower"
                + " spark.moe.expert-tp (--expert-tp), or choose a placement with more experts per"
                + " slot");
  }

  @Test
  void dataParallelCopiesTheExpertSetOntoDisjointSlots() {
    PlacementPlan plan = PlacementPlan.dataParallel(PlacementPolicy.SHARED_LAYERS, 2, 4, 8, 2);
    assertThat(plan.replicaSlots(1, 3)).containsExactly(3, 7);
    assertThat(plan.slotFor(1, 3, /* partition= */ 4, 11))
        .as("even partition: copy 0")
        .isEqualTo(3);
    assertThat(plan.slotFor(1, 3, /* partition= */ 5, 0)).as("odd partition: copy 1").isEqualTo(7);
    assertThat(plan.slotFor(1, 3, 5, 1)).as("every token of the partition").isEqualTo(7);
    assertThat(plan.dataParallel()).isEqualTo(2);
    assertThat(plan.split()).isEqualTo(PlacementPlan.ReplicaSplit.OWNERS);
  }

  @Test
  void dataParallelNeedingMoreSlotsNamesTheNumbersAndTheFix() {
    assertThatThrownBy(() -> PlacementPlan.dataParallel(PlacementPolicy.ONE_PER_GPU, 2, 8, 16, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot place data-parallel 2 with one-per-gpu on 16 slots: one copy of the experts"
                + " needs 16 slots, 2 need 32. Add executors or GPUs, set spark.moe.slots"
                + " (--slots), lower spark.moe.data-parallel (--data-parallel), or choose a"
                + " placement with more experts per slot");
    assertThatThrownBy(() -> PlacementPlan.dataParallel(PlacementPolicy.SHARED_LAYERS, 2, 8, 16, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid data-parallel: 0 (expected: at least 1)");
  }

  @Test
  void tensorParallelShardsGoToDisjointSlots() {
    PlacementPlan plan = PlacementPlan.tensorParallel(PlacementPolicy.SHARED_LAYERS, 2, 4, 8, 2);
    assertThat(plan.tensorParallel()).isEqualTo(2);
    assertThat(plan.numReplicas(1, 3)).isEqualTo(1);
    assertThat(plan.shardSlot(1, 3, 0, 0)).isEqualTo(3);
    assertThat(plan.shardSlot(1, 3, 0, 1)).isEqualTo(7);
    assertThat(plan.shardOn(1, 3, 7)).isEqualTo(1);
    assertThat(plan.shardOn(1, 3, 6)).isEqualTo(-1);
    assertThat(plan.layerSlots(0)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThatThrownBy(() -> PlacementPlan.tensorParallel(PlacementPolicy.colocate(2), 2, 8, 8, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot place expert-tp 2 with colocate:2 on 8 slots: one copy of the experts needs 8"
                + " slots, 2 need 16. Add executors or GPUs, set spark.moe.slots (--slots), lower"
                + " spark.moe.expert-tp (--expert-tp), or choose a placement with more experts per"
                + " slot");
  }

  @Test
  void replicasAreChecked() {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 1, 2, 2);
    assertThatThrownBy(() -> plan.withReplicas(0, new int[][] {{0}, {}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid replicas of expert 1 in layer 0: none (expected: at least one slot)");
    assertThatThrownBy(() -> plan.withReplicas(0, new int[][] {{0}, {2}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid replica slot of expert 1 in layer 0: 2 (expected: 0 <= slot < 2)");
    assertThatThrownBy(
            () ->
                PlacementPlan.dataParallel(PlacementPolicy.SHARED_LAYERS, 1, 2, 4, 2)
                    .withReplicas(0, new int[][] {{0}, {1}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot replicate hot experts in a data-parallel or tensor-parallel placement: use one"
                + " or the other");
  }
}
