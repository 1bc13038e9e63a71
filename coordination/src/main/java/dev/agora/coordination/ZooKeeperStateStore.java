package dev.agora.coordination;

import dev.agora.core.coordination.FenceableStore;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} in ZooKeeper: one znode per key under {@code root/state}, keys as paths.
 *
 * <p>Node data: empty for "no value" (a parent kept for its children), else a header: kind (1
 * inline, 2 chunked), the key's logical version (long), then either the value, or its length, the
 * chunk count and a generation id whose chunks live in {@code root/chunks/<generation>/<i>}. A
 * big value is written chunks first, invisible until one transaction points the key at them; the
 * previous generation's chunks are deleted after. Readers that find a chunk gone read again.
 *
 * <p>Compare-and-set: read the node (logical version, znode version), then one multi-op
 * transaction: [check(epoch node, its version) if fenced] + create/setData/delete of the key's
 * node guarded by its znode version. Any concurrent change fails the transaction; the loop reads
 * again and decides anew, so the logical version check and the write are atomic.
 *
 * <p>A key's stamp ({@link #stamps}) is its node's mzxid, read with the node's stat by the same
 * walk as {@link #keys}: every value write, and a delete (node removed, or emptied when it has
 * children), changes it, and a re-created node gets a new, higher one.
 *
 * <p>Reading many keys ({@link #getAll}, {@link #keys}, {@link #stamps}) sends the requests of one tree level at
 * once in the background and waits for all their answers: a round trip per level, not per node.
 *
 * <p>Concurrency: thread-safe (no mutable fields); every call blocks on ZooKeeper. Curator retries
 * connection losses; past that a {@link StateStoreException} is thrown. Orphan chunks of a
 * process that died mid-write stay in {@code root/chunks} (never read; safe to delete).
 */
final class ZooKeeperStateStore implements FenceableStore {
  private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperStateStore.class);
  /** Values up to this size sit in the key's node; bigger ones are chunked. Under jute.maxbuffer (1 MB). */
  static final int CHUNK = 512 * 1024;
  private static final byte INLINE = 1;
  private static final byte CHUNKED = 2;
  private static final int MAX_ATTEMPTS = 1000;
  /** How long a batch of background reads may take before the read fails (Curator retries inside it). */
  private static final long BATCH_TIMEOUT_MILLIS = 120_000;

  private final CuratorFramework client;
  private final Layout layout;

  ZooKeeperStateStore(CuratorFramework client, Layout layout) {
    this.client = client;
    this.layout = layout;
  }

  private String path(String key) {
    StateStore.checkKey(key);
    return layout.state() + "/" + key;
  }

  /** A node's data and stat, or null if absent. */
  private record Node(byte[] data, Stat stat) {
    boolean hasValue() {
      return data != null && data.length > 0;
    }

    long logicalVersion() {
      return hasValue() ? ByteBuffer.wrap(data, 1, Long.BYTES).getLong() : -1;
    }

    String generation() {
      if (!hasValue() || data[0] != CHUNKED) {
        return null;
      }
      ByteBuffer b = ByteBuffer.wrap(data, 1 + Long.BYTES + Long.BYTES + Integer.BYTES,
          data.length - (1 + Long.BYTES + Long.BYTES + Integer.BYTES));
      return StandardCharsets.UTF_8.decode(b).toString();
    }
  }

  private Node read(String path) throws Exception {
    Stat stat = new Stat();
    try {
      byte[] data = client.getData().storingStatIn(stat).forPath(path);
      return new Node(data == null ? new byte[0] : data, stat);
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  @Override
  public Optional<Versioned> get(String key) {
    String path = path(key);
    return call("get " + key, () -> {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Node node = read(path);
        if (node == null || !node.hasValue()) {
          return Optional.empty();
        }
        Optional<byte[]> value = value(node);
        if (value.isPresent()) {
          return Optional.of(new Versioned(value.get(), node.logicalVersion()));
        }
        // A chunk was gone: the value was replaced meanwhile. Read again.
      }
      throw new IllegalStateException("value of " + key + " kept changing while read");
    });
  }

  @Override
  public Map<String, Versioned> getAll(Collection<String> keys) {
    List<String> list = List.copyOf(keys);
    List<String> paths = list.stream().map(this::path).toList();
    return call("get " + list.size() + " keys", () -> {
      List<CuratorEvent> events = inParallel(paths, (p, callback) -> client.getData().inBackground(callback).forPath(p));
      Map<String, Versioned> out = new LinkedHashMap<>();
      for (int i = 0; i < list.size(); i++) {
        CuratorEvent event = events.get(i);
        if (absent(event)) {
          continue;
        }
        Node node = new Node(event.getData() == null ? new byte[0] : event.getData(), event.getStat());
        if (!node.hasValue()) {
          continue;
        }
        String key = list.get(i);
        Optional<byte[]> value = value(node);
        if (value.isPresent()) {
          out.put(key, new Versioned(value.get(), node.logicalVersion()));
        } else {
          get(key).ifPresent(v -> out.put(key, v)); // a chunk was gone: replaced meanwhile, read it again
        }
      }
      return out;
    });
  }

  /** A request sent in the background, its answer to {@code callback}. */
  private interface BackgroundRequest {
    void send(String path, BackgroundCallback callback) throws Exception;
  }

  /**
   * Sends {@code request} for every path at once and waits for every answer; the events in the
   * paths' order. An answer other than success or "no node" fails the whole read.
   */
  private List<CuratorEvent> inParallel(List<String> paths, BackgroundRequest request) throws Exception {
    CuratorEvent[] events = new CuratorEvent[paths.size()];
    CountDownLatch answered = new CountDownLatch(paths.size());
    for (int i = 0; i < paths.size(); i++) {
      int n = i;
      // The callback runs on Curator's event thread; the latch publishes events[n] to this one.
      request.send(paths.get(i), (c, event) -> {
        events[n] = event;
        answered.countDown();
      });
    }
    if (!answered.await(BATCH_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
      throw new StateStoreException(answered.getCount() + " of " + paths.size() + " reads unanswered after "
          + BATCH_TIMEOUT_MILLIS + " ms", null);
    }
    for (int i = 0; i < events.length; i++) {
      KeeperException.Code code = KeeperException.Code.get(events[i].getResultCode());
      if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
        throw KeeperException.create(code, paths.get(i));
      }
    }
    return Arrays.asList(events);
  }

  private static boolean absent(CuratorEvent event) {
    return event.getResultCode() == KeeperException.Code.NONODE.intValue();
  }

  private Optional<byte[]> value(Node node) throws Exception {
    ByteBuffer b = ByteBuffer.wrap(node.data());
    byte kind = b.get();
    b.getLong();
    if (kind == INLINE) {
      return Optional.of(Arrays.copyOfRange(node.data(), 1 + Long.BYTES, node.data().length));
    }
    if (kind != CHUNKED) {
      throw new IllegalStateException("unknown value kind " + kind);
    }
    long length = b.getLong();
    int count = b.getInt();
    String generation = node.generation();
    byte[] out = new byte[Math.toIntExact(length)];
    int at = 0;
    for (int i = 0; i < count; i++) {
      byte[] chunk;
      try {
        chunk = client.getData().forPath(layout.chunks() + "/" + generation + "/" + i);
      } catch (KeeperException.NoNodeException e) {
        return Optional.empty();
      }
      System.arraycopy(chunk, 0, out, at, chunk.length);
      at += chunk.length;
    }
    if (at != length) {
      throw new IllegalStateException("chunks of generation " + generation + " hold " + at + " bytes, not " + length);
    }
    return Optional.of(out);
  }

  @Override
  public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion, long fence) {
    String path = path(key);
    Objects.requireNonNull(value, "value");
    if (expectedVersion < -1) {
      throw new IllegalArgumentException("expected version must be >= -1 but was " + expectedVersion);
    }
    return call("write " + key, () -> {
      String generation = null;
      boolean committed = false;
      try {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          Node node = read(path);
          long logical = node == null ? -1 : node.logicalVersion();
          if (logical != expectedVersion) {
            return Optional.empty();
          }
          List<CuratorOp> ops = new ArrayList<>();
          if (!fenceOps(fence, ops)) {
            return Optional.empty();
          }
          if (value.length > CHUNK && generation == null) {
            generation = writeChunks(value);
          }
          byte[] data = header(value, logical + 1, generation);
          if (node == null) {
            ensureParents(path);
            ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(path, data));
          } else {
            ops.add(client.transactionOp().setData().withVersion(node.stat().getVersion()).forPath(path, data));
          }
          if (commit(ops)) {
            committed = true;
            if (node != null) {
              deleteChunks(node.generation());
            }
            return Optional.of(logical + 1);
          }
        }
        throw new IllegalStateException("write of " + key + " kept conflicting");
      } finally {
        if (!committed && generation != null) {
          deleteChunks(generation);
        }
      }
    });
  }

  @Override
  public boolean delete(String key, long expectedVersion, long fence) {
    String path = path(key);
    return call("delete " + key, () -> {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Node node = read(path);
        if (node == null || !node.hasValue() || node.logicalVersion() != expectedVersion) {
          return false;
        }
        List<CuratorOp> ops = new ArrayList<>();
        if (!fenceOps(fence, ops)) {
          return false;
        }
        int zkVersion = node.stat().getVersion();
        boolean keepNode = node.stat().getNumChildren() > 0;
        ops.add(keepNode
            ? client.transactionOp().setData().withVersion(zkVersion).forPath(path, new byte[0])
            : client.transactionOp().delete().withVersion(zkVersion).forPath(path));
        if (commit(ops)) {
          deleteChunks(node.generation());
          if (!keepNode) {
            pruneParents(path);
          }
          return true;
        }
      }
      throw new IllegalStateException("delete of " + key + " kept conflicting");
    });
  }

  /** Adds the epoch check to {@code ops}; false if a higher epoch than {@code fence} began. */
  private boolean fenceOps(long fence, List<CuratorOp> ops) throws Exception {
    if (fence == 0) {
      return true;
    }
    Node epochNode = read(layout.epoch());
    if (epochNode == null) {
      createIfAbsent(layout.epoch(), Layout.EpochRecord.NONE.encode());
      epochNode = read(layout.epoch());
    }
    long epoch = Layout.EpochRecord.decode(epochNode.data()).epoch();
    if (epoch > fence) {
      LOG.debug("write fenced at epoch {} refused: epoch {} began", fence, epoch);
      return false;
    }
    ops.add(client.transactionOp().check().withVersion(epochNode.stat().getVersion()).forPath(layout.epoch()));
    return true;
  }

  /** Runs a transaction; false if a version check, node existence or emptiness failed. */
  private boolean commit(List<CuratorOp> ops) throws Exception {
    try {
      client.transaction().forOperations(ops);
      return true;
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException
        | KeeperException.NodeExistsException | KeeperException.NotEmptyException e) {
      return false;
    }
  }

  private static byte[] header(byte[] value, long logical, String generation) {
    if (generation == null) {
      ByteBuffer b = ByteBuffer.allocate(1 + Long.BYTES + value.length);
      b.put(INLINE).putLong(logical).put(value);
      return b.array();
    }
    byte[] gen = generation.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + Long.BYTES + Long.BYTES + Integer.BYTES + gen.length);
    b.put(CHUNKED).putLong(logical).putLong(value.length).putInt(chunkCount(value.length)).put(gen);
    return b.array();
  }

  private static int chunkCount(int length) {
    return (length + CHUNK - 1) / CHUNK;
  }

  private String writeChunks(byte[] value) throws Exception {
    String generation = UUID.randomUUID().toString();
    String dir = layout.chunks() + "/" + generation;
    client.create().creatingParentsIfNeeded().forPath(dir, new byte[0]);
    for (int i = 0; i < chunkCount(value.length); i++) {
      int from = i * CHUNK;
      client.create().forPath(dir + "/" + i, Arrays.copyOfRange(value, from, Math.min(value.length, from + CHUNK)));
    }
    return generation;
  }

  private void deleteChunks(String generation) {
    if (generation == null) {
      return;
    }
    try {
      client.delete().deletingChildrenIfNeeded().forPath(layout.chunks() + "/" + generation);
    } catch (KeeperException.NoNodeException e) {
      // already gone
    } catch (Exception e) {
      LOG.warn("could not delete chunks of generation {} (left as garbage)", generation, e);
    }
  }

  private void ensureParents(String path) throws Exception {
    String parent = path.substring(0, path.lastIndexOf('/'));
    if (client.checkExists().forPath(parent) == null) {
      createIfAbsent(parent, new byte[0]);
    }
  }

  private void createIfAbsent(String path, byte[] data) throws Exception {
    try {
      client.create().creatingParentsIfNeeded().forPath(path, data);
    } catch (KeeperException.NodeExistsException e) {
      // someone else made it
    }
  }

  /** Deletes empty, value-less parents of a deleted key, up to the state root. Best effort. */
  private void pruneParents(String path) {
    String parent = path.substring(0, path.lastIndexOf('/'));
    while (parent.length() > layout.state().length()) {
      try {
        Node node = read(parent);
        if (node == null || node.hasValue() || node.stat().getNumChildren() > 0) {
          return;
        }
        client.delete().withVersion(node.stat().getVersion()).forPath(parent);
      } catch (Exception e) {
        return;
      }
      parent = parent.substring(0, parent.lastIndexOf('/'));
    }
  }

  @Override
  public List<String> keys(String prefix) {
    return new ArrayList<>(walk(prefix).keySet());
  }

  /** The keys' stamps are their nodes' mzxid: the zxid of the last write of the node's data. */
  @Override
  public Optional<SortedMap<String, Long>> stamps(String prefix) {
    SortedMap<String, Long> out = new TreeMap<>();
    walk(prefix).forEach((key, stat) -> out.put(key, stat.getMzxid()));
    return Optional.of(Collections.unmodifiableSortedMap(out));
  }

  /** The keys under {@code prefix} with their nodes' stats, sorted; one stat per node, no data. */
  private SortedMap<String, Stat> walk(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    int slash = prefix.lastIndexOf('/');
    String dir = slash < 0 ? "" : prefix.substring(0, slash);
    String start = prefix.substring(slash + 1);
    if (!dir.isEmpty()) {
      try {
        StateStore.checkKey(dir);
      } catch (IllegalArgumentException e) {
        return new TreeMap<>();
      }
    }
    return call("keys " + prefix, () -> {
      SortedMap<String, Stat> out = new TreeMap<>();
      String base = dir.isEmpty() ? layout.state() : layout.state() + "/" + dir;
      List<String> level = new ArrayList<>();
      for (String child : children(base)) {
        if (child.startsWith(start)) {
          level.add(dir.isEmpty() ? child : dir + "/" + child);
        }
      }
      // Breadth first, each level's nodes asked at once: their stats, then the children of those that have some.
      while (!level.isEmpty()) {
        List<String> paths = level.stream().map(k -> layout.state() + "/" + k).toList();
        List<CuratorEvent> stats = inParallel(paths, (p, callback) -> client.checkExists().inBackground(callback).forPath(p));
        List<String> parents = new ArrayList<>();
        for (int i = 0; i < level.size(); i++) {
          Stat stat = stats.get(i).getStat();
          if (absent(stats.get(i)) || stat == null) {
            continue;
          }
          if (stat.getDataLength() > 0) {
            out.put(level.get(i), stat);
          }
          if (stat.getNumChildren() > 0) {
            parents.add(level.get(i));
          }
        }
        List<String> next = new ArrayList<>();
        if (!parents.isEmpty()) {
          List<CuratorEvent> children = inParallel(parents.stream().map(k -> layout.state() + "/" + k).toList(),
              (p, callback) -> client.getChildren().inBackground(callback).forPath(p));
          for (int i = 0; i < parents.size(); i++) {
            if (!absent(children.get(i)) && children.get(i).getChildren() != null) {
              for (String child : children.get(i).getChildren()) {
                next.add(parents.get(i) + "/" + child);
              }
            }
          }
        }
        level = next;
      }
      return out;
    });
  }

  private List<String> children(String path) throws Exception {
    try {
      return client.getChildren().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }

  @Override
  public long epoch() {
    return call("read epoch", () -> {
      Node node = read(layout.epoch());
      return node == null ? 0L : Layout.EpochRecord.decode(node.data()).epoch();
    });
  }

  @Override
  public boolean beginEpoch(long epoch) {
    StateStore.checkEpoch(epoch);
    return call("begin epoch " + epoch, () -> {
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        Node node = read(layout.epoch());
        if (node == null) {
          createIfAbsent(layout.epoch(), Layout.EpochRecord.NONE.encode());
          continue;
        }
        long current = Layout.EpochRecord.decode(node.data()).epoch();
        if (current > epoch) {
          return false;
        }
        if (current == epoch) {
          return true;
        }
        try {
          client.setData().withVersion(node.stat().getVersion())
              .forPath(layout.epoch(), new Layout.EpochRecord(epoch, "", "").encode());
          return true;
        } catch (KeeperException.BadVersionException e) {
          // raced with another writer: read again
        }
      }
      throw new IllegalStateException("epoch node kept changing");
    });
  }

  @Override
  public String toString() {
    return "ZooKeeperStateStore(" + client.getZookeeperClient().getCurrentConnectionString() + layout.root() + ")";
  }

  private interface ZkCall<T> {
    T run() throws Exception;
  }

  private static <T> T call(String what, ZkCall<T> body) {
    try {
      return body.run();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateStoreException(what + " interrupted", e);
    } catch (Exception e) {
      throw new StateStoreException(what + " failed: " + e, e);
    }
  }
}
