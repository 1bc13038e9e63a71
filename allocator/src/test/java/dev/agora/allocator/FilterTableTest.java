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

/** {@link FilterTable} answers as a plain map of client to its list of filters does. */
class FilterTableTest {
  private static final Resources[] RESOURCES = {
    Resources.parse("cpus:1"), Resources.parse("cpus:2;mem:10"), Resources.parse("mem:10"),
  };

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
      // New strings each time: the table must not rely on identity alone.
      String client = new String("c" + op.client());
      switch (op.kind()) {
        case 0, 1 -> {
          OfferFilter f = new OfferFilter(RESOURCES[op.resources()], now + op.ttl());
          table.add(client, f);
          model.computeIfAbsent(client, c -> new ArrayList<>()).add(f);
        }
        case 2 -> assertThat(table.remove(client)).isEqualTo(model.remove(client) != null);
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
      for (int c = 0; c <= 40; c++) {
        String name = "c" + c;
        for (Resources offered : RESOURCES) {
          boolean expected = false;
          for (OfferFilter f : model.getOrDefault(name, List.of())) {
            expected |= f.blocks(offered, now);
          }
          assertThat(table.blocks(name, offered, now, false)).as("%s offered %s", name, offered).isEqualTo(expected);
        }
      }
    }
  }
}
