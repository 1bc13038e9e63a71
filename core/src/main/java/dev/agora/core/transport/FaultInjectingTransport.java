package dev.agora.core.transport;

import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A transport that drops, delays or duplicates chosen messages on their way through another
 * transport, for tests of what the protocol does when the network misbehaves. Randomness comes
 * from a seeded {@link Random}, so under a {@link dev.agora.core.runtime.Simulation} a run is
 * repeatable.
 *
 * <p>Concurrency: rules may be added and removed from any thread (copy-on-write list); a message
 * meets the rules in force when it is sent. Delays are scheduled on the sender's loop, so with
 * random delays two messages of one pair may be reordered.
 */
public final class FaultInjectingTransport implements Transport {
  private final Transport delegate;
  private final Random random;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();

  /**
   * Wraps {@code delegate}.
   *
   * @param random the source of randomness for probabilistic rules; use a seeded one
   */
  public FaultInjectingTransport(Transport delegate, Random random) {
    this.delegate = delegate;
    this.random = random;
  }

  /** What happens to a message a rule matches. */
  public enum Fault {
    DROP,
    DUPLICATE,
    DELAY
  }

  /**
   * A fault applied to messages it matches.
   *
   * @param matcher which messages (sender, receiver, message)
   * @param fault what to do
   * @param probability the chance per matching message, in [0, 1]
   * @param delay for {@link Fault#DELAY}, how long
   * @param remaining how many more times it may fire (negative: unlimited)
   */
  private record Rule(MessageMatcher matcher, Fault fault, double probability, Duration delay, AtomicLong remaining) {}

  /** Which messages a rule matches. */
  @FunctionalInterface
  public interface MessageMatcher {
    /** Whether the rule applies to {@code message} sent from {@code from} to {@code to}. */
    boolean matches(Address from, Address to, Message message);

    /** Every message of the given type. */
    static MessageMatcher ofType(Class<? extends Message> type) {
      return (from, to, m) -> type.isInstance(m);
    }

    /** Messages of the given type satisfying {@code test}. */
    static <M extends Message> MessageMatcher ofType(Class<M> type, Predicate<M> test) {
      return (from, to, m) -> type.isInstance(m) && test.test(type.cast(m));
    }
  }

  /** Drops the next {@code times} messages {@code matcher} matches. */
  public FaultInjectingTransport dropNext(MessageMatcher matcher, long times) {
    rules.add(new Rule(matcher, Fault.DROP, 1.0, Duration.ZERO, new AtomicLong(times)));
    return this;
  }

  /** Applies {@code fault} with {@code probability} to every message {@code matcher} matches. */
  public FaultInjectingTransport add(MessageMatcher matcher, Fault fault, double probability, Duration delay) {
    if (probability < 0 || probability > 1 || Double.isNaN(probability)) {
      throw new IllegalArgumentException("probability must be in [0, 1] but was " + probability);
    }
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must be >= 0 but was " + delay);
    }
    rules.add(new Rule(matcher, fault, probability, delay, new AtomicLong(-1)));
    return this;
  }

  /** Removes every rule: the network heals. */
  public void heal() {
    rules.clear();
  }

  @Override
  public Endpoint bind(Address address, EventLoop loop, MessageHandler handler) {
    Endpoint inner = delegate.bind(address, loop, handler);
    return new Endpoint() {
      @Override
      public Address address() {
        return address;
      }

      @Override
      public void send(Address to, Message message) {
        int copies = 1;
        Duration delay = Duration.ZERO;
        for (Rule rule : rules) {
          if (!rule.matcher.matches(address, to, message) || !fires(rule)) {
            continue;
          }
          switch (rule.fault) {
            case DROP -> copies = 0;
            case DUPLICATE -> copies = copies == 0 ? 0 : copies + 1;
            case DELAY -> delay = delay.plus(rule.delay);
          }
        }
        for (int i = 0; i < copies; i++) {
          if (delay.isZero()) {
            inner.send(to, message);
          } else {
            loop.schedule(delay, () -> inner.send(to, message));
          }
        }
      }

      @Override
      public void link(Address peer) {
        inner.link(peer);
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }

  private boolean fires(Rule rule) {
    if (rule.probability < 1.0) {
      synchronized (random) {
        if (random.nextDouble() >= rule.probability) {
          return false;
        }
      }
    }
    if (rule.remaining.get() < 0) {
      return true;
    }
    return rule.remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }
}
