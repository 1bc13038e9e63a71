package dev.agora.examples.apps;

import com.sun.net.httpserver.HttpExchange;
import dev.agora.core.coordination.StateStore;
import dev.agora.core.coordination.StateStoreException;
import dev.agora.examples.ha.LeaderForwarder;
import dev.agora.examples.store.StoreWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Where the leading apps service is, and relaying API calls that reach a follower to it, as
 * Marathon's followers do: the leader publishes its URL in the state store ({@link #KEY}); a
 * follower relays calls there with the shared {@link LeaderForwarder} (which adds
 * {@code X-Marathon-Leader} and never forwards a call twice).
 *
 * <p>Concurrency: thread-safe; {@link #forward} blocks the calling HTTP thread while it relays.
 */
final class LeaderProxy {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LeaderProxy.class);
  /** The state store key holding the leader's API URL. */
  static final String KEY = "leader/apps";

  private final StateStore store;
  private final LeaderForwarder forwarder;

  LeaderProxy(StateStore store, String self) {
    this.store = store;
    this.forwarder = new LeaderForwarder(self, this::leader, Optional.of("X-Marathon-Leader"));
  }

  /** The leader's URL as published, if any and not this instance's own. */
  Optional<String> leader() {
    return store.get(KEY).map(v -> new String(v.value(), StandardCharsets.UTF_8)).filter(u -> !u.equals(self()));
  }

  /**
   * Publishes this instance's URL as the leader's (called by the new leader, on the store's thread),
   * reading the key's version from {@code reads} and writing through {@code writes}: the store's
   * view fenced with the leader's epoch, so that a deposed leader cannot take the key back.
   *
   * @return whether it is published; false (logged) if the store refused the write (a newer leader,
   *     or a concurrent writer) or failed: followers then relay to a stale leader or answer 503
   */
  boolean publish(StateStore reads, StateStore writes) {
    try {
      if (StoreWriter.put(reads, writes, KEY, self().getBytes(StandardCharsets.UTF_8))) {
        return true;
      }
      LOG.error("the state store refused to publish {} as the apps leader at {}", self(), KEY);
    } catch (StateStoreException e) {
      LOG.error("cannot publish {} as the apps leader at {}", self(), KEY, e);
    }
    return false;
  }

  String self() {
    return forwarder.self();
  }

  /**
   * Relays the exchange to the leader and copies the answer back.
   *
   * @return false if there is no leader to relay to (or the call was relayed already, or the
   *     published leader is gone): the caller answers 503
   */
  boolean forward(HttpExchange ex, byte[] body) throws IOException, InterruptedException {
    return forwarder.forward(ex, body).forwarded();
  }
}
