package dev.sparkmoe.core.model;

/**
 * One routed expert's FFN as bfloat16 bits (the top 16 bits of each f32), laid out as {@link
 * ExpertWeights}: what a bf16 backend holds, with no f32 copy. Arrays are shared read-only.
 *
 * @param gateUp [2 * ffn, hidden]: the gate rows, then the up rows
 * @param down [hidden, ffn]
 */
public record Bf16ExpertWeights(
    int layer, int expert, int hidden, int ffn, short[] gateUp, short[] down) {}
