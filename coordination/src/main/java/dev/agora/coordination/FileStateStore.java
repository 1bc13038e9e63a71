package dev.agora.coordination;

import dev.agora.core.coordination.FenceableStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A durable {@link StateStore} in a local directory, for a single master without ZooKeeper.
 *
 * <p>Layout: {@code dir/state/<segment>.d/.../<last segment>.v} per key (so {@code a} and
 * {@code a/b} never collide), each file holding the version (8 bytes) then the value;
 * {@code dir/epoch} holds the epoch; {@code dir/lock} is held while the store is open. A write
 * goes to a temporary file in the target directory, is fsynced, atomically renamed over the target
 * and the directory fsynced: after a crash a key holds its old or its new value, never a mix.
 * Temporary files left by a crash are deleted on open. Made by {@link StateStores#file}.
 *
 * <p>Concurrency: thread-safe; every method holds the store's monitor, so a fenced write's epoch
 * check and the write are one step. One process at a time: {@link #open} takes an exclusive lock
 * on {@code dir/lock}. Reads are served from memory (the whole state is loaded on open); writes
 * reach the disk before they return. I/O failures throw {@link StateStoreException}; the key is
 * unchanged in memory then.
 *
 * <p>Stamps ({@link #stamps}): a key's is this store object's count of writes at the key's last
 * write (keys loaded on open count as written then), so it never repeats while the store is open;
 * another open of the directory is another store, whose stamps are not to be compared with these.
 */
final class FileStateStore implements FenceableStore {
  private static final String VALUE = ".v";
  private static final String DIR = ".d";
  private static final String TEMP = ".tmp-";

  private final Path root;
  private final Path state;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final TreeMap<String, Versioned> values = new TreeMap<>();
  private final TreeMap<String, Long> stamps = new TreeMap<>();
  private long writeCount;
  private long epoch;
  private boolean closed;

  private FileStateStore(Path root, FileChannel lockChannel, FileLock lock) throws IOException {
    this.root = root;
    this.state = root.resolve("state");
    this.lockChannel = lockChannel;
    this.lock = lock;
    Files.createDirectories(state);
    load(state, "");
    Path epochFile = root.resolve("epoch");
    if (Files.exists(epochFile)) {
      epoch = ByteBuffer.wrap(Files.readAllBytes(epochFile)).getLong();
    }
    cleanTemps(root);
  }

  /**
   * Opens (creating if needed) the store in {@code directory}; see {@link StateStores#file}.
   *
   * @throws IllegalStateException if another store (in this or another process) has it open
   * @throws StateStoreException if the directory cannot be read or created
   */
  static FileStateStore open(Path directory) {
    Objects.requireNonNull(directory, "directory");
    FileChannel channel = null;
    try {
      Files.createDirectories(directory);
      channel = FileChannel.open(directory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new IllegalStateException("state directory " + directory + " is in use by another store");
      }
      return new FileStateStore(directory, channel, lock);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new StateStoreException("cannot open state directory " + directory + ": " + e, e);
    }
  }

  private void load(Path dir, String prefix) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (name.endsWith(DIR) && Files.isDirectory(p)) {
          load(p, prefix + name.substring(0, name.length() - DIR.length()) + "/");
        } else if (name.endsWith(VALUE) && Files.isRegularFile(p)) {
          byte[] bytes = Files.readAllBytes(p);
          long version = ByteBuffer.wrap(bytes).getLong();
          String key = prefix + name.substring(0, name.length() - VALUE.length());
          values.put(key, new Versioned(Arrays.copyOfRange(bytes, Long.BYTES, bytes.length), version));
          stamps.put(key, ++writeCount);
        } else if (name.startsWith(TEMP)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static void cleanTemps(Path dir) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, TEMP + "*")) {
      for (Path p : entries) {
        Files.deleteIfExists(p);
      }
    }
  }

  private Path file(String key) {
    String[] segments = key.split("/");
    Path p = state;
    for (int i = 0; i < segments.length - 1; i++) {
      p = p.resolve(segments[i] + DIR);
    }
    return p.resolve(segments[segments.length - 1] + VALUE);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("state store in " + root + " is closed");
    }
  }

  @Override
  public synchronized Optional<Versioned> get(String key) {
    StateStore.checkKey(key);
    checkOpen();
    Versioned v = values.get(key);
    return v == null ? Optional.empty() : Optional.of(new Versioned(v.value().clone(), v.version()));
  }

  @Override
  public synchronized Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion, long fence) {
    StateStore.checkKey(key);
    Objects.requireNonNull(value, "value");
    checkOpen();
    Versioned current = values.get(key);
    long version = current == null ? -1 : current.version();
    if (version != expectedVersion || fence != 0 && fence < epoch) {
      return Optional.empty();
    }
    byte[] bytes = ByteBuffer.allocate(Long.BYTES + value.length).putLong(version + 1).put(value).array();
    try {
      Path target = file(key);
      Files.createDirectories(target.getParent());
      writeAtomically(target, bytes);
    } catch (IOException e) {
      throw new StateStoreException("write of " + key + " in " + root + " failed: " + e, e);
    }
    values.put(key, new Versioned(value.clone(), version + 1));
    stamps.put(key, ++writeCount);
    return Optional.of(version + 1);
  }

  @Override
  public synchronized boolean delete(String key, long expectedVersion, long fence) {
    StateStore.checkKey(key);
    checkOpen();
    Versioned current = values.get(key);
    if (current == null || current.version() != expectedVersion || fence != 0 && fence < epoch) {
      return false;
    }
    try {
      Path target = file(key);
      Files.delete(target);
      fsyncDirectory(target.getParent());
      for (Path dir = target.getParent(); !dir.equals(state); dir = dir.getParent()) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
          if (entries.iterator().hasNext()) {
            break;
          }
        }
        Files.delete(dir);
      }
    } catch (IOException e) {
      throw new StateStoreException("delete of " + key + " in " + root + " failed: " + e, e);
    }
    values.remove(key);
    stamps.remove(key);
    writeCount++;
    return true;
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path temp = target.resolveSibling(TEMP + UUID.randomUUID());
    try {
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          out.write(b);
        }
        out.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    fsyncDirectory(target.getParent());
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory for fsync; the rename is still atomic there.
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win")) {
        throw e;
      }
    }
  }

  @Override
  public synchronized List<String> keys(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    checkOpen();
    List<String> out = new ArrayList<>();
    for (String k : values.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      out.add(k);
    }
    return out;
  }

  @Override
  public synchronized Optional<SortedMap<String, Long>> stamps(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    checkOpen();
    TreeMap<String, Long> out = new TreeMap<>();
    for (Map.Entry<String, Long> e : stamps.tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.put(e.getKey(), e.getValue());
    }
    return Optional.of(Collections.unmodifiableSortedMap(out));
  }

  @Override
  public synchronized long epoch() {
    checkOpen();
    return epoch;
  }

  @Override
  public synchronized boolean beginEpoch(long value) {
    StateStore.checkEpoch(value);
    checkOpen();
    if (value < epoch) {
      return false;
    }
    if (value > epoch) {
      try {
        writeAtomically(root.resolve("epoch"), ByteBuffer.allocate(Long.BYTES).putLong(value).array());
      } catch (IOException e) {
        throw new StateStoreException("begin epoch " + value + " in " + root + " failed: " + e, e);
      }
      epoch = value;
    }
    return true;
  }

  /** Releases the directory's lock. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new StateStoreException("closing state directory " + root + " failed: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "FileStateStore(" + root + ")";
  }
}
