package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The interning of (name, role) keys that arithmetic relies on: one key per pair, from any thread. */
class ResourcesKeyTest {

  @Test
  void concurrentInterningGivesOneKeyPerPair() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<Resources.Key>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          start.await();
          List<Resources.Key> keys = new ArrayList<>();
          for (int i = 0; i < 200; i++) {
            // Fresh String instances each time: interning must not depend on identity of the input.
            keys.add(Resources.Key.of(new String("race-" + (i % 20)), new String("role-" + (i % 7))));
          }
          return keys;
        }));
      }
      start.countDown();
      List<Resources.Key> first = results.get(0).get(30, TimeUnit.SECONDS);
      for (Future<List<Resources.Key>> f : results) {
        List<Resources.Key> keys = f.get(30, TimeUnit.SECONDS);
        for (int i = 0; i < keys.size(); i++) {
          assertThat(keys.get(i)).isSameAs(first.get(i));
        }
      }
      Set<Integer> ids = new HashSet<>();
      Set<Resources.Key> distinct = new HashSet<>(first);
      for (Resources.Key k : distinct) {
        ids.add(k.id);
      }
      assertThat(distinct).hasSize(20 * 7 / gcd(20, 7));
      assertThat(ids).hasSameSizeAs(distinct);
    } finally {
      pool.shutdownNow();
    }
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  @Test
  void keysOfOneNameAreOrderedTogetherAndInterned() {
    Resources.Key a = Resources.Key.of("order-x", "*");
    Resources.Key other = Resources.Key.of("order-y", "*");
    Resources.Key b = Resources.Key.of("order-x", "eng");
    assertThat(a.nameId).isEqualTo(b.nameId).isNotEqualTo(other.nameId);
    // Whatever the creation order, no key of another name sorts between keys of one name.
    assertThat(other.order < Math.min(a.order, b.order) || other.order > Math.max(a.order, b.order)).isTrue();
    assertThat(Resources.Key.of(new String("order-x"), new String("eng"))).isSameAs(b);
    assertThat(b.name).isSameAs(a.name);
    assertThat(a.role).isSameAs(Resources.UNRESERVED);
  }

  @Test
  void valuesBuiltOnDifferentThreadsAreEqual() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Resources there = pool.submit(() -> Resources.parse("cpus(thread-role):1;ports:[1-3]")).get(30, TimeUnit.SECONDS);
      Resources here = Resources.parse("ports:[1-3];cpus(thread-role):1");
      assertThat(there).isEqualTo(here).hasSameHashCodeAs(here);
    } finally {
      pool.shutdownNow();
    }
  }
}
