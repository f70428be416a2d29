package dev.sparkmoe.core.batch;

import static dev.sparkmoe.core.batch.TokenBatchFixtures.rounded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenBatchCodecTest {
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);
  private BufferAllocator allocator;
  private TokenBatchCodec codec;

  @BeforeEach
  void openAllocator() {
    allocator = Allocators.root("TokenBatchCodecTest");
    codec = new TokenBatchCodec(allocator);
  }

  @AfterEach
  void closeAllocator() {
    allocator.close(); // throws if any call leaked
  }

  static Stream<Arguments> shapes() {
    return Stream.of(ActivationDtype.values())
        .flatMap(
            dtype ->
                Stream.of(1, 64, 1024)
                    .flatMap(
                        hidden ->
                            Stream.of(0, 1, 333)
                                .map(tokens -> Arguments.of(dtype, hidden, tokens))));
  }

  @ParameterizedTest(name = "{0}, hidden {1}, {2} tokens")
  @MethodSource("shapes")
  void roundTripsDispatch(ActivationDtype dtype, int hidden, int numTokens) {
    DispatchBatch batch = TokenBatchFixtures.dispatch(random, numTokens, hidden);

    DispatchBatch decoded = codec.decodeDispatch(codec.encode(batch, dtype));

    DispatchBatch expected =
        new DispatchBatch(
            batch.layer(),
            batch.sourcePartition(),
            hidden,
            batch.rowKeys(),
            batch.positions(),
            batch.experts(),
            batch.weights(),
            rounded(batch.activations(), dtype));
    assertThat(decoded)
        .as("fp32 exact, halves rounded to nearest even, seed %d", seed)
        .isEqualTo(expected);
    assertNoAllocatorsLeft();
  }

  @ParameterizedTest(name = "{0}, hidden {1}, {2} tokens")
  @MethodSource("shapes")
  void roundTripsCombine(ActivationDtype dtype, int hidden, int numTokens) {
    CombineBatch batch = TokenBatchFixtures.combine(random, numTokens, hidden);

    CombineBatch decoded = codec.decodeCombine(codec.encode(batch, dtype));

    CombineBatch expected =
        new CombineBatch(
            batch.layer(),
            batch.sourcePartition(),
            hidden,
            batch.rowKeys(),
            batch.positions(),
            batch.experts(),
            rounded(batch.outputs(), dtype));
    assertThat(decoded)
        .as("fp32 exact, halves rounded to nearest even, seed %d", seed)
        .isEqualTo(expected);
    assertNoAllocatorsLeft();
  }

  @Test
  void roundTripsEveryBitOfF32IncludingNaNPayloads() {
    float[] activations = new float[4096];
    for (int i = 0; i < activations.length; i++) {
      activations[i] = Float.intBitsToFloat(random.nextInt());
    }
    DispatchBatch batch =
        new DispatchBatch(
            1, 2, 8, new long[512], new int[512], new int[512], new float[512], activations);

    float[] decoded = codec.decodeDispatch(codec.encode(batch, ActivationDtype.F32)).activations();

    for (int i = 0; i < activations.length; i++) {
      assertThat(Float.floatToRawIntBits(decoded[i]))
          .as("bits of value %d, seed %d", i, seed)
          .isEqualTo(Float.floatToRawIntBits(activations[i]));
    }
  }

  @Test
  void writesTheDocumentedDispatchSchema() throws IOException {
    DispatchBatch batch =
        new DispatchBatch(
            3, 5, 64, new long[0], new int[0], new int[0], new float[0], new float[0]);

    Schema schema = readSchema(codec.encode(batch, ActivationDtype.F16));

    assertThat(schema.getCustomMetadata())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "spark.moe.kind", "dispatch",
                "spark.moe.layer", "3",
                "spark.moe.source-partition", "5",
                "spark.moe.hidden", "64",
                "spark.moe.dtype", "f16"));
    assertThat(schema.getFields().stream().map(TokenBatchCodecTest::describe))
        .containsExactly(
            "row_key: Int(64, true) not null",
            "position: Int(32, true) not null",
            "expert: Int(32, true) not null",
            "weight: FloatingPoint(SINGLE) not null",
            "hidden: FixedSizeList(64)<element: Int(16, true) not null> not null");
    assertThat(schema.findField("hidden").getMetadata())
        .containsExactly(Map.entry("spark.moe.dtype", "f16"));
  }

  @Test
  void writesTheDocumentedCombineSchema() throws IOException {
    CombineBatch batch = TokenBatchFixtures.combine(random, 3, 16);

    Schema schema = readSchema(codec.encode(batch, ActivationDtype.F32));

    assertThat(schema.getCustomMetadata())
        .containsEntry("spark.moe.kind", "combine")
        .containsEntry("spark.moe.layer", Integer.toString(batch.layer()))
        .containsEntry("spark.moe.source-partition", Integer.toString(batch.sourcePartition()))
        .containsEntry("spark.moe.hidden", "16")
        .containsEntry("spark.moe.dtype", "f32");
    assertThat(schema.getFields().stream().map(TokenBatchCodecTest::describe))
        .containsExactly(
            "row_key: Int(64, true) not null",
            "position: Int(32, true) not null",
            "expert: Int(32, true) not null",
            "output: FixedSizeList(16)<element: FloatingPoint(SINGLE) not null> not null");
    assertThat(schema.findField("output").getMetadata())
        .containsExactly(Map.entry("spark.moe.dtype", "f32"));
  }

  @Test
  void rejectsTheOtherKind() {
    byte[] dispatch = codec.encode(TokenBatchFixtures.dispatch(random, 4, 8), ActivationDtype.BF16);
    byte[] combine = codec.encode(TokenBatchFixtures.combine(random, 4, 8), ActivationDtype.BF16);

    assertThatThrownBy(() -> codec.decodeCombine(dispatch))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid token batch kind: dispatch (expected: combine)");
    assertThatThrownBy(() -> codec.decodeDispatch(combine))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid token batch kind: combine (expected: dispatch)");
    assertNoAllocatorsLeft();
  }

  @Test
  void aTruncatedBatchNamesWhereItCameFrom() {
    byte[] whole = codec.encode(TokenBatchFixtures.dispatch(random, 16, 64), ActivationDtype.F32);
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);

    assertThatThrownBy(() -> codec.decodeDispatch(truncated, "of layer 2 for slot 5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot decode dispatch batch of layer 2 for slot 5: ")
        .hasMessageNotContaining("null");
    assertThatThrownBy(() -> codec.decodeCombine(new byte[0], "for owner partition 7"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot decode combine batch for owner partition 7: ");
    assertNoAllocatorsLeft();
  }

  @Test
  void rejectsBytesThatAreNoArrowStream() {
    byte[] text = "not an Arrow stream".getBytes(StandardCharsets.UTF_8);
    byte[] whole = codec.encode(TokenBatchFixtures.dispatch(random, 16, 64), ActivationDtype.F32);
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);

    assertThatThrownBy(() -> codec.decodeDispatch(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot decode dispatch batch: ");
    assertThatThrownBy(() -> codec.decodeDispatch(truncated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot decode dispatch batch: ");
    assertNoAllocatorsLeft();
  }

  @Test
  void rejectsStreamsWithoutExactlyOneBatch() throws IOException {
    CombineBatch batch = TokenBatchFixtures.combine(random, 2, 4);
    byte[] none = writeBatches(batch, 0);
    byte[] two = writeBatches(batch, 2);

    assertThatThrownBy(() -> codec.decodeCombine(none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid combine stream: no record batch (expected: exactly one)");
    assertThatThrownBy(() -> codec.decodeCombine(two))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid combine stream: more than one record batch (expected: exactly one)");
    assertNoAllocatorsLeft();
  }

  @Test
  void halvesTheBytesWithF16() {
    DispatchBatch batch = TokenBatchFixtures.dispatch(random, 256, 1024);

    int f32 = codec.encode(batch, ActivationDtype.F32).length;
    int f16 = codec.encode(batch, ActivationDtype.F16).length;

    assertThat((double) f16 / f32).as("f16 bytes %d / f32 bytes %d", f16, f32).isBetween(0.45, 0.6);
  }

  @Test
  void printsF32Throughput() {
    DispatchBatch batch = TokenBatchFixtures.dispatch(random, 4096, 1024);
    double megabytes = batch.activations().length * (double) Float.BYTES / 1e6;
    for (int warmup = 0; warmup < 10; warmup++) {
      codec.decodeDispatch(codec.encode(batch, ActivationDtype.F32));
    }
    int repeats = 10;
    long encodeNanos = 0;
    long decodeNanos = 0;
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      byte[] bytes = codec.encode(batch, ActivationDtype.F32);
      long encoded = System.nanoTime();
      codec.decodeDispatch(bytes);
      encodeNanos += encoded - start;
      decodeNanos += System.nanoTime() - encoded;
    }
    System.out.printf(
        "Token batch codec, 4096 x 1024 f32 dispatch: encode %.0f MB/s, decode %.0f MB/s%n",
        megabytes * repeats / (encodeNanos / 1e9), megabytes * repeats / (decodeNanos / 1e9));
  }

  private byte[] writeBatches(CombineBatch batch, int count) throws IOException {
    BatchHeader header =
        new BatchHeader(
            BatchKind.COMBINE,
            batch.layer(),
            batch.sourcePartition(),
            batch.hidden(),
            ActivationDtype.F32);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot root =
            VectorSchemaRoot.create(TokenBatchSchema.schema(header), allocator);
        ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
      BatchColumns.fill(root, batch, ActivationDtype.F32);
      writer.start();
      for (int i = 0; i < count; i++) {
        writer.writeBatch();
      }
      writer.end();
    }
    return out.toByteArray();
  }

  private Schema readSchema(byte[] bytes) throws IOException {
    try (ArrowStreamReader reader =
        new ArrowStreamReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator)) {
      Schema schema = reader.getVectorSchemaRoot().getSchema();
      assertThat(reader.loadNextBatch()).as("one record batch").isTrue();
      assertThat(reader.loadNextBatch()).as("only one record batch").isFalse();
      return schema;
    }
  }

  private static String describe(Field field) {
    List<Field> children = field.getChildren();
    String element = children.isEmpty() ? "" : "<" + describe(children.get(0)) + ">";
    return field.getName()
        + ": "
        + field.getType()
        + element
        + (field.isNullable() ? "" : " not null");
  }

  private void assertNoAllocatorsLeft() {
    assertThat(allocator.getChildAllocators()).as("per-call allocators, closed").isEmpty();
    assertThat(allocator.getAllocatedMemory()).as("bytes still allocated").isZero();
  }
}
