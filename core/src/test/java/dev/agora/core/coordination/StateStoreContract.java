package dev.agora.core.coordination;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link StateStore}: every implementation's test extends it and implements
 * {@link #newStore()}. Each test gets a fresh, empty store, closed after the test.
 */
public abstract class StateStoreContract {
  /** The store under test. */
  protected StateStore store;

  /** A new, empty store; the contract closes it after each test. */
  protected abstract StateStore newStore() throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void anAbsentKeyHasNoValue() {
    assertThat(store.get("agents/a1")).isEmpty();
    assertThat(store.keys("")).isEmpty();
  }

  @Test
  void versionsStartAtZeroAndGrowByOnePerWrite() {
    assertThat(store.compareAndSet("k", bytes("v0"), -1)).contains(0L);
    assertThat(store.compareAndSet("k", bytes("v1"), 0)).contains(1L);
    assertThat(store.compareAndSet("k", bytes("v2"), 1)).contains(2L);
    Optional<StateStore.Versioned> got = store.get("k");
    assertThat(got).isPresent();
    assertThat(got.get().value()).isEqualTo(bytes("v2"));
    assertThat(got.get().version()).isEqualTo(2);
  }

  @Test
  void aStaleExpectationWritesNothing() {
    store.compareAndSet("k", bytes("first"), -1);
    assertThat(store.compareAndSet("k", bytes("again"), -1)).isEmpty();
    assertThat(store.compareAndSet("k", bytes("stale"), 5)).isEmpty();
    assertThat(store.compareAndSet("absent", bytes("x"), 0)).isEmpty();
    assertThat(store.get("k").orElseThrow().value()).isEqualTo(bytes("first"));
    assertThat(store.get("absent")).isEmpty();
  }

  @Test
  void emptyValuesAreValues() {
    assertThat(store.compareAndSet("empty", new byte[0], -1)).contains(0L);
    assertThat(store.get("empty").orElseThrow().value()).isEmpty();
    assertThat(store.keys("")).containsExactly("empty");
  }

  @Test
  void valuesAreCopied() {
    byte[] value = bytes("abc");
    store.compareAndSet("k", value, -1);
    value[0] = 'x';
    byte[] read = store.get("k").orElseThrow().value();
    assertThat(read).isEqualTo(bytes("abc"));
    read[0] = 'y';
    assertThat(store.get("k").orElseThrow().value()).isEqualTo(bytes("abc"));
  }

  @Test
  void deleteNeedsTheCurrentVersionAndARecreatedKeyStartsAtZero() {
    store.compareAndSet("k", bytes("a"), -1);
    store.compareAndSet("k", bytes("b"), 0);
    assertThat(store.delete("k", 0)).isFalse();
    assertThat(store.delete("absent", 0)).isFalse();
    assertThat(store.get("k")).isPresent();
    assertThat(store.delete("k", 1)).isTrue();
    assertThat(store.get("k")).isEmpty();
    assertThat(store.delete("k", 1)).isFalse();
    assertThat(store.compareAndSet("k", bytes("c"), -1)).contains(0L);
  }

  @Test
  void aKeyAndItsSubKeysAreIndependent() {
    store.compareAndSet("a/b", bytes("ab"), -1);
    assertThat(store.get("a")).isEmpty();
    assertThat(store.compareAndSet("a", bytes("a"), -1)).contains(0L);
    store.compareAndSet("a/b/c", bytes("abc"), -1);
    assertThat(store.delete("a/b", 0)).isTrue();
    assertThat(store.get("a").orElseThrow().value()).isEqualTo(bytes("a"));
    assertThat(store.get("a/b")).isEmpty();
    assertThat(store.get("a/b/c").orElseThrow().value()).isEqualTo(bytes("abc"));
    assertThat(store.delete("a", 0)).isTrue();
    assertThat(store.keys("")).containsExactly("a/b/c");
    assertThat(store.compareAndSet("a/b", bytes("again"), -1)).contains(0L);
  }

  @Test
  void keysAreListedByStringPrefixSorted() {
    for (String k : List.of("b", "a/c/d", "ab", "a", "a/b", "agents/x")) {
      store.compareAndSet(k, bytes(k), -1);
    }
    assertThat(store.keys("")).containsExactly("a", "a/b", "a/c/d", "ab", "agents/x", "b");
    assertThat(store.keys("a/")).containsExactly("a/b", "a/c/d");
    assertThat(store.keys("a")).containsExactly("a", "a/b", "a/c/d", "ab", "agents/x");
    assertThat(store.keys("ag")).containsExactly("agents/x");
    assertThat(store.keys("a/c")).containsExactly("a/c/d");
    assertThat(store.keys("zzz")).isEmpty();
    assertThat(store.keys("a/c/d/e")).isEmpty();
  }

  /** The store's stamps under {@code prefix}; the test is skipped for a store without stamps. */
  private java.util.SortedMap<String, Long> stamps(String prefix) {
    Optional<java.util.SortedMap<String, Long>> stamps = store.stamps(prefix);
    org.junit.jupiter.api.Assumptions.assumeTrue(stamps.isPresent(), "the store has no stamps");
    return stamps.get();
  }

  @Test
  void stampsListTheKeysAsKeysDoes() {
    for (String k : List.of("b", "a/c/d", "ab", "a", "a/b", "agents/x")) {
      store.compareAndSet(k, bytes(k), -1);
    }
    for (String prefix : List.of("", "a/", "a", "ag", "a/c", "zzz", "a/c/d/e")) {
      assertThat(new ArrayList<>(stamps(prefix).keySet())).as("prefix '%s'", prefix).isEqualTo(store.keys(prefix));
    }
  }

  @Test
  void aKeysStampMovesWithEveryWriteOfItAndOnlyThen() {
    store.compareAndSet("a", bytes("a0"), -1);
    store.compareAndSet("a/b", bytes("b0"), -1);
    store.compareAndSet("c", bytes("c0"), -1);
    java.util.SortedMap<String, Long> first = stamps("");
    assertThat(stamps("")).as("nothing written").isEqualTo(first);

    store.compareAndSet("a", bytes("a1"), 0);
    assertThat(store.compareAndSet("c", bytes("refused"), 7)).isEmpty();
    java.util.SortedMap<String, Long> second = stamps("");
    assertThat(second.get("a")).isNotEqualTo(first.get("a"));
    assertThat(second.get("a/b")).as("a sub-key is another key").isEqualTo(first.get("a/b"));
    assertThat(second.get("c")).as("a refused write changes nothing").isEqualTo(first.get("c"));

    store.compareAndSet("a", bytes("a1"), 1); // the same bytes again: still a write
    assertThat(stamps("").get("a")).isNotEqualTo(second.get("a"));
  }

  @Test
  void aKeyDeletedAndWrittenAgainHasANewStampThoughItsVersionIsZeroAgain() {
    store.compareAndSet("k", bytes("first"), -1);
    store.compareAndSet("k/sub", bytes("child"), -1);
    store.compareAndSet("solo", bytes("first"), -1);
    java.util.SortedMap<String, Long> before = stamps("");
    assertThat(store.delete("k", 0)).isTrue();
    assertThat(store.delete("solo", 0)).isTrue();
    assertThat(stamps("")).containsOnlyKeys("k/sub");
    assertThat(store.compareAndSet("k", bytes("second"), -1)).contains(0L);
    assertThat(store.compareAndSet("solo", bytes("second"), -1)).contains(0L);
    java.util.SortedMap<String, Long> after = stamps("");
    assertThat(after.get("k")).isNotEqualTo(before.get("k"));
    assertThat(after.get("solo")).isNotEqualTo(before.get("solo"));
    assertThat(after.get("k/sub")).isEqualTo(before.get("k/sub"));
  }

  @Test
  void aFencedViewGivesTheStoresStamps() {
    store.compareAndSet("k", bytes("v"), -1);
    assertThat(store.fenced(1).stamps("")).isEqualTo(store.stamps(""));
  }

  @Test
  void badKeysAreRefusedNamingTheKey() {
    for (String bad : List.of("", "/a", "a/", "a//b", "a/../b", "./a", "a\u0000b", "a\nb")) {
      assertThatThrownBy(() -> store.get(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
      assertThatThrownBy(() -> store.compareAndSet(bad, bytes("x"), -1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.delete(bad, 0)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(store.keys("")).isEmpty();
  }

  @Test
  void aFiveMegabyteValueRoundTripsAndIsReplaced() {
    byte[] big = new byte[5 * 1024 * 1024 + 17];
    new Random(42).nextBytes(big);
    assertThat(store.compareAndSet("registry/big", big, -1)).contains(0L);
    assertThat(store.get("registry/big").orElseThrow().value()).isEqualTo(big);
    byte[] other = new byte[3 * 1024 * 1024];
    new Random(7).nextBytes(other);
    assertThat(store.compareAndSet("registry/big", other, 0)).contains(1L);
    assertThat(store.get("registry/big").orElseThrow().value()).isEqualTo(other);
    assertThat(store.compareAndSet("registry/big", bytes("small"), 1)).contains(2L);
    assertThat(store.get("registry/big").orElseThrow().value()).isEqualTo(bytes("small"));
    assertThat(store.compareAndSet("registry/big", big, 0)).isEmpty();
    assertThat(store.delete("registry/big", 2)).isTrue();
    assertThat(store.keys("")).isEmpty();
  }

  @Test
  void getAllGivesWhatGetGivesForEachKeyInTheOrderAskedAndLeavesAbsentKeysOut() {
    byte[] big = new byte[1024 * 1024 + 5]; // chunked in ZooKeeper
    new Random(3).nextBytes(big);
    store.compareAndSet("registry/big", big, -1);
    List<String> asked = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String key = "registry/agents/" + String.format("%02d", i);
      store.compareAndSet(key, bytes("bucket " + i), -1);
      if (i % 3 == 0) {
        store.compareAndSet(key, bytes("bucket " + i + " again"), 0);
      }
      asked.add(key);
    }
    store.compareAndSet("registry/empty", new byte[0], -1);
    asked.add(0, "registry/absent");
    asked.add("registry/big");
    asked.add("registry/empty");
    asked.add("registry"); // a parent of keys, not a key

    java.util.Map<String, StateStore.Versioned> all = store.getAll(asked);

    List<String> expectedKeys = new ArrayList<>();
    for (String key : asked) {
      Optional<StateStore.Versioned> one = store.get(key);
      if (one.isPresent()) {
        expectedKeys.add(key);
        assertThat(all.get(key).value()).as(key).isEqualTo(one.get().value());
        assertThat(all.get(key).version()).as(key).isEqualTo(one.get().version());
      }
    }
    assertThat(all.keySet()).containsExactlyElementsOf(expectedKeys).hasSize(42).doesNotContain("registry/absent");
    assertThat(all.get("registry/agents/03").version()).isEqualTo(1);
    assertThat(all.get("registry/big").value()).isEqualTo(big);
    assertThat(store.getAll(List.of())).isEmpty();
    assertThat(store.fenced(1).getAll(List.of("registry/agents/07")).get("registry/agents/07").value())
        .isEqualTo(bytes("bucket 7"));
  }

  @Test
  void keysOfADeepTreeAreListedWholeAndSorted() {
    List<String> written = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      for (String key : List.of("t/" + i, "t/" + i + "/a", "t/" + i + "/a/b/c", "t/x" + i + "/y")) {
        store.compareAndSet(key, bytes(key), -1);
        written.add(key);
      }
    }
    store.compareAndSet("u/1", bytes("u"), -1);
    written.sort(null);
    assertThat(store.keys("t/")).containsExactlyElementsOf(written);
    assertThat(store.keys("t/1")).containsExactlyElementsOf(written.stream().filter(k -> k.startsWith("t/1")).toList());
  }

  @Test
  void epochsOnlyGrow() {
    assertThat(store.epoch()).isZero();
    assertThat(store.beginEpoch(2)).isTrue();
    assertThat(store.epoch()).isEqualTo(2);
    assertThat(store.beginEpoch(2)).isTrue();
    assertThat(store.beginEpoch(1)).isFalse();
    assertThat(store.epoch()).isEqualTo(2);
    assertThat(store.beginEpoch(5)).isTrue();
    assertThat(store.epoch()).isEqualTo(5);
    assertThatThrownBy(() -> store.beginEpoch(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0");
    assertThatThrownBy(() -> store.fenced(-3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-3");
  }

  @Test
  void aFencedWriteIsRefusedOnceAHigherEpochBegan() {
    assertThat(store.beginEpoch(1)).isTrue();
    StateStore leader1 = store.fenced(1);
    assertThat(leader1.compareAndSet("registry/agents", bytes("one"), -1)).contains(0L);
    assertThat(store.beginEpoch(2)).isTrue();
    StateStore leader2 = store.fenced(2);

    assertThat(leader1.compareAndSet("registry/agents", bytes("stale"), 0)).isEmpty();
    assertThat(leader1.compareAndSet("registry/other", bytes("stale"), -1)).isEmpty();
    assertThat(leader1.delete("registry/agents", 0)).isFalse();
    assertThat(leader1.get("registry/agents").orElseThrow().value()).isEqualTo(bytes("one"));
    assertThat(store.get("registry/other")).isEmpty();

    assertThat(leader2.compareAndSet("registry/agents", bytes("two"), 0)).contains(1L);
    assertThat(leader2.delete("registry/agents", 1)).isTrue();
    assertThat(leader2.epoch()).isEqualTo(2);
  }

  @Test
  void unfencedWritesIgnoreEpochs() {
    store.beginEpoch(3);
    assertThat(store.compareAndSet("k", bytes("x"), -1)).contains(0L);
    assertThat(store.fenced(4).compareAndSet("k", bytes("y"), 0)).contains(1L);
  }

  @Test
  void concurrentCompareAndSetLosesNoUpdate() throws Exception {
    int threads = 4;
    int increments = 15;
    store.compareAndSet("counter", bytes("0"), -1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          for (int i = 0; i < increments; i++) {
            while (true) {
              StateStore.Versioned v = store.get("counter").orElseThrow();
              long n = Long.parseLong(new String(v.value(), UTF_8));
              if (store.compareAndSet("counter", bytes(Long.toString(n + 1)), v.version()).isPresent()) {
                break;
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    StateStore.Versioned end = store.get("counter").orElseThrow();
    assertThat(new String(end.value(), UTF_8)).isEqualTo(Integer.toString(threads * increments));
    assertThat(end.version()).isEqualTo(threads * increments);
  }
}
