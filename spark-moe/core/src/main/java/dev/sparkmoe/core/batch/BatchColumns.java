package dev.sparkmoe.core.batch;

import static dev.sparkmoe.core.batch.TokenBatchSchema.EXPERT;
import static dev.sparkmoe.core.batch.TokenBatchSchema.HIDDEN;
import static dev.sparkmoe.core.batch.TokenBatchSchema.OUTPUT;
import static dev.sparkmoe.core.batch.TokenBatchSchema.POSITION;
import static dev.sparkmoe.core.batch.TokenBatchSchema.ROW_KEY;
import static dev.sparkmoe.core.batch.TokenBatchSchema.WEIGHT;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/**
 * Moves token batches into and out of a {@link VectorSchemaRoot} of the schema {@link
 * TokenBatchSchema} gives their header.
 */
final class BatchColumns {
  private BatchColumns() {}

  static void fill(VectorSchemaRoot root, DispatchBatch batch, ActivationDtype dtype) {
    fillTokens(root, batch.rowKeys(), batch.positions(), batch.experts());
    ArrowColumns.writeFloats((Float4Vector) root.getVector(WEIGHT), batch.weights());
    HiddenColumn.write(list(root, HIDDEN), batch.activations(), batch.numTokens(), dtype);
    root.setRowCount(batch.numTokens());
  }

  static void fill(VectorSchemaRoot root, CombineBatch batch, ActivationDtype dtype) {
    fillTokens(root, batch.rowKeys(), batch.positions(), batch.experts());
    HiddenColumn.write(list(root, OUTPUT), batch.outputs(), batch.numTokens(), dtype);
    root.setRowCount(batch.numTokens());
  }

  static DispatchBatch toDispatch(BatchHeader header, VectorSchemaRoot root) {
    return new DispatchBatch(
        header.layer(),
        header.sourcePartition(),
        header.hidden(),
        ArrowColumns.readLongs((BigIntVector) root.getVector(ROW_KEY)),
        ArrowColumns.readInts((IntVector) root.getVector(POSITION)),
        ArrowColumns.readInts((IntVector) root.getVector(EXPERT)),
        ArrowColumns.readFloats((Float4Vector) root.getVector(WEIGHT)),
        HiddenColumn.read(list(root, HIDDEN), header.dtype()));
  }

  static CombineBatch toCombine(BatchHeader header, VectorSchemaRoot root) {
    return new CombineBatch(
        header.layer(),
        header.sourcePartition(),
        header.hidden(),
        ArrowColumns.readLongs((BigIntVector) root.getVector(ROW_KEY)),
        ArrowColumns.readInts((IntVector) root.getVector(POSITION)),
        ArrowColumns.readInts((IntVector) root.getVector(EXPERT)),
        HiddenColumn.read(list(root, OUTPUT), header.dtype()));
  }

  private static void fillTokens(
      VectorSchemaRoot root, long[] rowKeys, int[] positions, int[] experts) {
    ArrowColumns.writeLongs((BigIntVector) root.getVector(ROW_KEY), rowKeys);
    ArrowColumns.writeInts((IntVector) root.getVector(POSITION), positions);
    ArrowColumns.writeInts((IntVector) root.getVector(EXPERT), experts);
  }

  private static FixedSizeListVector list(VectorSchemaRoot root, String column) {
    return (FixedSizeListVector) root.getVector(column);
  }
}
