package dev.agora.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.Attributes;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementTest {
  static Offer offer(int i, String resources, String attributes) {
    return new Offer(OfferId.of("o" + i), FrameworkId.of("f"), AgentId.of("a" + i), "host" + i,
        Resources.parse(resources), "*", Attributes.parse(attributes));
  }

  static PlacedTask on(Offer o) {
    return new PlacedTask(o.hostname(), o.attributes());
  }

  static Demand demand(double cpus, List<Integer> ports, Constraint... constraints) {
    return new Demand(Resources.of(cpus, 32), ports, List.of(constraints), Set.of("*"));
  }

  @Test
  void uniqueHostnameThreeAgentsFourInstancesLeavesOneWithReason() {
    List<Candidate> cands = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      cands.add(Candidate.of(offer(i, "cpus:8;mem:1024;ports:[31000-31010]", "")));
    }
    Demand d = demand(1, List.of(0), Constraint.of("hostname", Constraint.Operator.UNIQUE));
    List<PlacedTask> placed = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      Decision dec = Placement.standard().place(d, cands, placed);
      assertThat(dec).isInstanceOf(Decision.Placed.class);
      Decision.Placed p = (Decision.Placed) dec;
      placed.add(on(p.reservation().offer()));
      cands.set(p.candidateIndex(), cands.get(p.candidateIndex()).minus(p.reservation().resources()));
    }
    assertThat(placed).extracting(PlacedTask::hostname).containsExactlyInAnyOrder("host0", "host1", "host2");
    Decision last = Placement.standard().place(d, cands, placed);
    assertThat(last).isInstanceOf(Decision.Unschedulable.class);
    Decision.Unschedulable u = (Decision.Unschedulable) last;
    assertThat(u.offersConsidered()).isEqualTo(3);
    assertThat(u.reasons().keySet()).allMatch(r -> r.contains("[hostname, UNIQUE]") && r.contains("already has an instance"));
  }

  @Test
  void resourcesReasonNamesTheResource() {
    Decision dec = Placement.standard().place(demand(4, List.of()), List.of(Candidate.of(offer(0, "cpus:2;mem:1024", ""))), List.of());
    assertThat(((Decision.Unschedulable) dec).reasons()).containsOnlyKeys("insufficient cpus: need 4.0, offered 2.0 in roles [*]");
  }

  @Test
  void portsAssignedFromOfferedRangesAndFixedPortsHonoured() {
    Candidate c = Candidate.of(offer(0, "cpus:2;mem:1024;ports:[31000-31001,31005-31005]", ""));
    Decision.Placed p = (Decision.Placed) Placement.standard().place(demand(1, List.of(0, 31005, 0)), List.of(c), List.of());
    assertThat(p.reservation().ports()).containsExactly(31000L, 31005L, 31001L);
    assertThat(p.reservation().resources().ranges("ports").size()).isEqualTo(3);
    Candidate left = c.minus(p.reservation().resources());
    assertThat(((Decision.Unschedulable) Placement.standard().place(demand(1, List.of(0)), List.of(left), List.of()))
        .reasons().keySet().iterator().next()).startsWith("insufficient ports");
    assertThat(((Decision.Unschedulable) Placement.standard().place(demand(1, List.of(8080)), List.of(c), List.of()))
        .reasons().keySet().iterator().next()).startsWith("port 8080 not offered");
  }

  @Test
  void attributeOperators() {
    Offer a = offer(0, "cpus:4;mem:1024", "rack:r1;zone:a");
    Offer b = offer(1, "cpus:4;mem:1024", "rack:r2;zone:b");
    List<Candidate> both = List.of(Candidate.of(a), Candidate.of(b));
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.IS, "r2"), both, List.of())).containsExactly("host1");
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.CLUSTER, "r1"), both, List.of())).containsExactly("host0");
    assertThat(hosts(Constraint.of("zone", Constraint.Operator.CLUSTER), both, List.of(on(b)))).containsExactly("host1");
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.LIKE, "r[12]"), both, List.of())).containsExactly("host0", "host1");
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.UNLIKE, "r1"), both, List.of())).containsExactly("host1");
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.MAX_PER, "2"), both, List.of(on(a), on(a)))).containsExactly("host1");
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.GROUP_BY, "2"), both, List.of(on(a)))).containsExactly("host1");
    assertThat(hosts(Constraint.of("rack", Constraint.Operator.GROUP_BY, "2"), both, List.of(on(a), on(b)))).containsExactly("host0", "host1");
    assertThat(hosts(Constraint.of("gpu", Constraint.Operator.IS, "x"), both, List.of())).isEmpty();
    assertThat(hosts(Constraint.of("gpu", Constraint.Operator.UNLIKE, "x"), both, List.of())).hasSize(2);
  }

  static List<String> hosts(Constraint c, List<Candidate> cands, List<PlacedTask> placed) {
    List<String> out = new ArrayList<>();
    for (Candidate cand : cands) {
      if (Placement.standard().filter(demand(1, List.of(), c), cand, placed).fits()) {
        out.add(cand.offer().hostname());
      }
    }
    return out;
  }

  @Test
  void parseRejectsBadConstraintsNamingTheValue() {
    assertThat(Constraint.parse(List.of("hostname", "unique"))).isEqualTo(Constraint.of("hostname", Constraint.Operator.UNIQUE));
    assertThatThrownBy(() -> Constraint.parse(List.of("hostname", "SOMETIMES"))).hasMessageContaining("'SOMETIMES' is unknown");
    assertThatThrownBy(() -> Constraint.parse(List.of("rack", "LIKE", "[")))
        .hasMessageContaining("not a valid regular expression");
    assertThatThrownBy(() -> Constraint.parse(List.of("rack", "MAX_PER", "x"))).hasMessageContaining("'x'");
    assertThatThrownBy(() -> Constraint.parse(List.of("rack"))).hasMessageContaining("[rack]");
  }

  @Test
  void binPackPrefersFullerAgentSpreadTheEmptier() {
    Candidate full = new Candidate(offer(0, "cpus:4;mem:1024", ""), Resources.of(1, 256));
    Candidate empty = Candidate.of(offer(1, "cpus:4;mem:1024", ""));
    Decision.Placed bp = (Decision.Placed) Placement.standard().place(demand(1, List.of()), List.of(empty, full), List.of());
    assertThat(bp.reservation().offer().hostname()).isEqualTo("host0");
    Decision.Placed sp = (Decision.Placed) Placement.spread().place(demand(1, List.of()), List.of(full, empty), List.of());
    assertThat(sp.reservation().offer().hostname()).isEqualTo("host1");
  }

  @Test
  void builderRejectsDuplicatesAndBadWeights() {
    assertThatThrownBy(() -> Placement.builder().filter(Placement.resourceFilter()).filter(Placement.resourceFilter()))
        .hasMessageContaining("'resources' was already added");
    assertThatThrownBy(() -> Placement.builder().score(Placement.binPack(), -1)).hasMessageContaining("-1");
  }
}
