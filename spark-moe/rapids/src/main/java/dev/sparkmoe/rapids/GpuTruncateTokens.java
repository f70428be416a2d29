package dev.sparkmoe.rapids;

import ai.rapids.cudf.BinaryOp;
import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.DType;
import com.nvidia.spark.RapidsUDF;
import dev.sparkmoe.spark.sql.TruncateTokens;

/**
 * {@code moe_truncate(tokens, n)} on the GPU: per row the index list {@code 0 .. min(n, size) - 1}
 * ({@code lists::sequences}), gathered from the row's ids ({@code segmented_gather}); then NULL
 * where tokens or n is NULL. The same results as the CPU path it extends.
 */
public final class GpuTruncateTokens extends TruncateTokens implements RapidsUDF {
  private static final long serialVersionUID = 1L;

  @Override
  public ColumnVector evaluateColumnar(int numRows, ColumnVector... args) {
    ColumnVector tokens = args[0];
    ColumnVector n = args[1];
    if (CudfColumns.minimum(n, 0) < 0) {
      CudfColumns.forEachValue(n, TruncateTokens::checkCount);
    }
    try (ColumnVector sizes = CudfColumns.sizes(tokens);
        ColumnVector keep = CudfColumns.withoutNulls(n, 0);
        ColumnVector kept = sizes.binaryOp(BinaryOp.NULL_MIN, keep, DType.INT32);
        ColumnVector zeros = CudfColumns.filled(0, numRows);
        ColumnVector indices = ColumnVector.sequence(zeros, kept);
        ColumnVector cut = tokens.segmentedGather(indices)) {
      return cut.mergeAndSetValidity(BinaryOp.BITWISE_AND, tokens, n);
    }
  }
}
