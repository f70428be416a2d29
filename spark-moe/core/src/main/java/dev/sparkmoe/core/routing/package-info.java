/**
 * Mixture-of-Experts routing: router logits in, top-k expert choices with weights out.
 *
 * <p>Routers reproduce the Hugging Face {@code transformers} routing functions exactly, with all
 * arithmetic in fp32 as torch does it. Where torch leaves the order unspecified (the order of
 * {@code topk} on ties), this package defines it: higher score first, lower index first on equal
 * scores.
 */
package dev.sparkmoe.core.routing;
