package dev.sparkmoe.core.batch;

import dev.sparkmoe.core.safetensors.BFloat16;
import dev.sparkmoe.core.safetensors.Float16;
import java.nio.ByteBuffer;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/**
 * Copies between row-major fp32 {@code [numTokens, hidden]} arrays and {@code
 * fixed_size_list<hidden>} vectors in an activation dtype: float32 elements for {@code f32}, the
 * raw int16 bits for {@code f16} and {@code bf16}, converted with round to nearest even.
 */
final class HiddenColumn {
  private HiddenColumn() {}

  static void write(
      FixedSizeListVector vector, float[] values, int numTokens, ActivationDtype dtype) {
    vector.setInitialCapacity(numTokens);
    vector.allocateNew();
    ArrowColumns.setAllValid(vector.getValidityBuffer(), numTokens);
    vector.setValueCount(numTokens);
    ByteBuffer data = ArrowColumns.fill(elements(vector), values.length);
    switch (dtype) {
      case F32 -> data.asFloatBuffer().put(values);
      case F16 -> Float16.encode(values, 0, values.length, data);
      case BF16 -> BFloat16.encode(values, 0, values.length, data);
    }
  }

  static float[] read(FixedSizeListVector vector, ActivationDtype dtype) {
    ArrowColumns.checkNoNulls(vector);
    ByteBuffer data = ArrowColumns.data(elements(vector));
    float[] values = new float[Math.multiplyExact(vector.getValueCount(), vector.getListSize())];
    switch (dtype) {
      case F32 -> data.asFloatBuffer().get(values);
      case F16 -> Float16.decode(data, values, 0, values.length);
      case BF16 -> BFloat16.decode(data, values, 0, values.length);
    }
    return values;
  }

  private static BaseFixedWidthVector elements(FixedSizeListVector vector) {
    return (BaseFixedWidthVector) vector.getDataVector();
  }
}
