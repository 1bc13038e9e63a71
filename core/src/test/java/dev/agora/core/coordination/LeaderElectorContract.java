package dev.agora.core.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link LeaderElector}: every implementation's test extends it and implements
 * {@link #newElector}. Electors made by one test take part in the same election. Implementations
 * that can only ever have one candidate return false from {@link #supportsManyCandidates()}; the
 * tests with several candidates are skipped for them.
 */
public abstract class LeaderElectorContract {
  /** How long an election may take in these tests. */
  protected static final Duration DEADLINE = Duration.ofSeconds(30);

  private final List<LeaderElector> electors = new ArrayList<>();
  private final List<ExecutorService> executors = new ArrayList<>();
  /** Every listener call of every candidate, in the order they ran. */
  protected final List<String> history = new CopyOnWriteArrayList<>();

  /** A new candidate named {@code name} in this test's election (not started). */
  protected abstract LeaderElector newElector(String name) throws Exception;

  /** Whether more than one candidate can take part in one election. */
  protected boolean supportsManyCandidates() {
    return true;
  }

  /** Records one candidate's listener calls; checks they run on its executor. */
  protected final class Candidate implements LeaderElector.Listener {
    final String name;
    final LeaderElector elector;
    final ExecutorService executor;
    final AtomicInteger wrongThread = new AtomicInteger();
    volatile Thread executorThread;
    volatile long epoch = -1;
    volatile boolean leading;
    final List<Long> epochs = new CopyOnWriteArrayList<>();

    Candidate(String name) throws Exception {
      this.name = name;
      this.elector = newElector(name);
      this.executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "listener-" + name);
        t.setDaemon(true);
        executorThread = t;
        return t;
      });
      electors.add(elector);
      executors.add(executor);
    }

    Candidate start() {
      elector.start(this, executor);
      return this;
    }

    @Override
    public void isLeader(long value) {
      check();
      epoch = value;
      epochs.add(value);
      leading = true;
      history.add(name + " leads " + value);
    }

    @Override
    public void notLeader() {
      check();
      leading = false;
      history.add(name + " stops");
    }

    private void check() {
      if (Thread.currentThread() != executorThread) {
        wrongThread.incrementAndGet();
      }
    }
  }

  /** A started candidate. */
  protected Candidate candidate(String name) throws Exception {
    return new Candidate(name).start();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (LeaderElector e : electors) {
      e.close();
    }
    for (ExecutorService e : executors) {
      e.shutdown();
      assertThat(e.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aLoneCandidateLeadsUnderAPositiveEpochOnItsExecutor() throws Exception {
    Candidate a = candidate("a");
    await().atMost(DEADLINE).until(() -> a.leading);
    assertThat(a.epoch).isPositive();
    assertThat(a.wrongThread).hasValue(0);
  }

  @Test
  void startingTwiceIsRefused() throws Exception {
    Candidate a = candidate("a");
    assertThatThrownBy(() -> a.elector.start(a, a.executor)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closingAbdicatesOnceAndIsIdempotent() throws Exception {
    Candidate a = candidate("a");
    await().atMost(DEADLINE).until(() -> a.leading);
    a.elector.close();
    a.elector.close();
    await().atMost(DEADLINE).until(() -> !a.leading);
    await().atMost(DEADLINE).until(() -> history.equals(List.of("a leads " + a.epoch, "a stops")));
    assertThat(a.wrongThread).hasValue(0);
  }

  @Test
  void closingBeforeLeadingIsHarmless() throws Exception {
    Candidate a = new Candidate("a");
    a.elector.close();
    a.elector.close();
    assertThat(a.leading).isFalse();
  }

  @Test
  void exactlyOneOfThreeCandidatesLeads() throws Exception {
    assumeTrue(supportsManyCandidates());
    List<Candidate> all = List.of(candidate("a"), candidate("b"), candidate("c"));
    await().atMost(DEADLINE).until(() -> all.stream().filter(c -> c.leading).count() == 1);
    // It stays that way.
    await().during(Duration.ofMillis(500)).atMost(DEADLINE)
        .until(() -> all.stream().filter(c -> c.leading).count() == 1);
    for (Candidate c : all) {
      assertThat(c.wrongThread).hasValue(0);
    }
  }

  @Test
  void whenTheLeaderLeavesAnotherLeadsUnderAHigherEpoch() throws Exception {
    assumeTrue(supportsManyCandidates());
    List<Candidate> all = new ArrayList<>(List.of(candidate("a"), candidate("b"), candidate("c")));
    List<Long> terms = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      await().atMost(DEADLINE).until(() -> all.stream().filter(c -> c.leading).count() == 1);
      Candidate leader = all.stream().filter(c -> c.leading).findFirst().orElseThrow();
      terms.add(leader.epoch);
      leader.elector.close();
      all.remove(leader);
      all.add(candidate("n" + round));
      await().atMost(DEADLINE).until(() -> !leader.leading);
    }
    assertThat(terms).isSorted().doesNotHaveDuplicates();
    // A leader's stop is recorded before its successor's start.
    for (int i = 0; i + 1 < terms.size(); i++) {
      int stopped = -1;
      int next = -1;
      for (int j = 0; j < history.size(); j++) {
        if (history.get(j).endsWith(" leads " + terms.get(i + 1))) {
          next = j;
        }
      }
      for (int j = 0; j < history.size(); j++) {
        if (history.get(j).endsWith(" leads " + terms.get(i))) {
          String name = history.get(j).split(" ")[0];
          stopped = history.subList(j, history.size()).indexOf(name + " stops") + j;
        }
      }
      assertThat(stopped).as("stop of epoch %s in %s", terms.get(i), history).isLessThan(next);
    }
  }
}
