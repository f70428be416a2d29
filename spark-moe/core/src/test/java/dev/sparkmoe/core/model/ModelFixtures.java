package dev.sparkmoe.core.model;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import java.nio.file.Path;

/** Small generated checkpoints for tests. */
public final class ModelFixtures {
  private ModelFixtures() {}

  /** The {@code tiny} preset: 2 layers, 8 experts, top-2, hidden 64, f32. */
  public static ModelSpec tiny() {
    return ModelSpec.Preset.TINY.spec();
  }

  /** Writes {@code spec} into {@code directory} and returns it. */
  public static Path write(ModelSpec spec, Path directory) {
    new ModelGenerator(spec).writeTo(directory);
    return directory;
  }

  /** Writes the tiny Mixtral into {@code directory}. */
  public static Path tinyMixtral(Path directory) {
    return write(tiny(), directory);
  }
}
