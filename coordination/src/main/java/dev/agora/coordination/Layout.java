package dev.agora.coordination;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Where one cluster's nodes live under its root, and the epoch node's format.
 *
 * <pre>
 * root/candidates/_c_&lt;guid&gt;-c-NNNNNNNNNN  ephemeral sequential, data: the master's address
 * root/epoch                                  data: epoch (long), leader's candidate name, address
 * root/state/&lt;key path&gt;                       a StateStore value (empty data: no value)
 * root/chunks/&lt;generation&gt;/&lt;i&gt;               chunks of values past the inline limit
 * </pre>
 */
record Layout(String root) {
  String candidates() {
    return root + "/candidates";
  }

  String epoch() {
    return root + "/epoch";
  }

  String state() {
    return root + "/state";
  }

  String chunks() {
    return root + "/chunks";
  }

  /** What the epoch node says: the latest term and who claimed it (empty names for a bare epoch). */
  record EpochRecord(long epoch, String candidate, String address) {
    static final EpochRecord NONE = new EpochRecord(0, "", "");

    byte[] encode() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeLong(epoch);
        out.writeUTF(candidate);
        out.writeUTF(address);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    static EpochRecord decode(byte[] data) {
      if (data == null || data.length < Long.BYTES) {
        return NONE;
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        long epoch = in.readLong();
        if (in.available() == 0) {
          return new EpochRecord(epoch, "", "");
        }
        return new EpochRecord(epoch, in.readUTF(), in.readUTF());
      } catch (IOException e) {
        return NONE;
      }
    }

    Optional<String> leaderAddress() {
      return address.isEmpty() ? Optional.empty() : Optional.of(address);
    }
  }
}
