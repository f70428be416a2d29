/**
 * Placement planning: a description of the cluster ({@link dev.sparkmoe.core.plan.ClusterSpec}) and
 * of the model ({@link dev.sparkmoe.core.plan.ModelShape}), where every expert lives ({@link
 * dev.sparkmoe.core.plan.Layout}), and the {@link dev.sparkmoe.core.plan.CostModel} that predicts
 * per-layer time, tokens per second and time per output token from hardware rates, optionally
 * calibrated with measured kernel times ({@link dev.sparkmoe.core.plan.KernelCalibration}). The
 * {@link dev.sparkmoe.core.plan.Planner} ranks placements and recommends one.
 *
 * <p>Engine-agnostic: no Spark, no CUDA. Everything here is an immutable value or a pure function.
 * Units are in the names: seconds, bytes, bytes per second, FLOP per second.
 */
package dev.sparkmoe.core.plan;
