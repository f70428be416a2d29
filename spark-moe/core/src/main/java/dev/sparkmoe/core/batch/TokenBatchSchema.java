package dev.sparkmoe.core.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** The Arrow schemas of token batches, as {@link TokenBatchCodec} documents them. */
final class TokenBatchSchema {
  static final String ROW_KEY = "row_key";
  static final String POSITION = "position";
  static final String EXPERT = "expert";
  static final String WEIGHT = "weight";
  static final String HIDDEN = "hidden";
  static final String OUTPUT = "output";
  static final String ELEMENT = "element";

  private static final ArrowType INT64 = new ArrowType.Int(64, true);
  private static final ArrowType INT32 = new ArrowType.Int(32, true);
  private static final ArrowType INT16 = new ArrowType.Int(16, true);
  private static final ArrowType FLOAT32 =
      new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

  private TokenBatchSchema() {}

  static Schema schema(BatchHeader header) {
    List<Field> fields = new ArrayList<>();
    fields.add(column(ROW_KEY, INT64));
    fields.add(column(POSITION, INT32));
    fields.add(column(EXPERT, INT32));
    if (header.kind() == BatchKind.DISPATCH) {
      fields.add(column(WEIGHT, FLOAT32));
    }
    fields.add(vectorColumn(header));
    return new Schema(fields, header.metadata());
  }

  /**
   * Reads the header of {@code schema} and checks its columns against it.
   *
   * @throws IllegalArgumentException if the kind is not {@code expected}, the metadata is
   *     incomplete, or the columns are not the ones the metadata implies
   */
  static BatchHeader read(Schema schema, BatchKind expected) {
    BatchHeader header = BatchHeader.read(schema.getCustomMetadata(), expected);
    List<Field> columns = schema(header).getFields();
    if (!schema.getFields().equals(columns)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s batch columns: %s (expected: %s)",
              expected.metadataName(), schema.getFields(), columns));
    }
    return header;
  }

  private static Field column(String name, ArrowType type) {
    return new Field(name, FieldType.notNullable(type), null);
  }

  private static Field vectorColumn(BatchHeader header) {
    ArrowType elementType = header.dtype() == ActivationDtype.F32 ? FLOAT32 : INT16;
    FieldType type =
        new FieldType(
            /* nullable= */ false,
            new ArrowType.FixedSizeList(header.hidden()),
            /* dictionary= */ null,
            Map.of(BatchHeader.DTYPE, header.dtype().cliName()));
    return new Field(header.kind().vectorColumn(), type, List.of(column(ELEMENT, elementType)));
  }
}
