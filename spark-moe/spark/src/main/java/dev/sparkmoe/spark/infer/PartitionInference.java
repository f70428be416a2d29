package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.TokenRows;
import dev.sparkmoe.core.model.ModelConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Runs one partition: pulls input rows in batches of about {@code batchTokens} tokens, runs the
 * forward, and yields the output rows lazily, so a partition is never held in memory whole.
 */
final class PartitionInference implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final InferenceOptions options;

  PartitionInference(InferenceOptions options) {
    this.options = options;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    LoadedModel loaded = LoadedModel.get(options.modelPath(), options.backend());
    return new Iterator<>() {
      private Iterator<Row> batch = List.<Row>of().iterator();

      @Override
      public boolean hasNext() {
        while (!batch.hasNext() && input.hasNext()) {
          batch = runBatch(loaded, input).iterator();
        }
        return batch.hasNext();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return batch.next();
      }
    };
  }

  private List<Row> runBatch(LoadedModel loaded, Iterator<Row> input) {
    ModelConfig config = loaded.model().config();
    List<Object> ids = new ArrayList<>();
    List<int[]> tokens = new ArrayList<>();
    int batchTokens = 0;
    while (input.hasNext() && batchTokens < options.batchTokens()) {
      Row row = input.next();
      int[] rowTokens = RowTokens.read(row, 1, config);
      ids.add(row.get(0));
      tokens.add(rowTokens);
      batchTokens += rowTokens == null ? 0 : rowTokens.length;
    }
    return compute(loaded, ids, tokens);
  }

  private List<Row> compute(LoadedModel loaded, List<Object> ids, List<int[]> tokens) {
    List<int[]> nonEmpty = tokens.stream().filter(t -> t != null).toList();
    FinalHidden states = nonEmpty.isEmpty() ? null : loaded.forward().run(nonEmpty);
    OutputHead head = loaded.forward().head();
    List<Row> out = new ArrayList<>(ids.size());
    int computed = 0;
    for (int i = 0; i < ids.size(); i++) {
      int[] row = tokens.get(i);
      out.add(
          row == null ? nullRow(ids.get(i)) : values(ids.get(i), head, states, computed++, row));
    }
    return out;
  }

  private Row values(Object id, OutputHead head, FinalHidden states, int index, int[] tokens) {
    return switch (options.kind()) {
      case EMBEDDING -> RowFactory.create(id, head.embedding(states, index));
      case NEXT_TOKEN -> {
        OutputHead.NextToken next = head.nextToken(states, index);
        yield RowFactory.create(id, next.token(), next.logprob());
      }
      case SCORE -> {
        OutputHead.Score score = head.score(states, index, tokens);
        yield RowFactory.create(id, score.logLikelihood(), score.numTokens());
      }
      case HIDDEN -> RowFactory.create(id, head.hidden(states, index));
    };
  }

  private Row nullRow(Object id) {
    return switch (options.kind()) {
      case EMBEDDING, HIDDEN -> RowFactory.create(id, null);
      case NEXT_TOKEN, SCORE -> RowFactory.create(id, null, null);
    };
  }

  /** Token arrays from Spark rows, range-checked before narrowing to int. */
  static final class RowTokens {
    private RowTokens() {}

    /** The row's tokens, or null when the array is null or empty. */
    static int[] read(Row row, int column, ModelConfig config) {
      if (row.isNullAt(column)) {
        return null;
      }
      List<Object> values = row.getList(column);
      if (values.isEmpty()) {
        return null;
      }
      String label = String.valueOf(row.get(0));
      int[] tokens = new int[values.size()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = narrow(values.get(i), label, i, config);
      }
      TokenRows.check(label, tokens, config);
      return tokens;
    }

    private static int narrow(Object value, String label, int position, ModelConfig config) {
      if (value == null) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid token id null in row %s at position %d (expected: 0 <= id < %d)",
                label, position, config.vocabSize()));
      }
      long id = ((Number) value).longValue();
      if (id < 0 || id >= config.vocabSize()) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid token id %d in row %s at position %d (expected: 0 <= id < %d)",
                id, label, position, config.vocabSize()));
      }
      return (int) id;
    }
  }
}
