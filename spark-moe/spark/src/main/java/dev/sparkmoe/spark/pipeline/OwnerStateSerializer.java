package dev.sparkmoe.spark.pipeline;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.sparkmoe.core.pipeline.OwnerState;

/**
 * Kryo form of {@link OwnerState} (a record, whose final fields Kryo's field serializer cannot
 * set): used when a persisted owner partition spills to disk.
 */
final class OwnerStateSerializer extends Serializer<OwnerState> {
  @Override
  public void write(Kryo kryo, Output output, OwnerState state) {
    output.writeInt(state.partition());
    kryo.writeObject(output, state.ids());
    kryo.writeObject(output, state.tokens());
    kryo.writeObject(output, state.rowOffsets());
    kryo.writeObject(output, state.residual());
  }

  @Override
  public OwnerState read(Kryo kryo, Input input, Class<OwnerState> type) {
    int partition = input.readInt();
    Object[] ids = kryo.readObject(input, Object[].class);
    int[][] tokens = kryo.readObject(input, int[][].class);
    int[] offsets = kryo.readObject(input, int[].class);
    float[] residual = kryo.readObject(input, float[].class);
    return new OwnerState(partition, ids, tokens, offsets, residual);
  }
}
