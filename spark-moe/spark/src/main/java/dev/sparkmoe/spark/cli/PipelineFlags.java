package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The pipeline flags of {@code moe infer}, generated from the registry: {@code --<key>} for every
 * {@link MoeOptions} call option, typed as the option (integers stay integers), with its one line
 * of documentation and its default.
 */
final class PipelineFlags implements IModelTransformer {
  /**
   * The flags {@code infer} always passes: their default is the registry's, not the session conf's.
   */
  static final List<MoeOption<?>> ALWAYS_SET =
      List.of(MoeOptions.KIND, MoeOptions.ID_COLUMN, MoeOptions.TOKENS_COLUMN);

  @Override
  public CommandSpec transform(CommandSpec spec) {
    for (MoeOption<?> option : MoeOptions.inScope(MoeOption.Scope.CALL)) {
      spec.addOption(flag(option, spec));
    }
    return spec;
  }

  /** The flags' values by key: those given, and the ones always set. */
  static Map<String, String> values(CommandSpec spec) {
    Map<String, String> values = new LinkedHashMap<>();
    for (MoeOption<?> option : MoeOptions.inScope(MoeOption.Scope.CALL)) {
      Object value = spec.findOption(name(option)).getValue();
      if (value != null) {
        values.put(option.key(), value.toString());
      }
    }
    return values;
  }

  /** The flag's help text. */
  static String description(MoeOption<?> option) {
    String fallback =
        ALWAYS_SET.contains(option)
            ? "${DEFAULT-VALUE}"
            : option.confKey() + ", else " + option.defaultDoc();
    return option.doc() + " (default: " + fallback + ").";
  }

  /**
   * {@code --<key>}, and {@code --<alias>} for each deprecated alias the command does not use for
   * something else ({@code --output} is the output path, not the old name of {@code --kind}).
   */
  private static OptionSpec flag(MoeOption<?> option, CommandSpec spec) {
    List<String> names = new java.util.ArrayList<>(List.of(name(option)));
    for (String alias : option.deprecatedAliases()) {
      if (spec.findOption("--" + alias) == null) {
        names.add("--" + alias);
      }
    }
    OptionSpec.Builder flag =
        OptionSpec.builder(names.toArray(String[]::new))
            .type(type(option))
            .paramLabel(paramLabel(option))
            .description(description(option));
    if (ALWAYS_SET.contains(option)) {
      flag.defaultValue(option.defaultValue());
    }
    return flag.build();
  }

  /** {@code <activationDtype>}: the label picocli gave the annotated field of that name. */
  private static String paramLabel(MoeOption<?> option) {
    StringBuilder label = new StringBuilder("<");
    boolean upper = false;
    for (char c : option.key().toCharArray()) {
      if (c == '-' || c == '.') {
        upper = true;
      } else {
        label.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return label.append('>').toString();
  }

  private static String name(MoeOption<?> option) {
    return "--" + option.key();
  }

  /**
   * Numbers keep picocli's own conversion (and its usage error); the rest parse in the registry.
   */
  private static Class<?> type(MoeOption<?> option) {
    return option.type() == Integer.class || option.type() == Long.class
        ? option.type()
        : String.class;
  }
}
