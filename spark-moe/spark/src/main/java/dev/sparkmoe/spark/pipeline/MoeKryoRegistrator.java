package dev.sparkmoe.spark.pipeline;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers every type the pipeline lets Spark serialize, so that jobs run with {@code
 * spark.kryo.registrationRequired=true}. Set {@code spark.kryo.registrator} to this class (the CLI
 * does).
 */
public final class MoeKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(SlotBatch.class);
    kryo.register(OwnerStep.class);
    kryo.register(SlotBatch[].class);
    kryo.register(dev.sparkmoe.core.pipeline.OwnerState.class, new OwnerStateSerializer());
    kryo.register(int[].class);
    kryo.register(int[][].class);
    kryo.register(long[].class);
    kryo.register(float[].class);
    kryo.register(byte[].class);
    kryo.register(Object[].class);
    kryo.register(float[][].class);
    kryo.register(dev.sparkmoe.core.balance.Capacity.TopWeights.class);
  }
}
