package dev.agora.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link FilterTable} answers as a plain map of client to its list of filters does, through the
 * table and through its bits (clients are indices; an index removed and added again must not keep
 * its old filters' bits).
 */
class FilterTableTest {
  private static final Resources[] RESOURCES = {
    Resources.parse("cpus:1"), Resources.parse("cpus:2;mem:10"), Resources.parse("mem:10"),
  };
  /** Offers: the filters' own objects (answered by the bits when one is the table's) and equal copies (never). */
  private static final Resources[] OFFERS = {
    RESOURCES[0], RESOURCES[1], RESOURCES[2], Resources.parse("cpus:1"), Resources.parse("cpus:2;mem:10"),
  };

  private static final java.util.BitSet ALL_CLIENTS = new java.util.BitSet();

  static {
    ALL_CLIENTS.set(0, 41);
  }

  record Op(int kind, int client, int resources, int ttl) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, 40),
            Arbitraries.integers().between(0, RESOURCES.length - 1),
            Arbitraries.integers().between(1, 5))
        .as(Op::new)
        .list()
        .ofMaxSize(200);
  }

  @Property(tries = 300)
  void answersAsAMapOfListsDoes(@ForAll("ops") List<Op> ops) {
    FilterTable table = new FilterTable();
    Map<String, List<OfferFilter>> model = new HashMap<>();
    long now = 0;
    for (Op op : ops) {
      String client = "c" + op.client(); // the model's key; the table's is the index
      switch (op.kind()) {
        case 0, 1 -> {
          OfferFilter f = new OfferFilter(RESOURCES[op.resources()], now + op.ttl());
          table.add(op.client(), f);
          model.computeIfAbsent(client, c -> new ArrayList<>()).add(f);
        }
        case 2 -> assertThat(table.remove(op.client())).isEqualTo(model.remove(client) != null);
        case 3 -> {
          now++;
          long t = now;
          table.expire(t);
          model.values().forEach(l -> l.removeIf(f -> !f.activeAt(t)));
          model.values().removeIf(List::isEmpty);
        }
        default -> now++;
      }
      assertThat(table.size()).isEqualTo(model.size());
      table.checkInvariants(ALL_CLIENTS);
      long t = now;
      boolean allLive = model.values().stream().flatMap(List::stream).allMatch(f -> f.activeAt(t));
      for (Resources offered : OFFERS) {
        boolean all = true;
        long[] bits = table.blockingBits(offered, allLive);
        for (int c = 0; c <= 40; c++) {
          String name = "c" + c;
          boolean expected = false;
          for (OfferFilter f : model.getOrDefault(name, List.of())) {
            expected |= f.blocks(offered, now);
          }
          all &= expected;
          assertThat(table.blocks(c, offered, now, false)).as("%s offered %s", name, offered).isEqualTo(expected);
          assertThat(table.blocks(c, offered, now, allLive)).as("%s offered %s", name, offered).isEqualTo(expected);
          if (bits != null && c >> 6 < bits.length && (bits[c >> 6] & (1L << c)) != 0) {
            assertThat(expected).as("%s's bit set for %s", name, offered).isTrue();
          }
        }
        // Clients 0..40 are all there are: the table may say "all filtered" only if each did.
        if (table.blocksAll(offered, 41, allLive)) {
          assertThat(all).as("all filtered %s", offered).isTrue();
        }
      }
    }
  }
}
