/**
 * Reading and writing checkpoints in the <a
 * href="https://github.com/huggingface/safetensors">safetensors</a> format: single files ({@link
 * dev.sparkmoe.core.safetensors.SafetensorsFile}), model directories with or without a shard index
 * ({@link dev.sparkmoe.core.safetensors.Checkpoint}), a streaming writer for generated checkpoints
 * ({@link dev.sparkmoe.core.safetensors.SafetensorsWriter}) and the half-precision conversions
 * ({@link dev.sparkmoe.core.safetensors.Float16}, {@link dev.sparkmoe.core.safetensors.BFloat16}).
 *
 * <p>Readers validate every header strictly and throw {@link
 * dev.sparkmoe.core.InvalidModelException} naming the file, the tensor and the problem; I/O
 * failures surface as {@link java.io.UncheckedIOException}.
 */
package dev.sparkmoe.core.safetensors;
