package dev.agora.core.transport.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Mesos RecordIO framing: each record is its length in bytes in decimal, a newline, then the
 * record ({@code 42\n{"type":"HEARTBEAT"...}}).
 *
 * <p>Concurrency: stateless.
 */
public final class RecordIo {
  private RecordIo() {}

  /** Frames one record. */
  public static byte[] frame(byte[] record) {
    byte[] head = (record.length + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + record.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(record, 0, out, head.length, record.length);
    return out;
  }

  /**
   * Reads the next record, or empty at a clean end of stream.
   *
   * @throws IOException if the stream breaks mid-record, a length is malformed or over {@code max}
   */
  public static Optional<byte[]> read(InputStream in, int max) throws IOException {
    ByteArrayOutputStream digits = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        if (digits.size() == 0) {
          return Optional.empty();
        }
        throw new IOException("stream ended inside a RecordIO length");
      }
      if (c < '0' || c > '9' || digits.size() > 10) {
        throw new IOException("malformed RecordIO length");
      }
      digits.write(c);
    }
    long length = Long.parseLong(digits.toString(StandardCharsets.US_ASCII));
    if (length > max) {
      throw new IOException("RecordIO record of " + length + " bytes exceeds " + max);
    }
    byte[] record = in.readNBytes((int) length);
    if (record.length != length) {
      throw new IOException("stream ended inside a RecordIO record");
    }
    return Optional.of(record);
  }
}
