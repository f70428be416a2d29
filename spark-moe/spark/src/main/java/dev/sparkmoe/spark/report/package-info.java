/**
 * The run report as a page people would rather look at than read: {@link
 * dev.sparkmoe.spark.report.HtmlReport} turns a {@link dev.sparkmoe.spark.pipeline.RunReport} into
 * one self-contained HTML file with XChart plots embedded as PNG (tokens per expert per layer, load
 * per slot, time per stage, throughput over the run, traffic against the minimum).
 */
package dev.sparkmoe.spark.report;
