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
 * <p>Faults: {@link Fault#DROP} loses the message, {@link Fault#DUPLICATE} delivers one more copy,
 * {@link Fault#DELAY} holds it for the rule's delay, {@link Fault#JITTER} for a random time up to
 * the rule's delay, and {@link Fault#REORDER} holds it for a random time up to the rule's delay
 * while later messages of the same pair may overtake it. Matchers select by message type and by
 * endpoint ({@link MessageMatcher#from}, {@link MessageMatcher#to}, {@link MessageMatcher#and}).
 *
 * <p>Ordering: by default delivery stays FIFO per (sender, receiver) pair, as over one TCP
 * connection: a delayed message holds back the later messages of its pair (never those of other
 * pairs) until it is delivered. Only {@link Fault#REORDER}, or {@link #perPairFifo(boolean)
 * perPairFifo(false)}, lets messages of a pair overtake each other.
 *
 * <p>Concurrency: rules may be added and removed from any thread (copy-on-write list); a message
 * meets the rules in force when it is sent. Delayed messages are scheduled on the sender's loop.
 * The per-pair ordering state is guarded by the pair's own lock.
 */
public final class FaultInjectingTransport implements Transport {
  private final Transport delegate;
  private final Random random;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.ConcurrentHashMap<Pair, PairOrder> pairs = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean fifo = true;

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
    DELAY,
    /** A random delay in [0, delay], keeping per-pair order. */
    JITTER,
    /** A random delay in [0, delay] that later messages of the pair may overtake. */
    REORDER
  }

  private record Pair(Address from, Address to) {}

  /** The messages of one pair still held back; guarded by itself. */
  private static final class PairOrder {
    long pending;
    long lastDue;
  }

  /**
   * Whether messages of one (sender, receiver) pair keep their order when some are delayed;
   * default true. Returns this transport.
   */
  public FaultInjectingTransport perPairFifo(boolean value) {
    fifo = value;
    return this;
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

    /** Messages sent by {@code address}. */
    static MessageMatcher from(Address address) {
      return (from, to, m) -> from.equals(address);
    }

    /** Messages sent to {@code address}. */
    static MessageMatcher to(Address address) {
      return (from, to, m) -> to.equals(address);
    }

    /** Messages between {@code a} and {@code b}, either way. */
    static MessageMatcher between(Address a, Address b) {
      return (from, to, m) -> from.equals(a) && to.equals(b) || from.equals(b) && to.equals(a);
    }

    /** Messages both matchers match. */
    default MessageMatcher and(MessageMatcher other) {
      return (from, to, m) -> matches(from, to, m) && other.matches(from, to, m);
    }

    /** Messages either matcher matches. */
    default MessageMatcher or(MessageMatcher other) {
      return (from, to, m) -> matches(from, to, m) || other.matches(from, to, m);
    }

    /** Every message of the given type (a master's stamped command matches as its command). */
    static MessageMatcher ofType(Class<? extends Message> type) {
      return (from, to, m) -> type.isInstance(m) || type.isInstance(unstamped(m));
    }

    /** Messages of the given type satisfying {@code test} (stamped commands as their command). */
    static <M extends Message> MessageMatcher ofType(Class<M> type, Predicate<M> test) {
      return (from, to, m) -> type.isInstance(m) ? test.test(type.cast(m))
          : type.isInstance(unstamped(m)) && test.test(type.cast(unstamped(m)));
    }

    private static Message unstamped(Message m) {
      return m instanceof dev.agora.core.protocol.AgentMessage.Stamped s ? s.message() : m;
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
        long delay = 0;
        boolean reorder = !fifo;
        for (Rule rule : rules) {
          if (!rule.matcher.matches(address, to, message) || !fires(rule)) {
            continue;
          }
          switch (rule.fault) {
            case DROP -> copies = 0;
            case DUPLICATE -> copies = copies == 0 ? 0 : copies + 1;
            case DELAY -> delay += rule.delay.toNanos();
            case JITTER -> delay += randomNanos(rule.delay);
            case REORDER -> {
              delay += randomNanos(rule.delay);
              reorder = true;
            }
          }
        }
        for (int i = 0; i < copies; i++) {
          deliver(inner, loop, to, message, delay, reorder);
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

  private void deliver(Endpoint inner, EventLoop loop, Address to, Message message, long delay, boolean reorder) {
    if (reorder) {
      if (delay == 0) {
        inner.send(to, message);
      } else {
        loop.schedule(Duration.ofNanos(delay), () -> inner.send(to, message));
      }
      return;
    }
    PairOrder order = pairs.computeIfAbsent(new Pair(inner.address(), to), k -> new PairOrder());
    long now = loop.clock().nanoTime();
    synchronized (order) {
      if (delay == 0 && order.pending == 0) {
        inner.send(to, message);
        return;
      }
      // Never before an earlier held-back message of the pair: equal due times run in posting order.
      long due = Math.max(now + delay, order.lastDue);
      order.lastDue = due;
      order.pending++;
      loop.schedule(Duration.ofNanos(due - now), () -> {
        synchronized (order) {
          order.pending--;
          inner.send(to, message);
        }
      });
    }
  }

  private long randomNanos(Duration max) {
    long bound = max.toNanos();
    if (bound <= 0) {
      return 0;
    }
    synchronized (random) {
      return (long) (random.nextDouble() * bound);
    }
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
