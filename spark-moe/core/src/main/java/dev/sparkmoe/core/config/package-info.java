/**
 * The one registry of spark-moe's settings ({@link dev.sparkmoe.core.config.MoeOptions}): each key
 * declared once with its type, default, parser and documentation. Engines resolve them in their own
 * precedence (Spark: call options, then the session conf, then the defaults).
 */
package dev.sparkmoe.core.config;
