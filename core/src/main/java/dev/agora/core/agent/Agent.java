package dev.agora.core.agent;

import dev.agora.core.container.Containerizer;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.runtime.EventLoop;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Transport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent: offers one machine's resources to the master and runs tasks on it through a
 * {@link Containerizer}, reporting every state change until the framework acknowledges it.
 *
 * <p>Build one with {@link #builder()}, then {@link #start()}. Concurrency: an actor; public
 * methods are thread-safe and post to its loop; its blocking disk work (folding its checkpoint
 * journal, see {@link Builder#checkpointFolder}, and creating task sandboxes) runs off the loop, on
 * two threads of its own when it created its loop, on the given loop otherwise. Ownership: the agent
 * owns its containerizer (closing the agent kills every task), and its loop and disk threads if it
 * created them; not the transport.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  private final AgentActor actor;
  private final EventLoop loop;
  private final boolean ownsLoop;
  /**
   * The threads the agent created for its blocking disk work (checkpoint folds, task sandboxes), if
   * it owns its loop: two, so that sandboxes are made while a fold of a second or more runs.
   */
  private final ExecutorService ownedDisk;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private Agent(Builder b) {
    this.ownsLoop = b.loop == null;
    this.loop = ownsLoop ? ThreadEventLoop.start("agora-" + b.address.value()) : b.loop;
    String diskName = "agora-" + b.address.value() + "-disk";
    this.ownedDisk = ownsLoop ? Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, diskName);
      t.setDaemon(true);
      return t;
    }) : null;
    // Without threads of its own (a simulation's loop) the disk work runs on the loop, in order.
    Executor disk = ownedDisk != null ? ownedDisk : loop;
    Executor folder = b.checkpointFolder != null ? b.checkpointFolder : disk;
    AgentActor.Settings settings = new AgentActor.Settings(b.initialUpdateBackoff, b.maxUpdateBackoff,
        b.defaultKillGrace, Duration.ofSeconds(1), b.strictRecovery, b.healthKills, b.healthKillsPer,
        b.checkpointFoldEntries);
    this.actor = new AgentActor(loop, b.transport, b.address, b.detector, b.info, b.containerizer, b.workDir,
        settings, b.random != null ? b.random : new Random(), folder, disk);
    if (b.executorTokens != null) {
      actor.executorTokens(b.executorTokens);
    }
    if (b.executorEndpoint != null) {
      actor.executorEndpoint(b.executorEndpoint);
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Recovers what a previous run left in the work directory, binds the agent's address and
   * registers with the master. Recovery reads the checkpoint here, on the caller's thread; the
   * containerizer then re-adopts the recorded containers, and the agent registers under its old
   * id once that is done.
   *
   * @throws IllegalStateException if called twice, or (strict recovery) if a checkpoint file is
   *     corrupt or unreadable, naming the file
   */
  public Agent start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("agent cannot be started more than once");
    }
    CheckpointStore.Recovered recovered = actor.readCheckpoint();
    loop.execute(() -> actor.start(recovered));
    return this;
  }

  /** A snapshot of the agent, taken on its loop. */
  public CompletableFuture<AgentSnapshot> snapshot() {
    CompletableFuture<AgentSnapshot> f = new CompletableFuture<>();
    loop.execute(() -> f.complete(actor.snapshot()));
    return f;
  }

  /**
   * Stops the agent and kills every task it runs (the containerizer is closed), waiting until no
   * task process is left, and for a checkpoint fold in flight on the agent's own disk threads (a
   * fold not yet started is left to the next recovery). Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> {
      actor.stop();
      done.complete(null);
    });
    if (ownsLoop) {
      done.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
      loop.shutdown();
    }
    if (ownedDisk != null) {
      ownedDisk.shutdown();
      try {
        if (!ownedDisk.awaitTermination(10, TimeUnit.SECONDS)) {
          LOG.warn("agent {}: a checkpoint fold still runs after 10 s; recovery will redo it", loop.name());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    actor.containerizer().close();
  }

  /** Builds an {@link Agent}; each setter may be called once and checks its value at once. */
  public static final class Builder {
    private Transport transport;
    private Address address;
    private MasterDetector detector;
    private AgentInfo info;
    private Containerizer containerizer;
    private Path workDir;
    private EventLoop loop;
    private Random random;
    private Duration initialUpdateBackoff = Duration.ofSeconds(10);
    private Duration maxUpdateBackoff = Duration.ofMinutes(10);
    private Duration defaultKillGrace = Duration.ofSeconds(3);
    private boolean strictRecovery = true;
    private int healthKills = 10;
    private Duration healthKillsPer = Duration.ofMinutes(1);
    private int checkpointFoldEntries = CheckpointStore.DEFAULT_FOLD_ENTRIES;
    private Executor checkpointFolder;
    private dev.agora.core.executor.ExecutorTokens executorTokens;
    private Address executorEndpoint;
    private final Set<String> set = new HashSet<>();

    private Builder() {}

    private void once(String field) {
      if (!set.add(field)) {
        throw new IllegalStateException(field + " was already set");
      }
    }

    /** The transport to reach the master on (required). */
    public Builder transport(Transport value) {
      once("transport");
      transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /** This agent's address (required; unique on the transport). */
    public Builder address(Address value) {
      once("address");
      address = Objects.requireNonNull(value, "address");
      return this;
    }

    /** A fixed master address; or use {@link #masterDetector}. */
    public Builder master(Address value) {
      return masterDetector(MasterDetector.standalone(Objects.requireNonNull(value, "master")));
    }

    /** Where to find the leading master (required, or {@link #master}). */
    public Builder masterDetector(MasterDetector value) {
      once("master");
      detector = Objects.requireNonNull(value, "masterDetector");
      return this;
    }

    /** Host name, resources and attributes to register with (required). */
    public Builder info(AgentInfo value) {
      once("info");
      info = Objects.requireNonNull(value, "info");
      return this;
    }

    /** How tasks run (required); the agent owns it from now on. */
    public Builder containerizer(Containerizer value) {
      once("containerizer");
      containerizer = Objects.requireNonNull(value, "containerizer");
      return this;
    }

    /** Where sandboxes go (required); created if missing. */
    public Builder workDir(Path value) {
      once("workDir");
      workDir = Objects.requireNonNull(value, "workDir");
      return this;
    }

    /** The loop to run on (e.g. a simulation's); default a new thread, owned by the agent. */
    public Builder loop(EventLoop value) {
      once("loop");
      loop = Objects.requireNonNull(value, "loop");
      return this;
    }

    /** Randomness for status update ids; seed it for repeatable simulations. */
    public Builder random(Random value) {
      once("random");
      random = Objects.requireNonNull(value, "random");
      return this;
    }

    /** First resend of an unacknowledged update, doubling up to {@code max}; default 10 s to 10 min. */
    public Builder statusUpdateBackoff(Duration initial, Duration max) {
      once("statusUpdateBackoff");
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("status update backoff must be 0 < initial <= max but was "
            + initial + " / " + max);
      }
      initialUpdateBackoff = initial;
      maxUpdateBackoff = max;
      return this;
    }

    /** Grace between SIGTERM and SIGKILL for tasks that set none; default 3 s. */
    public Builder defaultKillGracePeriod(Duration value) {
      once("defaultKillGracePeriod");
      if (value.isNegative()) {
        throw new IllegalArgumentException("defaultKillGracePeriod must be >= 0 but was " + value);
      }
      defaultKillGrace = value;
      return this;
    }

    /**
     * What a corrupt or truncated checkpoint does at {@link Agent#start()}: strict (the default)
     * refuses to start, naming the file; non-strict logs it, moves it aside and recovers the rest.
     */
    public Builder strictRecovery(boolean value) {
      once("strictRecovery");
      strictRecovery = value;
      return this;
    }

    /**
     * How many task checkpoint entries the agent's journal ({@code meta/tasks.journal}) holds
     * before they are folded into one file per task ({@code meta/tasks/<framework>/<task>.json});
     * default 4096. Each batch of updates is appended and forced once; 1 folds after every flush
     * (the per-task files follow closely, at several times the I/O). The fold runs off the
     * agent's loop (see {@link #checkpointFolder}), one at a time: while one runs, the journal
     * grows past this size, and is folded once it ends.
     */
    public Builder checkpointJournalEntries(int value) {
      once("checkpointJournalEntries");
      if (value < 1) {
        throw new IllegalArgumentException("checkpointJournalEntries must be >= 1 but was " + value);
      }
      checkpointFoldEntries = value;
      return this;
    }

    /**
     * Where the agent folds its full checkpoint journal into one file per task: writing and forcing
     * one file per task the journal names (~1,000 for as many running tasks), which would hold the
     * agent's loop for a second or more. The agent hands it one fold at a time, and never waits for
     * it. Default: the disk threads the agent creates and stops on {@link Agent#close()} when the
     * agent owns its loop; the given {@link #loop} otherwise (a simulation's: folds stay deterministic,
     * and stop with the loop as with a crashed process). The caller owns an executor given here:
     * {@link Agent#close()} does not wait for a fold running on it, so let it end (shut the executor
     * down and await it) before another agent starts on the same work directory.
     */
    public Builder checkpointFolder(Executor value) {
      once("checkpointFolder");
      checkpointFolder = Objects.requireNonNull(value, "checkpointFolder");
      return this;
    }

    /**
     * The safety valve on health kills: at most {@code kills} tasks killed for failing their health
     * checks per {@code per} on this agent; a kill over the limit waits for the task's next failed
     * check. Default 10 per minute.
     */
    public Builder healthKillRate(int kills, Duration per) {
      once("healthKillRate");
      if (kills < 1 || per.isNegative() || per.isZero()) {
        throw new IllegalArgumentException("health kill rate must be >= 1 per positive duration but was " + kills
            + " per " + per);
      }
      healthKills = kills;
      healthKillsPer = per;
      return this;
    }

    /**
     * Gives every framework executor the agent starts an authentication token signed by
     * {@code value}, in {@link dev.agora.core.executor.ExecutorTokens#ENVIRONMENT_VARIABLE}; pair
     * with {@code HttpTransport.serveExecutorApi(agent, value)}, which then requires it. Default
     * none (executors are not authenticated).
     */
    public Builder executorTokens(dev.agora.core.executor.ExecutorTokens value) {
      once("executorTokens");
      executorTokens = Objects.requireNonNull(value, "executorTokens");
      return this;
    }

    /**
     * Where the framework executors this agent starts reach its executor API
     * ({@code MESOS_AGENT_ENDPOINT}): an HTTP(S) URL such as {@code http://127.0.0.1:5051/agent}.
     * Default the agent's own address; set it when the agent is bound on another transport than the
     * one serving {@code /api/v1/executor} (see {@code HttpTransport.serveExecutorApi(inner, agent,
     * loop)}).
     */
    public Builder executorEndpoint(Address value) {
      once("executorEndpoint");
      executorEndpoint = Objects.requireNonNull(value, "executorEndpoint");
      return this;
    }

    /**
     * An agent, not yet started.
     *
     * @throws IllegalStateException naming the first missing required setting
     */
    public Agent build() {
      for (String required : new String[] {"transport", "address", "master", "info", "containerizer", "workDir"}) {
        if (!set.contains(required)) {
          throw new IllegalStateException("agent needs " + required);
        }
      }
      return new Agent(this);
    }
  }
}
