package dev.sparkmoe.core.service;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One message of the service's socket protocol: a fixed header — magic, kind, the {@link
 * RequestId}'s five ints, the payload length — then the payload: an Arrow IPC stream of a dispatch
 * batch (REQUEST) or a combine batch (RESPONSE), a UTF-8 message (ERROR), nothing (STOP).
 */
record Frame(Frame.Kind kind, RequestId id, byte[] payload) {
  static final int MAGIC = 0x4D4F4553; // "MOES"
  static final int HEADER_BYTES = 4 + 1 + 5 * 4 + 4;
  private static final int MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 8;
  private static final RequestId NO_ID = new RequestId(0, 0, 0, 0, 0);

  enum Kind {
    REQUEST,
    RESPONSE,
    ERROR,
    STOP
  }

  static Frame stop() {
    return new Frame(Kind.STOP, NO_ID, new byte[0]);
  }

  static Frame error(RequestId id, String message) {
    return new Frame(Kind.ERROR, id, message.getBytes(StandardCharsets.UTF_8));
  }

  String message() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  /** Writes the frame and flushes; the caller serializes writers of one stream. */
  void write(DataOutputStream out) throws IOException {
    out.writeInt(MAGIC);
    out.writeByte(kind.ordinal());
    out.writeInt(id.partition());
    out.writeInt(id.attempt());
    out.writeInt(id.layer());
    out.writeInt(id.microBatch());
    out.writeInt(id.slot());
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  /**
   * The next frame, or null at a clean end of stream (between frames).
   *
   * @throws IOException if the stream breaks inside a frame or is not this protocol
   */
  static Frame read(DataInputStream in) throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (magic != MAGIC) {
      throw new IOException(
          String.format(
              "Invalid frame magic: 0x%08x (expected: 0x%08x, a spark-moe expert service peer)",
              magic, MAGIC));
    }
    int kind = in.readUnsignedByte();
    if (kind >= Kind.values().length) {
      throw new IOException("Invalid frame kind: " + kind + " (expected: 0 to 3)");
    }
    RequestId id =
        new RequestId(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt());
    int length = in.readInt();
    if (length < 0 || length > MAX_PAYLOAD_BYTES) {
      throw new IOException(
          "Invalid frame payload length: "
              + length
              + " (expected: 0 to "
              + MAX_PAYLOAD_BYTES
              + ")");
    }
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new Frame(Kind.values()[kind], id, payload);
  }
}
