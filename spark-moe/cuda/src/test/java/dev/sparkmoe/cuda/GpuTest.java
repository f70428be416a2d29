package dev.sparkmoe.cuda;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs a CUDA GPU: tagged {@code gpu}, and skipped (saying why) where the
 * CUDA backend cannot run, unless {@code -Dmoe.gpu.required=true} (as native/gpu-check.sh sets),
 * which turns the skip into a failure.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("gpu")
@ExtendWith(GpuCondition.class)
public @interface GpuTest {}
