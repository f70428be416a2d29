package dev.sparkmoe.rapids;

import ai.rapids.cudf.BinaryOp;
import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.ColumnView;
import ai.rapids.cudf.DType;
import ai.rapids.cudf.Scalar;
import ai.rapids.cudf.Table;
import com.nvidia.spark.RapidsUDF;
import dev.sparkmoe.spark.sql.TokenWindows;

/**
 * {@code moe_windows(tokens, length, stride)} on the GPU, with list operations only: the windows of
 * each row are counted as on the CPU; {@code lists::sequences} gives each row its windows' start
 * offsets into the flat id column (step stride) and, with step 0, each window its row's end and
 * length; a second {@code sequences} gives each window the offsets of its ids, which one gather
 * turns into ids. The window lists become the child of the per-row list of starts; NULL where any
 * argument is NULL. The same results as the CPU path it extends.
 */
public final class GpuTokenWindows extends TokenWindows implements RapidsUDF {
  private static final long serialVersionUID = 1L;

  @Override
  public ColumnVector evaluateColumnar(int numRows, ColumnVector... args) {
    ColumnVector tokens = args[0];
    ColumnVector length = args[1];
    ColumnVector stride = args[2];
    checkShapes(length, stride);
    try (ColumnVector sizes = CudfColumns.sizes(tokens);
        ColumnVector lengths = CudfColumns.withoutNulls(length, 1);
        ColumnVector strides = CudfColumns.withoutNulls(stride, 1);
        ColumnVector counts = counts(sizes, lengths, strides);
        ColumnVector zeros = CudfColumns.filled(0, numRows);
        ColumnView offsets = tokens.getListOffsetsView();
        ColumnVector rowStarts = offsets.subVector(0, numRows);
        ColumnVector rowEnds = rowStarts.binaryOp(BinaryOp.ADD, sizes, DType.INT32);
        ColumnVector starts = ColumnVector.sequence(rowStarts, counts, strides);
        ColumnVector ends = ColumnVector.sequence(rowEnds, counts, zeros);
        ColumnVector windowLengths = ColumnVector.sequence(lengths, counts, zeros);
        ColumnView windowStarts = starts.getChildColumnView(0);
        ColumnView windowEnds = ends.getChildColumnView(0);
        ColumnView windowLimits = windowLengths.getChildColumnView(0);
        ColumnVector remaining = windowEnds.binaryOp(BinaryOp.SUB, windowStarts, DType.INT32);
        ColumnVector limited = remaining.binaryOp(BinaryOp.NULL_MIN, windowLimits, DType.INT32);
        // Rows that end NULL (a NULL length or stride) may have computed past their end.
        ColumnVector windowSizes = atLeastZero(limited);
        ColumnVector positions = ColumnVector.sequence(windowStarts, windowSizes);
        ColumnView flatPositions = positions.getChildColumnView(0);
        ColumnView ids = tokens.getChildColumnView(0);
        ColumnVector flatIds = ids.copyToColumnVector();
        Table idTable = new Table(flatIds);
        Table gathered = idTable.gather(flatPositions);
        ColumnView windows = positions.replaceListChild(gathered.getColumn(0));
        ColumnView perRow = starts.replaceListChild(windows)) {
      return perRow.mergeAndSetValidity(BinaryOp.BITWISE_AND, tokens, length, stride);
    }
  }

  /**
   * {@code TokenWindows.count} per row: 0 when empty, else 1 + ceil(max(size - length, 0) /
   * stride).
   */
  private static ColumnVector counts(ColumnView sizes, ColumnView lengths, ColumnView strides) {
    try (Scalar zero = Scalar.fromInt(0);
        Scalar one = Scalar.fromInt(1);
        ColumnVector excess = sizes.binaryOp(BinaryOp.SUB, lengths, DType.INT32);
        ColumnVector over = excess.binaryOp(BinaryOp.NULL_MAX, zero, DType.INT32);
        ColumnVector rounded = over.binaryOp(BinaryOp.ADD, strides, DType.INT32);
        ColumnVector roundedDown = rounded.binaryOp(BinaryOp.SUB, one, DType.INT32);
        ColumnVector after = roundedDown.binaryOp(BinaryOp.DIV, strides, DType.INT32);
        ColumnVector windows = after.binaryOp(BinaryOp.ADD, one, DType.INT32);
        ColumnVector empty = sizes.binaryOp(BinaryOp.EQUAL, zero, DType.BOOL8)) {
      return empty.ifElse(zero, windows);
    }
  }

  private static ColumnVector atLeastZero(ColumnView ints) {
    try (Scalar zero = Scalar.fromInt(0)) {
      return ints.binaryOp(BinaryOp.NULL_MAX, zero, DType.INT32);
    }
  }

  /** The CPU path's checks, with its messages: on the host only when a device check fails. */
  private static void checkShapes(ColumnView length, ColumnView stride) {
    boolean ok;
    try (ColumnVector slack = length.binaryOp(BinaryOp.SUB, stride, DType.INT32)) {
      ok =
          CudfColumns.minimum(length, 1) >= 1
              && CudfColumns.minimum(stride, 1) >= 1
              && CudfColumns.minimum(slack, 0) >= 0;
    }
    if (!ok) {
      try (ai.rapids.cudf.HostColumnVector lengths = length.copyToHost();
          ai.rapids.cudf.HostColumnVector strides = stride.copyToHost()) {
        for (long row = 0; row < lengths.getRowCount(); row++) {
          if (!lengths.isNull(row) && !strides.isNull(row)) {
            checkShape(lengths.getInt(row), strides.getInt(row));
          }
        }
      }
    }
  }
}
