package dev.agora.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class PlacementPropertiesTest {

  /**
   * Placing instances one by one until unschedulable never overcommits an offer, never violates
   * MAX_PER on the rack, and gives every instance distinct ports within its offer.
   */
  @Property(tries = 200)
  void greedyPlacementRespectsResourcesConstraintsAndPorts(
      @ForAll @IntRange(min = 1, max = 6) int agents, @ForAll @IntRange(min = 1, max = 3) int maxPer,
      @ForAll @IntRange(min = 1, max = 4) int racks, @ForAll @IntRange(min = 1, max = 5) int cpusPerAgent,
      @ForAll @IntRange(min = 0, max = 3) int portsPerTask, @ForAll boolean spread) {
    List<Candidate> cands = new ArrayList<>();
    for (int i = 0; i < agents; i++) {
      cands.add(Candidate.of(PlacementTest.offer(i, "cpus:" + cpusPerAgent + ";mem:4096;ports:[31000-31004]",
          "rack:r" + (i % racks))));
    }
    List<Integer> ports = new ArrayList<>();
    for (int p = 0; p < portsPerTask; p++) {
      ports.add(0);
    }
    Demand d = new Demand(Resources.of(1, 100), ports,
        List.of(Constraint.of("rack", Constraint.Operator.MAX_PER, String.valueOf(maxPer))), Set.of("*"));
    Placement placement = spread ? Placement.spread() : Placement.standard();
    List<PlacedTask> placed = new ArrayList<>();
    Map<String, List<Long>> portsByHost = new HashMap<>();
    for (int n = 0; n < 100; n++) {
      Decision dec = placement.place(d, cands, placed);
      if (dec instanceof Decision.Unschedulable u) {
        assertThat(u.reasons()).isNotEmpty();
        break;
      }
      Decision.Placed p = (Decision.Placed) dec;
      Candidate c = cands.get(p.candidateIndex());
      assertThat(c.available().contains(p.reservation().resources())).isTrue();
      cands.set(p.candidateIndex(), c.minus(p.reservation().resources()));
      placed.add(PlacementTest.on(c.offer()));
      portsByHost.computeIfAbsent(c.offer().hostname(), h -> new ArrayList<>()).addAll(p.reservation().ports());
    }
    Map<String, Integer> perRack = new HashMap<>();
    placed.forEach(t -> perRack.merge(t.attributes().get("rack").asText(), 1, Integer::sum));
    assertThat(perRack.values()).allMatch(v -> v <= maxPer);
    portsByHost.values().forEach(l -> assertThat(l).doesNotHaveDuplicates().allMatch(p -> p >= 31000 && p <= 31004));
    int capacityPerAgent = Math.min(cpusPerAgent, portsPerTask == 0 ? Integer.MAX_VALUE : 5 / portsPerTask);
    int byRack = Math.min(racks, agents) * maxPer;
    assertThat(placed.size()).isLessThanOrEqualTo(Math.min(agents * capacityPerAgent, byRack));
    if (capacityPerAgent > 0 && maxPer <= capacityPerAgent) {
      assertThat(placed.size()).isEqualTo(Math.min(racks, agents) * maxPer);
    }
  }
}
