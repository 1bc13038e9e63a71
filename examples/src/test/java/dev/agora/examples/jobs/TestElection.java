package dev.agora.examples.jobs;

import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.transport.Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * An election among jobs-service instances that the test drives: the first candidate leads; the
 * test deposes the leader or hands the lead to another candidate ({@link #elect}); each term gets
 * the next epoch. {@link #detector()} reports the leader's published address, as ZooKeeper's
 * detector does. Thread-safe (synchronized).
 */
final class TestElection {
  private final List<Candidate> candidates = new ArrayList<>();
  private Candidate leading;
  private long epoch;

  /** A candidate publishing {@code address}; for {@code JobsService.Builder.leaderElection}. */
  synchronized LeaderElector candidate(Address address) {
    return new Candidate(address);
  }

  /** The current leader's address, if any. */
  synchronized Optional<Address> leader() {
    return Optional.ofNullable(leading).map(c -> c.address);
  }

  /** The epoch of the latest term. */
  synchronized long epoch() {
    return epoch;
  }

  /** Deposes the leader (if any); nobody leads until {@link #elect}. */
  synchronized void depose() {
    if (leading != null) {
      Candidate old = leading;
      leading = null;
      old.executor.execute(old.listener::notLeader);
    }
  }

  /** Hands the lead to the started candidate publishing {@code address}, under a new epoch. */
  synchronized void elect(Address address) {
    Candidate c = candidates.stream().filter(x -> x.address.equals(address)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no started candidate " + address));
    depose();
    lead(c);
  }

  private void lead(Candidate c) {
    leading = c;
    long e = ++epoch;
    c.executor.execute(() -> c.listener.isLeader(e));
  }

  /** A detector of this election's leader. */
  MasterDetector detector() {
    return new MasterDetector() {
      @Override
      public Optional<Address> leader() {
        return TestElection.this.leader();
      }

      @Override
      public void watch(Executor executor, Consumer<Optional<Address>> listener) {
        Optional<Address> now = leader();
        executor.execute(() -> listener.accept(now));
      }
    };
  }

  private final class Candidate implements LeaderElector {
    final Address address;
    Listener listener;
    Executor executor;

    Candidate(Address address) {
      this.address = address;
    }

    @Override
    public void start(Listener l, Executor e) {
      synchronized (TestElection.this) {
        listener = l;
        executor = e;
        candidates.add(this);
        if (leading == null) {
          lead(this);
        }
      }
    }

    @Override
    public void close() {
      synchronized (TestElection.this) {
        candidates.remove(this);
        if (leading == this) {
          depose();
        }
      }
    }
  }
}
