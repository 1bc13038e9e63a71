package dev.agora.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.coordination.LeaderElector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class ExitWhenDeposedTest {
  /** An elector the test drives by hand. */
  static final class Manual implements LeaderElector {
    Listener listener;
    boolean closed;

    @Override
    public void start(Listener l, Executor executor) {
      listener = l;
    }

    @Override
    public void close() {
      closed = true;
      if (listener != null) {
        listener.notLeader(); // as the ZooKeeper elector does when it abdicates
      }
    }
  }

  private final Manual manual = new Manual();
  private final List<Integer> exits = new CopyOnWriteArrayList<>();
  private final List<String> heard = new CopyOnWriteArrayList<>();
  private final ExitWhenDeposed elector = new ExitWhenDeposed(manual, exits::add);

  private void start() {
    elector.start(new LeaderElector.Listener() {
      @Override
      public void isLeader(long epoch) {
        heard.add("leader " + epoch);
      }

      @Override
      public void notLeader() {
        heard.add("not leader");
      }
    }, Runnable::run);
  }

  @Test
  void aLeaderThatLosesItsTermStopsActingThenExits() {
    start();
    manual.listener.isLeader(7);
    manual.listener.notLeader();
    assertThat(heard).containsExactly("leader 7", "not leader");
    assertThat(exits).containsExactly(ExitWhenDeposed.EXIT_CODE);
    manual.listener.notLeader();
    assertThat(exits).containsExactly(ExitWhenDeposed.EXIT_CODE);
  }

  @Test
  void aCandidateThatNeverLedDoesNotExit() {
    start();
    manual.listener.notLeader();
    assertThat(heard).containsExactly("not leader");
    assertThat(exits).isEmpty();
  }

  @Test
  void closingALeaderAbdicatesWithoutExiting() {
    start();
    manual.listener.isLeader(1);
    elector.close();
    assertThat(manual.closed).isTrue();
    assertThat(heard).containsExactly("leader 1", "not leader");
    assertThat(exits).isEmpty();
  }
}
