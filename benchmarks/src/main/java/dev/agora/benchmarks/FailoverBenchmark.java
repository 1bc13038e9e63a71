package dev.agora.benchmarks;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.coordination.InMemoryStateStore;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.core.transport.MessageHandler;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Master failover at scale (issue 5): the time from the new leader's election to it having every
 * agent re-registered with its tasks, and the registry writes per failover, with simulated agents
 * in this JVM (endpoints that register and re-register as an agent does, without containers).
 *
 * <p>Two masters share a registry store (in memory, counting writes; each write is one ZooKeeper
 * write with {@code --zk}, a chunk more per MB). The first leads while the agents register, then is
 * closed (the "kill"); the second is elected and every agent re-registers at once with its
 * tasks, as agents do when their detector names the new leader. Killing to election is
 * ZooKeeper's session timeout, measured by the process tests, not here.
 *
 * <p>The second master stands by as a real one does: it keeps a warm copy of the registry,
 * refreshed every {@code --refresh} seconds (default 2; 0: no copy, the whole registry is decoded
 * at the election). After the agents registered, the benchmark waits two refresh intervals, so that
 * the copy holds every admission, unless {@code --changed N}: the last N agents register after
 * that wait (admissions the standby has not seen, whose buckets the new leader decodes).
 *
 * <p>With {@code --zk}, the registry is in ZooKeeper: a standalone server started in this JVM, each
 * master with a session of its own; the new leader's read-back is then real round trips. The
 * server needs Dropwizard's metrics-core and snappy-java on the class path (ZooKeeper's server; Agora does
 * not depend on them): add {@code metrics-core-3.2.5.jar} and {@code snappy-java-1.1.10.4.jar} from {@code ~/.m2}.
 *
 * <p>With {@code --probe}, the benchmark prints what the standby's registry refreshes read (keys
 * listed, values and their bytes, time): one with no change, one after the {@code --changed N}
 * agents registered (then before the failover, so that the copy holds them), one with no change
 * again; and the new leader's read-back. {@code --no-stamps} hides the store's stamps ({@link
 * StateStore#stamps}): every refresh then reads every value, as before stamps.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.agora.benchmarks.FailoverBenchmark
 * [agents tasksPerAgent [repeats]] [--refresh SECONDS] [--changed N] [--zk] [--probe] [--no-stamps]};
 * without numbers, 2,000 x 50 and 20,000 x 5, 3 repeats each.
 */
public final class FailoverBenchmark {
  private FailoverBenchmark() {}

  /** Leads when told to. */
  private static final class Elector implements LeaderElector {
    private volatile Listener listener;
    private volatile Executor executor;
    private final CountDownLatch started = new CountDownLatch(1);

    @Override
    public void start(Listener l, Executor e) {
      listener = l;
      executor = e;
      started.countDown();
    }

    void lead(long epoch) throws InterruptedException {
      started.await();
      executor.execute(() -> listener.isLeader(epoch));
    }

    @Override
    public void close() {}
  }

  /**
   * One registry read-back as a store saw it: the stamps or keys listed (one call, the start of a
   * read-back), then the values read. Filled by the thread that reads, read after the next one began.
   */
  static final class ReadBack {
    final long startNanos;
    final long listed;
    final long listedNanos;
    volatile long endNanos;
    volatile long values;
    volatile long valueBytes;

    ReadBack(long startNanos, long listed) {
      this.startNanos = startNanos;
      this.listed = listed;
      this.endNanos = System.nanoTime();
      this.listedNanos = endNanos - startNanos;
    }

    @Override
    public String toString() {
      return String.format("%d keys listed (%.0f ms), %d values read, %,d value bytes, %.0f ms in all", listed,
          listedNanos / 1e6, values, valueBytes, (endNanos - startNanos) / 1e6);
    }
  }

  /**
   * Counts the writes that reach the store and records each registry read-back through it. With
   * {@code stamps} false, it hides the store's stamps: the standby then reads every value at every
   * refresh, as before stamps (the "before" of the refresh measurement).
   */
  private static final class Counting implements StateStore {
    final StateStore inner;
    final AtomicLong writes;
    final boolean stamps;
    final List<ReadBack> readBacks;

    Counting(StateStore inner, AtomicLong writes, boolean stamps) {
      this(inner, writes, stamps, new java.util.concurrent.CopyOnWriteArrayList<>());
    }

    private Counting(StateStore inner, AtomicLong writes, boolean stamps, List<ReadBack> readBacks) {
      this.inner = inner;
      this.writes = writes;
      this.stamps = stamps;
      this.readBacks = readBacks;
    }

    private void begin(long startNanos, long listed) {
      readBacks.add(new ReadBack(startNanos, listed));
    }

    @Override
    public Optional<Versioned> get(String key) {
      return inner.get(key);
    }

    @Override
    public java.util.Map<String, Versioned> getAll(java.util.Collection<String> keys) {
      java.util.Map<String, Versioned> read = inner.getAll(keys);
      if (!readBacks.isEmpty()) {
        ReadBack r = readBacks.get(readBacks.size() - 1);
        r.values += read.size();
        r.valueBytes += read.values().stream().mapToLong(v -> v.value().length).sum();
        r.endNanos = System.nanoTime();
      }
      return read;
    }

    @Override
    public Optional<java.util.SortedMap<String, Long>> stamps(String prefix) {
      if (!stamps) {
        return Optional.empty();
      }
      long start = System.nanoTime();
      Optional<java.util.SortedMap<String, Long>> listed = inner.stamps(prefix);
      begin(start, listed.map(java.util.Map::size).orElse(0));
      return listed;
    }

    @Override
    public Optional<Long> compareAndSet(String key, byte[] value, long expectedVersion) {
      writes.incrementAndGet();
      return inner.compareAndSet(key, value, expectedVersion);
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
      writes.incrementAndGet();
      return inner.delete(key, expectedVersion);
    }

    @Override
    public List<String> keys(String prefix) {
      long start = System.nanoTime();
      List<String> keys = inner.keys(prefix);
      begin(start, keys.size());
      return keys;
    }

    @Override
    public long epoch() {
      return inner.epoch();
    }

    @Override
    public boolean beginEpoch(long epoch) {
      writes.incrementAndGet();
      return inner.beginEpoch(epoch);
    }

    @Override
    public StateStore fenced(long epoch) {
      return new Counting(inner.fenced(epoch), writes, stamps, readBacks);
    }
  }

  record Result(int agents, int tasksPerAgent, double setupSeconds, long admissionWrites, double failoverMillis,
      double cpuMillis, double masterCpuMillis, long failoverWrites) {}

  /**
   * The options after the numbers: {@code probe} records the standby's refreshes (one with no
   * change, one after the {@code changed} agents registered, one with no change again) before the
   * failover, which then finds a copy that holds every agent; {@code stamps} false hides the
   * store's stamps (every refresh reads every value, as before them).
   */
  record Options(double refreshSeconds, int changed, boolean zk, boolean probe, boolean stamps) {}

  public static void main(String[] args) throws Exception {
    List<String> numbers = new ArrayList<>();
    double refresh = 2;
    int changed = 0;
    boolean zk = false;
    boolean probe = false;
    boolean stamps = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--refresh" -> refresh = Double.parseDouble(args[++i]);
        case "--changed" -> changed = Integer.parseInt(args[++i]);
        case "--zk" -> zk = true;
        case "--probe" -> probe = true;
        case "--no-stamps" -> stamps = false;
        default -> numbers.add(args[i]);
      }
    }
    Options options = new Options(refresh, changed, zk, probe, stamps);
    int repeats = numbers.size() > 2 ? Integer.parseInt(numbers.get(2)) : 3;
    List<int[]> shapes = numbers.size() >= 2
        ? List.of(new int[] {Integer.parseInt(numbers.get(0)), Integer.parseInt(numbers.get(1))})
        : List.of(new int[] {2_000, 50}, new int[] {20_000, 5});
    System.out.printf("# %d cores, load %.2f; failover = election to every agent re-registered; %s%n",
        Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        options);
    ZooKeeperServer zkServer = null;
    try {
      zkServer = zk ? new ZooKeeperServer() : null;
      for (int[] shape : shapes) {
        for (int r = 0; r < repeats; r++) {
          Result res = run(shape[0], shape[1], options, zkServer);
          System.out.printf("agents %6d x tasks %3d: setup %.1f s (%d admission writes); failover %.0f ms wall,"
              + " %.0f ms process CPU, %.0f ms CPU of the new leader's threads; %d registry writes during failover"
              + " (load %.2f)%n",
              res.agents(), res.tasksPerAgent(), res.setupSeconds(), res.admissionWrites(), res.failoverMillis(),
              res.cpuMillis(), res.masterCpuMillis(), res.failoverWrites(),
              ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
      }
    } catch (Exception | Error e) {
      e.printStackTrace(); // ZooKeeper's server sets a default handler that logs (to nothing here)
      System.exit(1);
    } finally {
      if (zkServer != null) {
        zkServer.close();
      }
    }
  }

  /** A standalone ZooKeeper server in this JVM, on a free local port. */
  private static final class ZooKeeperServer implements AutoCloseable {
    private final org.apache.zookeeper.server.ServerCnxnFactory factory;
    private final java.nio.file.Path dir;

    ZooKeeperServer() throws Exception {
      dir = java.nio.file.Files.createTempDirectory("agora-failover-zk");
      var server = new org.apache.zookeeper.server.ZooKeeperServer(dir.toFile(), dir.toFile(), 2000);
      factory = org.apache.zookeeper.server.ServerCnxnFactory.createFactory(
          new java.net.InetSocketAddress("127.0.0.1", 0), 1000);
      factory.startup(server);
    }

    String url() {
      return "zk://127.0.0.1:" + factory.getLocalPort() + "/failover-" + java.util.UUID.randomUUID();
    }

    @Override
    public void close() throws Exception {
      factory.shutdown();
      try (var files = java.nio.file.Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  static Result run(int agentCount, int tasksPerAgent, Options options, ZooKeeperServer zk) throws Exception {
    InProcessTransport transport = new InProcessTransport();
    AtomicLong writes = new AtomicLong();
    List<AutoCloseable> sessions = new ArrayList<>();
    StateStore storeA;
    StateStore storeB;
    if (zk != null) {
      String url = zk.url();
      for (int i = 0; i < 2; i++) {
        sessions.add(dev.agora.coordination.ZooKeeperCoordination.builder().url(url)
            .sessionTimeout(java.time.Duration.ofSeconds(30)).build());
      }
      storeA = new Counting(((dev.agora.coordination.ZooKeeperCoordination) sessions.get(0)).stateStore(), writes,
          options.stamps());
      storeB = new Counting(((dev.agora.coordination.ZooKeeperCoordination) sessions.get(1)).stateStore(), writes,
          options.stamps());
    } else {
      StateStore shared = new InMemoryStateStore();
      storeA = new Counting(shared, writes, options.stamps());
      storeB = new Counting(shared, writes, options.stamps());
    }
    List<ReadBack> standbyReads = ((Counting) storeB).readBacks;
    java.time.Duration refresh = java.time.Duration.ofMillis((long) (options.refreshSeconds() * 1000));
    Elector electorA = new Elector();
    Elector electorB = new Elector();
    List<EventLoop> loops = new ArrayList<>();
    for (String name : List.of("agora-master-a", "agora-master-a-registry", "agora-master-b", "agora-master-b-registry")) {
      loops.add(ThreadEventLoop.start(name, dev.agora.core.runtime.Clock.system(), r -> {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
      }));
    }
    Master a = Master.builder().transport(transport).address(Address.of("master-a")).id("a").elector(electorA)
        .loop(loops.get(0)).registryExecutor(loops.get(1))
        .allocator(HierarchicalAllocator.builder().build()).registry(storeA).standbyRegistryRefresh(refresh).build()
        .start();
    Master b = Master.builder().transport(transport).address(Address.of("master-b")).id("b").elector(electorB)
        .loop(loops.get(2)).registryExecutor(loops.get(3))
        .allocator(HierarchicalAllocator.builder().build()).registry(storeB).standbyRegistryRefresh(refresh).build()
        .start();
    electorA.lead(1);
    EventLoop agentLoop = ThreadEventLoop.start("simulated-agents");
    AtomicReferenceArray<AgentId> ids = new AtomicReferenceArray<>(agentCount);
    CountDownLatch registered = new CountDownLatch(agentCount);
    CountDownLatch reregistered = new CountDownLatch(agentCount);
    List<Endpoint> endpoints = new ArrayList<>(agentCount);
    AgentInfo info = new AgentInfo("host", Resources.parse("cpus:" + (tasksPerAgent + 1) + ";mem:" + 1024 * tasksPerAgent));
    FrameworkInfo framework = FrameworkInfo.builder("bench").user("nobody").build().withId(FrameworkId.of("bench"));
    for (int i = 0; i < agentCount; i++) {
      int n = i;
      endpoints.add(transport.bind(Address.of("agent-" + i), agentLoop, new MessageHandler() {
        @Override
        public void onMessage(Address from, Message message) {
          if (message instanceof AgentMessage.Stamped s && s.message() instanceof AgentMessage.AgentRegistered r) {
            if (s.epoch() == 1 && ids.compareAndSet(n, null, r.agentId())) {
              registered.countDown();
            } else if (s.epoch() == 2) {
              reregistered.countDown();
            }
          }
        }

        @Override
        public void onExited(Address peer) {}
      }));
    }
    long setupStart = System.nanoTime();
    long before = writes.get();
    int seen = agentCount - Math.min(options.changed(), agentCount); // admitted before the standby's last read
    for (int i = 0; i < seen; i++) {
      endpoints.get(i).send(Address.of("master-a"), new AgentMessage.RegisterAgent(info));
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (registered.getCount() > agentCount - seen) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("agents did not register: " + registered.getCount() + " left");
      }
      Thread.sleep(10);
    }
    double setupSeconds = (System.nanoTime() - setupStart) / 1e9;
    long admissionWrites = writes.get() - before;
    // The standby reads the registry every refresh interval: two of them, and its copy holds these admissions.
    Thread.sleep(2 * refresh.toMillis());
    int changeStart = standbyReads.size();
    if (options.probe()) {
      System.out.printf("  standby refresh, no change: %s%n", nextReadBack(standbyReads));
      changeStart = standbyReads.size();
    }
    for (int i = seen; i < agentCount; i++) {
      endpoints.get(i).send(Address.of("master-a"), new AgentMessage.RegisterAgent(info));
    }
    if (!registered.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("agents did not register: " + registered.getCount() + " left");
    }
    if (options.probe()) {
      ReadBack after = nextReadBack(standbyReads);
      System.out.printf("  standby refresh, after %d agents registered: %s%n", agentCount - seen, after);
      // Refreshes that ran while they registered read some of the change: the sum is what the change cost.
      List<ReadBack> during = standbyReads.subList(changeStart, standbyReads.indexOf(after) + 1);
      System.out.printf("  standby refreshes from the first registration to that one: %d, %d values read, %,d value"
          + " bytes%n", during.size(), during.stream().mapToLong(r -> r.values).sum(),
          during.stream().mapToLong(r -> r.valueBytes).sum());
      System.out.printf("  standby refresh, no change: %s%n", nextReadBack(standbyReads));
    }
    List<AgentMessage.ReregisterAgent> reports = new ArrayList<>(agentCount);
    for (int i = 0; i < agentCount; i++) {
      List<AgentMessage.AgentTask> tasks = new ArrayList<>(tasksPerAgent);
      for (int t = 0; t < tasksPerAgent; t++) {
        TaskInfo task = TaskInfo.of(TaskId.of("t-" + i + "-" + t), ids.get(i), Resources.parse("cpus:1;mem:512"),
            CommandInfo.shell("sleep 1000"));
        tasks.add(new AgentMessage.AgentTask(framework.id().orElseThrow(), framework, task, TaskState.RUNNING));
      }
      reports.add(new AgentMessage.ReregisterAgent(ids.get(i), info, tasks));
    }

    a.close(); // the old leader is gone
    loops.get(0).shutdown();
    loops.get(1).shutdown();
    long cpuBefore = processCpuNanos();
    long masterCpuBefore = masterThreadsCpuNanos();
    long writesBefore = writes.get();
    int readsBefore = standbyReads.size();
    long start = System.nanoTime();
    electorB.lead(2);
    for (int i = 0; i < agentCount; i++) {
      endpoints.get(i).send(Address.of("master-b"), reports.get(i));
    }
    if (!reregistered.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("agents did not re-register: " + reregistered.getCount() + " left");
    }
    double failoverMillis = (System.nanoTime() - start) / 1e6;
    double cpuMillis = (processCpuNanos() - cpuBefore) / 1e6;
    double masterCpuMillis = (masterThreadsCpuNanos() - masterCpuBefore) / 1e6;
    long failoverWrites = writes.get() - writesBefore;
    if (options.probe() && standbyReads.size() > readsBefore) {
      System.out.printf("  the new leader's read-back: %s%n", standbyReads.get(readsBefore));
    }
    if (zk != null) {
      compareReads(storeB);
    }
    b.close();
    loops.forEach(EventLoop::shutdown);
    endpoints.forEach(Endpoint::close);
    agentLoop.shutdown();
    for (AutoCloseable c : sessions) {
      c.close();
    }
    return new Result(agentCount, tasksPerAgent, setupSeconds, admissionWrites, failoverMillis, cpuMillis,
        masterCpuMillis, failoverWrites);
  }

  /**
   * The registry read back from ZooKeeper as a new leader reads it: one key after another (as
   * before {@code getAll}), and with {@code getAll} (each tree level's requests sent at once).
   */
  private static void compareReads(StateStore store) {
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      long bytes = 0;
      List<String> keys = store.keys("registry/");
      for (String key : keys) {
        bytes += store.get(key).map(v -> v.value().length).orElse(0);
      }
      long t1 = System.nanoTime();
      long parallelBytes = store.getAll(store.keys("registry/")).values().stream().mapToLong(v -> v.value().length).sum();
      long t2 = System.nanoTime();
      System.out.printf("  registry read back from ZooKeeper (%d keys, %d bytes): one by one %.0f ms, getAll %.0f ms"
          + " (%d bytes)%n", keys.size(), bytes, (t1 - t0) / 1e6, (t2 - t1) / 1e6, parallelBytes);
    }
  }

  /**
   * The first read-back of the standby that begins after this call, once it is done (the one after
   * it has begun: a standby's refreshes run one after another).
   */
  private static ReadBack nextReadBack(List<ReadBack> reads) throws InterruptedException {
    int first = reads.size();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (reads.size() < first + 2) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the standby did not refresh");
      }
      Thread.sleep(10);
    }
    return reads.get(first);
  }

  /** CPU time of the new leader's loop and registry threads. */
  private static long masterThreadsCpuNanos() {
    var threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith("agora-master-b")) {
        sum += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
      }
    }
    return sum;
  }

  private static long processCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }
}
