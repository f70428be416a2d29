package dev.sparkmoe.core.config;

import static dev.sparkmoe.core.config.MoeOption.builder;

import dev.sparkmoe.core.balance.HotExpertReplicas;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.config.MoeOption.Scope;
import dev.sparkmoe.core.exchange.ExchangeMode;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.plan.ClusterPresets;
import dev.sparkmoe.core.plan.ClusterSpec;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Every spark-moe setting, declared once: the CLI's flags, the DataFrame API's methods, SQL and
 * DataSource options, the session conf ({@code spark.moe.<key>}), the CUDA backend's system
 * properties and the documentation (README, {@code conf/} templates, help texts) all derive from,
 * or are checked against, this list.
 */
public final class MoeOptions {
  public static final MoeOption<PlacementPolicy> PLACEMENT =
      builder("placement", PlacementPolicy.class, (k, v) -> PlacementPolicy.parse(v))
          .defaultValue("shared-layers")
          .doc("one-per-gpu, shared-layers, colocate:K, in-task or auto (the cost model's choice)");
  public static final MoeOption<ExchangeMode> MODE =
      builder("mode", ExchangeMode.class, (k, v) -> ExchangeMode.parse(v))
          .defaultValue("auto")
          .doc(
              "How tokens reach the experts: shuffle (two Spark shuffles per layer), service"
                  + " (resident expert servers in a barrier stage) or auto (service when the"
                  + " cluster runs the servers and the owners at once)");
  public static final MoeOption<Integer> MICRO_BATCHES =
      builder("service.micro-batches", Integer.class, OptionParsers::positive)
          .defaultValue("2")
          .doc(
              "Service mode: groups of whole rows each owner keeps in flight (2 or more overlap"
                  + " routing with the experts)");
  public static final MoeOption<Integer> GATHER_TOKENS =
      builder("service.gather-tokens", Integer.class, OptionParsers::positive)
          .defaultValue("4096")
          .doc(
              "Service mode: a server gathers queued requests of a layer into one computation up"
                  + " to this many token entries");
  public static final MoeOption<Integer> GATHER_MICROS =
      builder("service.gather-micros", Integer.class, OptionParsers::nonNegative)
          .defaultValue("200")
          .doc("Service mode: how long a server waits for more requests to gather, microseconds");
  public static final MoeOption<Integer> MAX_IN_FLIGHT =
      builder("service.max-in-flight", Integer.class, OptionParsers::positive)
          .defaultValue("64")
          .doc("Service mode: requests one owner has sent and not yet seen answered");
  public static final MoeOption<Integer> QUEUE_CAPACITY =
      builder("service.queue-capacity", Integer.class, OptionParsers::positive)
          .defaultValue("64")
          .doc(
              "Service mode: decoded requests a server holds before its readers block"
                  + " (back-pressure)");
  public static final MoeOption<Long> REQUEST_TIMEOUT_MS =
      builder("service.request-timeout-ms", Long.class, OptionParsers::positiveLong)
          .defaultValue("60000")
          .doc("Service mode: how long an owner waits for one answer before the task fails");
  public static final MoeOption<Long> CONNECT_TIMEOUT_MS =
      builder("service.connect-timeout-ms", Long.class, OptionParsers::positiveLong)
          .defaultValue("120000")
          .doc(
              "Service mode: how long an owner waits to connect, and for a relaunched server's"
                  + " address after one was lost");
  public static final MoeOption<Integer> MAX_RECONNECTS =
      builder("service.max-reconnects", Integer.class, OptionParsers::nonNegative)
          .defaultValue("3")
          .doc("Service mode: reconnects per request before the owner gives up");
  public static final MoeOption<Integer> SLOTS =
      builder("slots", Integer.class, OptionParsers::positive)
          .defaultDoc("one per GPU, else the cluster's task slots")
          .doc("Expert slots: one GPU each, or on CPU one task slot");
  public static final MoeOption<Integer> PARTITIONS =
      builder("partitions", Integer.class, OptionParsers::positive)
          .defaultDoc("the input's partitions")
          .doc("Token-owner partitions (attention, routing, combine)");
  public static final MoeOption<ActivationDtype> ACTIVATION_DTYPE =
      builder("activation-dtype", ActivationDtype.class, (k, v) -> ActivationDtype.parse(v))
          .defaultValue("f32")
          .doc("f32, f16 or bf16: activations in the shuffles");
  public static final MoeOption<ComputeDtype> COMPUTE_DTYPE =
      builder("compute-dtype", ComputeDtype.class, (k, v) -> ComputeDtype.parse(v))
          .defaultValue("f32")
          .doc(
              "f32 (exact) or bf16: expert FFNs and attention projections in bf16 with f32"
                  + " accumulation (oneDNN; CPUs with AVX512-BF16 or AMX)");
  public static final MoeOption<String> BACKEND =
      builder("backend", String.class, OptionParsers::text)
          .defaultValue("cpu")
          .doc("Expert backend: cpu, cuda or auto (cuda where it loads, else cpu; logged)");
  public static final MoeOption<String> ID_COLUMN =
      builder("id-column", String.class, OptionParsers::text)
          .defaultValue("id")
          .doc("Id column: bigint, int or string");
  public static final MoeOption<String> TOKENS_COLUMN =
      builder("tokens-column", String.class, OptionParsers::text)
          .defaultValue("tokens")
          .doc("Token column: array<int>");
  public static final MoeOption<String> TEXT_COLUMN =
      builder("text-column", String.class, OptionParsers::text)
          .defaultDoc("none (the tokens column is read)")
          .doc(
              "Text column (string) to tokenize with the tokenizer, instead of reading a tokens"
                  + " column");
  public static final MoeOption<String> TOKENIZER =
      builder("tokenizer", String.class, OptionParsers::text)
          .defaultDoc("the model folder when it holds tokenizer.json")
          .doc("Folder that holds the Hugging Face tokenizer.json (or the file), for text-column");
  public static final MoeOption<String> ON_ROW_ERROR =
      builder(
              "on-row-error",
              String.class,
              OptionParsers.oneOf("row-error policy", "fail or skip", List.of("fail", "skip")))
          .defaultValue("fail")
          .deprecatedAliases("on-invalid-token")
          .doc(
              "fail the job on a row the model cannot take (a token outside the vocabulary, too"
                  + " many tokens), or skip it; skipped rows are counted in the report");
  public static final MoeOption<Long> WAVE_ROWS =
      builder("wave-rows", Long.class, OptionParsers::positiveLong)
          .defaultDoc("one wave")
          .doc(
              "Process the input in waves of at most this many rows, each through every layer, to"
                  + " bound executor memory");
  public static final MoeOption<Integer> SAMPLE_ROWS =
      builder("sample-rows", Integer.class, OptionParsers::nonNegative)
          .defaultDoc("32 with replicas or auto, else 0")
          .doc(
              "Input rows whose routing the driver measures before the job, for the report and"
                  + " replicas (0: none)");
  public static final MoeOption<HotExpertReplicas.Setting> REPLICAS =
      builder(
              "replicas",
              HotExpertReplicas.Setting.class,
              (k, v) -> HotExpertReplicas.Setting.parse(v))
          .defaultValue("none")
          .doc(
              "Replicas of hot experts from the sampled load: none, auto (on the layer's and the"
                  + " spare slots) or a number of extra replicas per layer; results do not change");
  public static final MoeOption<OptionalDouble> CAPACITY_FACTOR =
      builder("capacity-factor", OptionalDouble.class, OptionParsers::capacityFactor)
          .defaultValue("none")
          .defaultDoc("none (dropless)")
          .doc(
              "Expert capacity factor C > 0: an expert computes at most ceil(C x tokens x top-k /"
                  + " experts) tokens per layer, those of highest routing weight");
  public static final MoeOption<Integer> DATA_PARALLEL =
      builder("data-parallel", Integer.class, OptionParsers::positive)
          .defaultValue("1")
          .doc(
              "Copies of the whole expert set, each on its own slots; owner partition p uses copy"
                  + " p mod copies");
  public static final MoeOption<Integer> EXPERT_TP =
      builder("expert-tp", Integer.class, OptionParsers::positive)
          .defaultDoc("1, or what spark.moe.slot-memory needs")
          .doc(
              "Tensor-parallel shards per expert: its FFN width split over G slots, partial outputs"
                  + " summed at combine");
  public static final MoeOption<Long> SLOT_MEMORY =
      builder("slot-memory", Long.class, OptionParsers::bytes)
          .defaultDoc("no limit")
          .doc(
              "Memory for expert weights per slot, bytes or with k/m/g; experts that do not fit get"
                  + " expert-tp");
  public static final MoeOption<Integer> BATCH_ROWS =
      builder("batch-rows", Integer.class, OptionParsers::positive)
          .defaultValue("256")
          .doc(
              "Rows per forward of the scalar SQL functions (moe_score, moe_embed, moe_next_token):"
                  + " each task feeds its rows to the model in batches of this many");
  public static final MoeOption<OutputKind> KIND =
      builder("kind", OutputKind.class, (k, v) -> OutputKind.parse(v))
          .defaultValue("embedding")
          .deprecatedAliases("output")
          .doc("Output kind: embedding, next-token, score, hidden or generate");
  public static final MoeOption<Integer> MAX_NEW_TOKENS =
      builder("max-new-tokens", Integer.class, OptionParsers::positive)
          .defaultValue("16")
          .doc("generate: at most this many new tokens per row (column max_new_tokens per row)");
  public static final MoeOption<Integer> MIN_NEW_TOKENS =
      builder("min-new-tokens", Integer.class, OptionParsers::nonNegative)
          .defaultValue("0")
          .doc("generate: no end-of-sequence or stop id before this many new tokens");
  public static final MoeOption<Double> TEMPERATURE =
      builder("temperature", Double.class, OptionParsers::number)
          .defaultValue("0")
          .doc("generate: 0 is greedy, else sampling at this temperature");
  public static final MoeOption<Integer> TOP_K =
      builder("top-k", Integer.class, OptionParsers::nonNegative)
          .defaultValue("0")
          .doc("generate: sample among the k most likely tokens (0: all)");
  public static final MoeOption<Double> TOP_P =
      builder("top-p", Double.class, OptionParsers::number)
          .defaultValue("1")
          .doc(
              "generate: sample among the most likely tokens whose probability reaches p (1: all)");
  public static final MoeOption<Double> MIN_P =
      builder("min-p", Double.class, OptionParsers::number)
          .defaultValue("0")
          .doc("generate: drop tokens less likely than min-p times the most likely (0: none)");
  public static final MoeOption<Long> SEED =
      builder("seed", Long.class, OptionParsers::longInteger)
          .defaultValue("0")
          .doc(
              "generate: sampling seed; a row's draws depend only on (seed, row id, step), not on"
                  + " partitions or waves");
  public static final MoeOption<int[]> STOP_TOKEN_IDS =
      builder("stop-token-ids", int[].class, OptionParsers::tokenIds)
          .defaultValue("none")
          .doc("generate: token ids that end a row (kept as its last token), e.g. 2,32000");
  public static final MoeOption<Boolean> IGNORE_EOS =
      builder("ignore-eos", Boolean.class, OptionParsers::bool)
          .defaultValue("false")
          .doc(
              "generate: treat the model's eos_token_id (generation_config.json, else config.json)"
                  + " as an ordinary token");
  public static final MoeOption<Long> KV_CACHE_MEMORY =
      builder("kv-cache-memory", Long.class, OptionParsers::bytes)
          .defaultValue("1g")
          .doc(
              "generate: KV-cache bytes per task; rows are admitted while their prompt and longest"
                  + " answer fit, and leave when they finish");
  public static final MoeOption<ClusterSpec> CLUSTER =
      builder("cluster", ClusterSpec.class, (k, v) -> ClusterPresets.parse(v))
          .scope(Scope.SESSION)
          .defaultDoc("from the executors")
          .doc("The cluster placement auto prices (a moe plan --cluster preset)");
  public static final MoeOption<String> CUDA_DEVICE =
      builder("cuda.device", String.class, OptionParsers::text)
          .scope(Scope.SYSTEM_PROPERTY)
          .defaultValue("0")
          .defaultDoc("the GPU Spark assigned, else 0")
          .doc("The CUDA backend's GPU, a device ordinal; when set, it wins over Spark's");
  public static final MoeOption<String> CUDA_DTYPE =
      builder(
              "cuda.dtype",
              String.class,
              OptionParsers.oneOf("CUDA dtype", "f16, bf16", List.of("f16", "bf16")))
          .scope(Scope.SYSTEM_PROPERTY)
          .defaultValue("bf16")
          .doc("The CUDA backend's tensor-core type, f16 or bf16 (f32 accumulation)");
  public static final MoeOption<Integer> CUDA_CHUNK_TOKENS =
      builder("cuda.chunk-tokens", Integer.class, OptionParsers::integer)
          .scope(Scope.SYSTEM_PROPERTY)
          .defaultValue("2048")
          .doc(
              "The CUDA backend's tokens per pipelined chunk (chunk i+1 uploads while chunk i"
                  + " computes)");

  /** Every setting, in the order messages and documentation list them. */
  public static final List<MoeOption<?>> ALL =
      List.of(
          PLACEMENT,
          MODE,
          MICRO_BATCHES,
          GATHER_TOKENS,
          GATHER_MICROS,
          MAX_IN_FLIGHT,
          QUEUE_CAPACITY,
          REQUEST_TIMEOUT_MS,
          CONNECT_TIMEOUT_MS,
          MAX_RECONNECTS,
          SLOTS,
          PARTITIONS,
          ACTIVATION_DTYPE,
          COMPUTE_DTYPE,
          BACKEND,
          ID_COLUMN,
          TOKENS_COLUMN,
          TEXT_COLUMN,
          TOKENIZER,
          ON_ROW_ERROR,
          WAVE_ROWS,
          SAMPLE_ROWS,
          REPLICAS,
          CAPACITY_FACTOR,
          DATA_PARALLEL,
          EXPERT_TP,
          SLOT_MEMORY,
          BATCH_ROWS,
          KIND,
          MAX_NEW_TOKENS,
          MIN_NEW_TOKENS,
          TEMPERATURE,
          TOP_K,
          TOP_P,
          MIN_P,
          SEED,
          STOP_TOKEN_IDS,
          IGNORE_EOS,
          KV_CACHE_MEMORY,
          CLUSTER,
          CUDA_DEVICE,
          CUDA_DTYPE,
          CUDA_CHUNK_TOKENS);

  private MoeOptions() {}

  /** The settings of {@code scope}, in {@link #ALL}'s order. */
  public static List<MoeOption<?>> inScope(Scope scope) {
    return ALL.stream().filter(o -> o.scope() == scope).toList();
  }

  /** The setting {@code name} (a key or a deprecated alias) names, among {@code options}. */
  public static Optional<MoeOption<?>> find(List<MoeOption<?>> options, String name) {
    return options.stream().filter(o -> o.answersTo(name)).findFirst();
  }

  /** The keys of {@code options} followed by their deprecated aliases. */
  public static List<String> keys(List<MoeOption<?>> options) {
    return java.util.stream.Stream.concat(
            options.stream().map(MoeOption::key),
            options.stream().flatMap(o -> o.deprecatedAliases().stream()))
        .toList();
  }

  /**
   * The value of a system-property setting in this JVM, else its default.
   *
   * @throws IllegalArgumentException if the property holds an invalid value
   */
  public static <T> T systemProperty(MoeOption<T> option) {
    String value = System.getProperty(option.confKey());
    return option.parse(value != null ? value : option.defaultValue());
  }
}
