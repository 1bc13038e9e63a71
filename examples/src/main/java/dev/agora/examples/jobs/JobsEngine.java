package dev.agora.examples.jobs;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.SchedulerCall.ReconcileTask;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.Clock;
import dev.agora.core.runtime.EventLoop;
import dev.agora.examples.jobs.JobRun.State;
import dev.agora.examples.jobs.JobRun.Trigger;
import dev.agora.examples.jobs.JobState.Active;
import dev.agora.examples.store.StoreWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs service's brain: job definitions, schedules, the dependency graph, runs and their
 * tasks. It is the framework's {@link Scheduler} and the {@link LeaderElector.Listener}.
 *
 * <p>Concurrency: everything runs on one {@link EventLoop}; state is touched only there. The state
 * store is never called on the loop: every read and write goes through the {@link StoreWriter},
 * which runs them on the store's executor in the order the loop handed them and hands each outcome
 * back to the loop. What waits for a write waits without holding the loop:
 * <ul>
 *   <li>an API call that creates, replaces or deletes a job answers once the definition is written
 *       (or deleted), and only then does the job change in memory: a refused or failed write answers
 *       503 naming the job and the cause and leaves the job as it was;
 *   <li>a run is queued for an offer only once its compare-and-set at version -1 came back true; a
 *       task is launched (the offer accepted) only once its run's RUNNING record is written;
 *   <li>run-state updates (a run's end, a retry, counters, cursors) change memory at once and are
 *       written behind, in order (one queue, so per job too): for at most one store round trip a
 *       read may show a run's end before it is durable. That is safe because nothing outside
 *       depends on it but API replies (which wait until what they changed is written) and
 *       children (whose run records are written after the parent's success in the same queue). If
 *       such a write fails, this instance drops its in-memory state and leaves the election
 *       ({@code onStoreFailure}), as the master does when its registry write fails: memory never
 *       keeps claiming what the store does not hold, and the next leader reads the store.
 * </ul>
 *
 * <p>Invariants: a run is created in the store with compare-and-set at version -1 before anything
 * else happens to it, so each (job, scheduled time) runs at most once even if two leaders race; a
 * run's record says RUNNING, with its task id, before that task is launched, so a new leader
 * reconciles it instead of launching again. A new leader fires nothing (and launches nothing)
 * until the master has answered for every task it inherited, or the reconcile timeout passed; it
 * then re-arms the inherited runs' maxCompletionTime kills at their original deadlines. Writes go
 * through the store's view fenced with the leader's epoch. Schedule cursors only move forward: a
 * clock that jumps back never re-runs an occurrence.
 */
final class JobsEngine implements Scheduler, LeaderElector.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(JobsEngine.class);
  static final String DEFINITIONS = "jobs/definitions/";
  static final String STATES = "jobs/state/";
  static final String RUNS = "jobs/runs/";
  static final String FRAMEWORK_ID = "jobs/framework-id";
  private static final int MAX_SKIPS_RECORDED = 100;

  /** What to do with runs missed while the service (or its leader) was down. */
  enum CatchUp { RUN_ONCE, SKIP }

  record Settings(CatchUp catchUp, int historyLimit, Duration retryBackoff, int disableAfterFailures,
      Duration maxSleep, Duration reconcileTimeout) {}

  private final EventLoop loop;
  private final Clock clock;
  private final StateStore store;
  private final Settings settings;
  private final Function<Optional<FrameworkId>, SchedulerDriver> subscribe;
  private final StoreWriter writer;
  private final Consumer<String> onStoreFailure;

  final Map<String, JobDefinition> jobs = new TreeMap<>();
  final Map<String, JobState> states = new HashMap<>();
  private final Map<String, Active> byTask = new HashMap<>();
  private final List<Active> pending = new ArrayList<>();
  private SchedulerDriver driver;
  private volatile boolean leader;
  private boolean recovering;
  private long epoch;
  /** True from taking the lead until the master has answered for the tasks an earlier leader left. */
  private boolean reconciling;
  /** Task ids still awaiting the master's answer while reconciling; null before subscribing. */
  private Set<String> awaitingReconcile;
  private Cancellable reconcileTimeout;
  private boolean catchingUp;
  private Cancellable tick;
  private boolean suppressed;

  /**
   * @param io where blocking store calls run (the loop itself in a simulation)
   * @param onStoreFailure hears, on the loop, why this instance stopped leading after its own write failed
   */
  JobsEngine(EventLoop loop, Clock clock, StateStore store, Executor io, Settings settings,
      Function<Optional<FrameworkId>, SchedulerDriver> subscribe, Consumer<String> onStoreFailure) {
    this.loop = loop;
    this.clock = clock;
    this.store = store;
    this.settings = settings;
    this.subscribe = subscribe;
    this.writer = new StoreWriter("jobs", loop, store, io, this::storeFailed);
    this.onStoreFailure = onStoreFailure;
  }

  /** The store writer (for tests and metrics). */
  StoreWriter writer() {
    return writer;
  }

  /** Whether this instance leads (any thread; racy by nature). */
  boolean isLeader() {
    return leader;
  }

  /** Whether the new leader still waits for the master's word on the tasks it inherited. */
  boolean isReconciling() {
    return reconciling;
  }

  Instant now() {
    return clock.instant();
  }

  // ---- leadership -------------------------------------------------------------------------

  @Override
  public void isLeader(long newEpoch) {
    writer.newTerm();
    long t = writer.term();
    epoch = newEpoch;
    recovering = true;
    Instant now = now();
    int limit = settings.historyLimit();
    // Begin the epoch and read everything back off the loop; act once it is here.
    writer.submit("recovery under epoch " + newEpoch, s -> JobsRecovery.recover(s, newEpoch, now, limit),
        (read, error) -> {
          if (t != writer.term()) {
            return;
          }
          recovering = false;
          if (error != null) {
            storeFailed("reading the jobs state back failed: " + error);
            return;
          }
          if (!read.epochBegun()) {
            LOG.warn("jobs service was elected under epoch {} but the store has a later one ({}); its writes will be"
                + " refused", newEpoch, read.storeEpoch());
          }
          writer.begin(store.fenced(newEpoch));
          load(read, now);
          leader = true;
          catchingUp = true;
          // Nothing fires until the master has answered for the tasks an earlier leader left running.
          reconciling = true;
          awaitingReconcile = null;
          driver = subscribe.apply(read.frameworkId());
          LOG.info("jobs service leads under epoch {} with {} job(s) and {} run(s) in flight; reconciling before"
              + " firing", epoch, jobs.size(), byTask.size() + pending.size());
        });
  }

  @Override
  public void notLeader() {
    recovering = false;
    writer.newTerm();
    if (!leader) {
      return;
    }
    leader = false;
    reconciling = false;
    awaitingReconcile = null;
    if (reconcileTimeout != null) {
      reconcileTimeout.cancel();
      reconcileTimeout = null;
    }
    if (tick != null) {
      tick.cancel();
    }
    for (JobState s : states.values()) {
      s.active.forEach(a -> {
        if (a.timer != null) {
          a.timer.cancel();
        }
      });
    }
    if (driver != null) {
      driver.close();
      driver = null;
    }
    jobs.clear();
    states.clear();
    byTask.clear();
    pending.clear();
    LOG.info("jobs service no longer leads");
  }

  /** A write of this leader's own failed: drop the in-memory state and leave the election. */
  private void storeFailed(String why) {
    if (!leader && !recovering) {
      return;
    }
    LOG.error("jobs service: {}; this instance stops leading (its in-memory state is dropped, the next leader"
        + " reads the store)", why);
    notLeader();
    onStoreFailure.accept(why);
  }

  /** Takes what {@link JobsRecovery#recover} read as this leader's state. On the loop. */
  private void load(JobsRecovery.Recovered read, Instant now) {
    jobs.clear();
    states.clear();
    byTask.clear();
    pending.clear();
    jobs.putAll(read.jobs());
    for (String name : jobs.keySet()) {
      JobState s = new JobState();
      s.created = now;
      s.cursor = now;
      s.lastTriggeredCycle = now;
      Optional.ofNullable(read.states().get(name)).ifPresent(s::read);
      states.put(name, s);
      for (JobRun run : read.runs().getOrDefault(name, List.of())) {
        s.history.put(run.key(), run);
        if (run.state() == State.PENDING) {
          Active a = new Active(run, run.scheduled().plus(jobs.get(name).epsilon()));
          a.inherited = true;
          s.active.add(a);
          pending.add(a);
        } else if (run.state() == State.RUNNING) {
          Active a = new Active(run, now);
          a.launched = true;
          s.active.add(a);
          byTask.put(run.taskId().orElseThrow(), a);
        }
      }
    }
  }

  // ---- framework callbacks ----------------------------------------------------------------

  @Override
  public void subscribed(SchedulerDriver d, FrameworkId frameworkId) {
    if (!leader) {
      return;
    }
    put(FRAMEWORK_ID, frameworkId.value());
    List<ReconcileTask> running = byTask.values().stream()
        .map(a -> new ReconcileTask(TaskId.of(a.run.taskId().orElseThrow()), a.agent)).toList();
    if (!running.isEmpty()) {
      LOG.info("reconciling {} job task(s) left by an earlier leader", running.size());
      d.reconcile(running);
    }
    if (reconciling && awaitingReconcile == null) {
      awaitingReconcile = new java.util.HashSet<>();
      running.forEach(t -> awaitingReconcile.add(t.taskId().value()));
      if (awaitingReconcile.isEmpty()) {
        reconciled();
      } else {
        reconcileTimeout = loop.schedule(settings.reconcileTimeout(), () -> {
          reconcileTimeout = null;
          if (reconciling) {
            LOG.warn("the master did not answer for {} job task(s) within {}; acting anyway: {}",
                awaitingReconcile.size(), settings.reconcileTimeout(), awaitingReconcile);
            reconciled();
          }
        });
      }
    }
    suppressed = false;
    d.revive(Set.of());
  }

  /** The master answered for every inherited task (or took too long): re-arm kills, then fire what is due. */
  private void reconciled() {
    reconciling = false;
    awaitingReconcile = null;
    if (reconcileTimeout != null) {
      reconcileTimeout.cancel();
      reconcileTimeout = null;
    }
    Instant now = now();
    for (Active a : byTask.values()) {
      JobDefinition job = jobs.get(a.run.job());
      if (job != null && job.maxCompletionTime().isPresent() && a.timer == null) {
        Duration max = job.maxCompletionTime().get();
        Instant deadline = a.run.started().orElse(now).plus(max);
        Duration left = Duration.between(now, deadline);
        LOG.info("run {} of job {} started under an earlier leader: its maxCompletionTime {} kill is re-armed for {}",
            a.run.key(), job.name(), max, deadline);
        armKill(a, max, left.isNegative() ? Duration.ZERO : left);
      }
    }
    evaluate();
  }

  private void armKill(Active a, Duration max, Duration delay) {
    TaskId taskId = TaskId.of(a.run.taskId().orElseThrow());
    a.timer = loop.schedule(delay, () -> {
      a.timer = null;
      if (byTask.get(taskId.value()) == a && driver != null) {
        a.killReason = "maxCompletionTime " + max + " exceeded";
        driver.kill(taskId, a.agent, Optional.empty());
      }
    });
  }

  @Override
  public void offers(SchedulerDriver d, List<Offer> offers) {
    if (!leader || reconciling) {
      d.decline(offers.stream().map(Offer::id).toList(), Filters.DEFAULT);
      return;
    }
    Instant now = now();
    expirePending(now);
    for (Offer offer : offers) {
      Resources left = offer.resources();
      List<TaskInfo> tasks = new ArrayList<>();
      List<Active> launching = new ArrayList<>();
      for (Iterator<Active> it = pending.iterator(); it.hasNext(); ) {
        Active a = it.next();
        JobDefinition job = jobs.get(a.run.job());
        Resources need = JobTasks.need(job);
        if (!left.contains(need) || !JobTasks.matches(job, offer)) {
          continue;
        }
        it.remove();
        TaskId taskId = TaskId.of(a.run.taskId().orElseThrow());
        a.run = a.run.with(State.RUNNING, a.run.attempt(), a.run.taskId(), Optional.of(now), Optional.empty(), "",
            epoch);
        a.agent = Optional.of(offer.agentId());
        saveRun(a.run);
        a.launched = false; // until the offer is accepted (a retry's earlier attempt was)
        byTask.put(taskId.value(), a);
        launching.add(a);
        tasks.add(new TaskInfo(taskId, "ChronosTask:" + job.name(), offer.agentId(), need, JobTasks.command(job, a.run),
            Map.of("job", job.name(), "scheduled", a.run.scheduled().toString()), Optional.empty()));
        left = left.subtract(need);
        job.maxCompletionTime().ifPresent(max -> armKill(a, max, max));
      }
      if (tasks.isEmpty()) {
        d.decline(List.of(offer.id()), pending.isEmpty() ? new Filters(Duration.ofSeconds(60)) : Filters.DEFAULT);
      } else {
        launchOnceRecorded(d, offer, tasks, launching);
      }
    }
    if (pending.isEmpty() && !suppressed) {
      suppressed = true;
      d.suppress(Set.of());
    }
  }

  /**
   * Accepts the offer once the runs' RUNNING records are written (so a new leader reconciles these
   * tasks rather than launching them again), launching those still meant to run then: a run killed
   * meanwhile is not launched. Never if this leader stepped down meanwhile (its driver is closed).
   */
  private void launchOnceRecorded(SchedulerDriver d, Offer offer, List<TaskInfo> tasks, List<Active> launching) {
    writer.afterCommit(() -> {
      List<TaskInfo> launch = new ArrayList<>();
      for (int i = 0; i < tasks.size(); i++) {
        if (byTask.get(tasks.get(i).taskId().value()) == launching.get(i)) {
          launching.get(i).launched = true;
          launch.add(tasks.get(i));
        }
      }
      if (launch.isEmpty()) {
        d.decline(List.of(offer.id()), Filters.DEFAULT);
      } else {
        d.accept(List.of(offer.id()), List.of(new Operation.Launch(launch)), Filters.NONE);
      }
    });
  }

  @Override
  public void update(SchedulerDriver d, TaskStatus status) {
    Active a = byTask.get(status.taskId().value());
    LOG.debug("update {} {}: run {}, leading {}", status.taskId(), status.state(), a == null ? "unknown" : a.run.key(),
        leader);
    if (a == null || !leader) {
      return;
    }
    TaskState s = status.state();
    if (awaitingReconcile != null && awaitingReconcile.remove(status.taskId().value()) && awaitingReconcile.isEmpty()
        && reconciling) {
      loop.execute(() -> {
        if (reconciling) {
          reconciled();
        }
      });
    }
    if (a.agent.isEmpty()) {
      a.agent = status.agentId();
    }
    if (s == TaskState.FINISHED) {
      byTask.remove(status.taskId().value());
      complete(a, State.SUCCESS, "finished");
    } else if (s.isTerminal() || s == TaskState.UNKNOWN) {
      byTask.remove(status.taskId().value());
      String why = a.killReason != null ? a.killReason
          : s.wireName() + status.message().map(m -> ": " + m).orElse("");
      failedAttempt(a, why);
    }
  }

  private void failedAttempt(Active a, String why) {
    cancelTimer(a);
    JobDefinition job = jobs.get(a.run.job());
    if (job != null && !a.noRetry && a.run.attempt() <= job.retries()) {
      int next = a.run.attempt() + 1;
      Duration backoff = settings.retryBackoff().multipliedBy(1L << Math.min(10, next - 2));
      a.run = a.run.with(State.PENDING, next, Optional.of(JobTasks.taskId(a.run, next)), Optional.empty(),
          Optional.empty(), "retry " + (next - 1) + " of " + job.retries() + " after: " + why, epoch);
      saveRun(a.run);
      a.timer = loop.schedule(backoff, () -> {
        a.timer = null;
        if (leader && states.containsKey(a.run.job()) && states.get(a.run.job()).active.contains(a)) {
          a.deadline = now().plus(job.epsilon());
          enqueue(a);
        }
      });
    } else {
      complete(a, State.FAILED, why);
    }
  }

  private void cancelTimer(Active a) {
    if (a.timer != null) {
      a.timer.cancel();
      a.timer = null;
    }
  }

  private void complete(Active a, State state, String why) {
    cancelTimer(a);
    JobState s = states.get(a.run.job());
    Instant now = now();
    a.run = a.run.with(state, a.run.attempt(), a.run.taskId(), a.run.started(), Optional.of(now), why, epoch);
    saveRun(a.run);
    if (s == null) {
      return;
    }
    s.active.remove(a);
    if (state == State.SUCCESS) {
      s.stats = s.stats.success(now);
      succeeded(a.run.job(), s, a.run.cycle());
    } else if (state == State.FAILED) {
      s.stats = s.stats.failure(now);
      saveState(a.run.job(), s);
      int limit = settings.disableAfterFailures();
      JobDefinition job = jobs.get(a.run.job());
      if (limit > 0 && s.stats.errorsSinceLastSuccess() >= limit && job != null && !job.disabled()) {
        LOG.warn("job {} disabled after {} failures in a row", job.name(), s.stats.errorsSinceLastSuccess());
        jobs.put(job.name(), job.withDisabled(true));
        put(DEFINITIONS + job.name(), JobJson.store(job.withDisabled(true)));
      }
    }
  }

  private void succeeded(String name, JobState s, Instant cycle) {
    if (s.lastSuccessCycle.isEmpty() || cycle.isAfter(s.lastSuccessCycle.get())) {
      s.lastSuccessCycle = Optional.of(cycle);
    }
    saveState(name, s);
    for (JobDefinition child : jobs.values()) {
      if (child.parents().contains(name)) {
        maybeTriggerChild(child);
      }
    }
  }

  /** A child runs once every parent has succeeded since its last run; its cycle is the latest parent's. */
  private void maybeTriggerChild(JobDefinition child) {
    JobState cs = states.get(child.name());
    Instant cycle = Instant.MIN;
    for (String p : child.parents()) {
      Optional<Instant> c = states.get(p).lastSuccessCycle;
      if (c.isEmpty() || !c.get().isAfter(cs.lastTriggeredCycle)) {
        return;
      }
      cycle = c.get().isAfter(cycle) ? c.get() : cycle;
    }
    cs.lastTriggeredCycle = cycle;
    saveState(child.name(), cs);
    if (child.disabled()) {
      skip(child, cycle, Trigger.DEPENDENCY, "job is disabled");
    } else {
      trigger(child, cycle, cycle, Trigger.DEPENDENCY, List.of());
    }
  }

  // ---- scheduling -------------------------------------------------------------------------

  /** Fires what is due, skips what is too late, and sets the next wake-up. */
  void evaluate() {
    if (!leader || reconciling) {
      return;
    }
    if (tick != null) {
      tick.cancel();
    }
    Instant now = now();
    boolean catchUp = catchingUp;
    catchingUp = false;
    Instant wake = now.plus(settings.maxSleep());
    for (JobDefinition job : List.copyOf(jobs.values())) {
      JobState s = states.get(job.name());
      if (job.schedule().isEmpty() || s == null) {
        continue;
      }
      Schedule schedule = job.schedule().get();
      Instant cursor = s.cursor;
      Instant lateLimit = now.minus(job.epsilon());
      List<Instant> late = new ArrayList<>();
      boolean more = false;
      Instant lastLate = null;
      Optional<Instant> next = schedule.nextAfter(cursor);
      while (next.isPresent() && !next.get().isAfter(now)) {
        Instant due = next.get();
        if (due.isBefore(lateLimit)) {
          if (late.size() < MAX_SKIPS_RECORDED) {
            late.add(due);
            lastLate = due;
          } else {
            // Too many to record one by one: jump to the last late occurrence.
            more = true;
            due = schedule.lastBefore(lateLimit).orElse(due);
            lastLate = due;
          }
        } else {
          fire(job, due);
        }
        cursor = due;
        next = schedule.nextAfter(cursor);
      }
      if (lastLate != null) {
        boolean runOne = catchUp && settings.catchUp() == CatchUp.RUN_ONCE;
        String why = catchUp
            ? "missed while the service was down (catch-up policy " + settings.catchUp() + ")"
            : "could not start within epsilon " + job.epsilon() + " (clock or service was late)";
        for (Instant due : late) {
          if (!(runOne && due.equals(lastLate))) {
            skip(job, due, Trigger.SCHEDULE, why + ", late by " + Duration.between(due, now).withNanos(0));
          }
        }
        if (more) {
          LOG.warn("job {}: more than {} late runs up to {}; the ones in between are not recorded one by one",
              job.name(), MAX_SKIPS_RECORDED, lastLate);
          if (!runOne) {
            skip(job, lastLate, Trigger.SCHEDULE, why + "; also every run between " + late.get(late.size() - 1)
                + " and this one (too many to record one by one)");
          }
        }
        if (runOne) {
          fire(job, lastLate);
        }
      }
      if (cursor.isAfter(s.cursor)) {
        s.cursor = cursor;
        saveState(job.name(), s);
      }
      if (next.isPresent() && next.get().isBefore(wake)) {
        wake = next.get();
      }
    }
    expirePending(now);
    for (Active a : pending) {
      if (a.deadline.isBefore(wake)) {
        wake = a.deadline.plusMillis(1);
      }
    }
    Duration delay = Duration.between(now, wake);
    tick = loop.schedule(delay.isNegative() ? Duration.ZERO : delay, this::evaluate);
  }

  private void fire(JobDefinition job, Instant due) {
    if (job.disabled()) {
      skip(job, due, Trigger.SCHEDULE, "job is disabled");
    } else {
      trigger(job, due, due, Trigger.SCHEDULE, List.of());
    }
  }

  private void expirePending(Instant now) {
    for (Iterator<Active> it = pending.iterator(); it.hasNext(); ) {
      Active a = it.next();
      if (now.isAfter(a.deadline)) {
        it.remove();
        JobDefinition job = jobs.get(a.run.job());
        complete(a, State.SKIPPED, "no matching offer within epsilon " + (job == null ? "" : job.epsilon())
            + (a.inherited ? " (queued under an earlier leader; the lead changed before it could start)" : ""));
      }
    }
  }

  /**
   * Starts a run: records it (compare-and-set at version -1, at most once per key, off the loop)
   * and, once recorded, queues it for an offer. Meanwhile it counts as active for its job.
   *
   * @return completes on the loop with the run, or empty if it was skipped or already recorded;
   *     exceptionally ({@link StoreWriter.StoreFailure}) if the store failed or the term ended
   */
  CompletableFuture<Optional<JobRun>> trigger(JobDefinition job, Instant scheduled, Instant cycle, Trigger trigger,
      List<String> args) {
    JobState s = states.get(job.name());
    if (!job.concurrent() && !s.active.isEmpty()) {
      return skip(job, scheduled, trigger, "previous run still active (concurrent=false)")
          .thenApply(x -> Optional.empty());
    }
    if (job.container().isPresent()) {
      return skip(job, scheduled, trigger, "field 'container' is not supported here: containers are not run by this"
          + " service").thenApply(x -> Optional.empty());
    }
    JobRun created = new JobRun(job.name(), scheduled, cycle, trigger, State.PENDING, 1, Optional.empty(),
        Optional.empty(), Optional.empty(), "", epoch, args);
    JobRun run = created.with(State.PENDING, 1, Optional.of(JobTasks.taskId(created, 1)), Optional.empty(),
        Optional.empty(), "", epoch);
    Active a = new Active(run, now().plus(job.epsilon()));
    s.active.add(a);
    return createRun(run).thenApply(recorded -> {
      if (!recorded) {
        s.active.remove(a);
        LOG.info("run {} of job {} is already recorded; not starting it again", run.key(), job.name());
        return Optional.<JobRun>empty();
      }
      if (a.run == run) { // else it was killed meanwhile, and its end is remembered already
        remember(run);
      }
      if (states.get(job.name()) == s && s.active.contains(a)) {
        a.deadline = now().plus(job.epsilon());
        enqueue(a);
      }
      return Optional.of(run);
    }).whenComplete((r, e) -> {
      if (e != null) {
        s.active.remove(a);
      }
    });
  }

  private void enqueue(Active a) {
    pending.add(a);
    if (driver != null) {
      suppressed = false;
      driver.revive(Set.of());
    }
  }

  /** Records a skipped run; completes on the loop once it is recorded (or was already). */
  private CompletableFuture<Void> skip(JobDefinition job, Instant scheduled, Trigger trigger, String why) {
    Instant now = now();
    JobRun run = new JobRun(job.name(), scheduled, scheduled, trigger, State.SKIPPED, 0, Optional.empty(),
        Optional.empty(), Optional.of(now), why, epoch, List.of());
    return createRun(run).thenAccept(recorded -> {
      if (recorded) {
        remember(run);
        LOG.info("job {} run {} skipped: {}", job.name(), scheduled, why);
      }
    });
  }

  // ---- operations the API calls (on the loop) ---------------------------------------------

  /**
   * Creates or replaces a job: writes its state and then its definition (the commit point), and
   * only then takes it in memory. Throws IllegalArgumentException at once for a bad parent or a
   * cycle.
   *
   * @param now the time the definition was parsed at (what an empty schedule start meant)
   * @return completes on the loop once the job is durable and taken; exceptionally ({@link
   *     StoreWriter.StoreFailure}, naming the job and the cause) if the store refused or failed,
   *     and then nothing changed in memory
   */
  CompletableFuture<Void> putJob(JobDefinition def, Instant now) {
    for (String p : def.parents()) {
      if (!jobs.containsKey(p)) {
        throw new IllegalArgumentException("parent '" + p + "' of job '" + def.name() + "' does not exist");
      }
    }
    List<String> path = JobTasks.cyclePath(jobs, def);
    if (!path.isEmpty()) {
      throw new IllegalArgumentException("job '" + def.name() + "' would make a dependency cycle: "
          + String.join(" -> ", path));
    }
    String name = def.name();
    String written = JobState.json(define(JobState.copyOf(states.get(name)), jobs.get(name), def, now), epoch);
    byte[] definition = bytes(JobJson.store(def));
    byte[] state = bytes(written);
    return writer.change("job '" + name + "' was not saved", (r, w) -> StoreWriter.put(r, w, STATES + name, state)
        && StoreWriter.put(r, w, DEFINITIONS + name, definition)).thenRun(() -> {
          JobDefinition old = jobs.put(name, def);
          JobState s = states.get(name);
          if (s == null) {
            s = new JobState();
            states.put(name, s);
          }
          define(s, old, def, now);
          if (!JobState.json(s, epoch).equals(written)) {
            saveState(name, s); // it changed meanwhile (a run ended): write what memory holds
          }
          evaluate();
        });
  }

  /** What (re)defining a job does to its state: a new schedule restarts the cursor, new parents the cycle. */
  private JobState define(JobState s, JobDefinition old, JobDefinition def, Instant now) {
    if (s.created == null) {
      s.created = now;
      s.lastTriggeredCycle = now;
    }
    if (old == null || !old.schedule().map(Schedule::text).equals(def.schedule().map(Schedule::text))) {
      Instant start = now.minusMillis(1);
      s.cursor = s.cursor == null || start.isAfter(s.cursor) ? start : s.cursor; // never back
    }
    if (old == null || !old.parents().equals(def.parents())) {
      // A child waits for parent successes after it was (re)defined, not for ones it has missed.
      s.lastTriggeredCycle = def.parents().stream().map(p -> states.get(p).lastSuccessCycle)
          .flatMap(Optional::stream).max(Instant::compareTo).orElse(Instant.EPOCH);
    }
    return s;
  }

  /**
   * Deletes a job and its runs; refuses at once (IllegalArgumentException) while other jobs depend
   * on it. The definition is deleted first (the commit point: a new leader ignores the rest); then
   * the job leaves memory (its active runs are killed) and its state and runs are deleted.
   *
   * @return completes on the loop once all is deleted; exceptionally ({@link StoreWriter.StoreFailure})
   *     if the store refused or failed: before the definition was deleted nothing changed
   */
  CompletableFuture<Void> deleteJob(String name) {
    require(name);
    List<String> children = jobs.values().stream().filter(j -> j.parents().contains(name)).map(JobDefinition::name)
        .toList();
    if (!children.isEmpty()) {
      throw new IllegalArgumentException("job '" + name + "' has dependent jobs " + children + "; delete them first");
    }
    return writer.change("job '" + name + "' was not deleted",
        (r, w) -> StoreWriter.delete(r, w, DEFINITIONS + name))
        .thenCompose(x -> {
          if (jobs.containsKey(name)) {
            kill(name);
            jobs.remove(name);
            states.remove(name);
            evaluate();
          }
          // After the runs' last writes (the kills above are written before this, in order).
          return writer.change("job '" + name + "' was deleted, but not all of its runs", (r, w) -> {
            boolean all = StoreWriter.delete(r, w, STATES + name);
            for (String key : r.keys(RUNS + name + "/")) {
              all &= StoreWriter.delete(r, w, key);
            }
            return all;
          });
        });
  }

  /** Runs a job now, whatever its schedule or parents; completes once the run is recorded (or skipped). */
  CompletableFuture<Optional<JobRun>> runNow(String name, List<String> args) {
    JobDefinition job = require(name);
    Instant now = now();
    return trigger(job, now, now, Trigger.MANUAL, args);
  }

  /**
   * Marks the job's latest run successful (or records a successful run now), releasing its
   * children; completes once that is written.
   */
  CompletableFuture<JobRun> markSuccess(String name) {
    require(name);
    JobState s = states.get(name);
    Optional<JobRun> latest = s.history.values().stream().filter(r -> r.state() != State.SKIPPED)
        .reduce((a, b) -> b);
    Instant now = now();
    JobRun run;
    if (latest.isPresent() && latest.get().state() != State.SUCCESS && latest.get().state().isTerminal()) {
      run = latest.get().with(State.SUCCESS, latest.get().attempt(), latest.get().taskId(), latest.get().started(),
          latest.get().ended(), "marked successful (was " + latest.get().state() + ": " + latest.get().reason() + ")",
          epoch);
      saveRun(run);
    } else if (latest.isPresent() && latest.get().state() == State.SUCCESS) {
      run = latest.get();
    } else {
      run = new JobRun(name, now, now, Trigger.MANUAL, State.SUCCESS, 0, Optional.empty(), Optional.empty(),
          Optional.of(now), "marked successful", epoch, List.of());
      remember(run);
      createRun(run);
    }
    s.stats = s.stats.success(now);
    succeeded(name, s, run.cycle());
    return writer.committed("job '" + name + "' was marked successful in memory, but").thenApply(x -> run);
  }

  /** Kills the job's active runs; they end FAILED without retries. Completes with how many once written. */
  CompletableFuture<Integer> killRuns(String name) {
    int n = kill(name);
    return writer.committed("the kill of job '" + name + "' was not recorded").thenApply(x -> n);
  }

  private int kill(String name) {
    require(name);
    JobState s = states.get(name);
    int n = 0;
    for (Active a : List.copyOf(s.active)) {
      n++;
      a.noRetry = true;
      a.killReason = "killed by request";
      if (a.launched && byTask.containsKey(a.run.taskId().orElse("")) && driver != null) {
        driver.kill(TaskId.of(a.run.taskId().get()), a.agent, Optional.empty());
      } else {
        pending.remove(a);
        byTask.remove(a.run.taskId().orElse(""));
        complete(a, State.FAILED, "killed by request before it started");
      }
    }
    return n;
  }

  JobDefinition require(String name) {
    JobDefinition job = jobs.get(name);
    if (job == null) {
      throw new java.util.NoSuchElementException("job '" + name + "' does not exist");
    }
    return job;
  }

  /** The job's runs, oldest first, at most the history bound. */
  List<JobRun> history(String name) {
    require(name);
    return List.copyOf(states.get(name).history.values());
  }

  // ---- persistence (through the writer, off the loop) -------------------------------------

  private static String runKey(JobRun run) {
    return RUNS + run.job() + "/" + run.key();
  }

  /**
   * Records a new run (compare-and-set at version -1); completes on the loop with whether it was
   * created (false: already recorded), or exceptionally if the store failed (this leader then steps
   * down) or the term ended. Does not remember the run: the caller does.
   */
  private CompletableFuture<Boolean> createRun(JobRun run) {
    return writer.create(runKey(run), bytes(run.toJson().toString()));
  }

  private void saveRun(JobRun run) {
    writer.put(runKey(run), bytes(run.toJson().toString()));
    remember(run);
  }

  private void remember(JobRun run) {
    JobState s = states.get(run.job());
    if (s == null) {
      return;
    }
    s.history.put(run.key(), run);
    while (s.history.size() > settings.historyLimit()) {
      String eldest = s.history.keySet().iterator().next();
      JobRun old = s.history.remove(eldest);
      if (old.state().isTerminal()) {
        writer.delete(RUNS + run.job() + "/" + eldest);
      }
    }
  }

  private void saveState(String name, JobState s) {
    writer.put(STATES + name, bytes(JobState.json(s, epoch)));
  }

  private void put(String key, String value) {
    writer.put(key, bytes(value));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
