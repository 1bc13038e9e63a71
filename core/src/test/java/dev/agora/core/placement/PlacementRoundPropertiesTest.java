package dev.agora.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class PlacementRoundPropertiesTest {

  /**
   * A round decides exactly as {@link Placement#place} on candidates updated by hand: same offer,
   * same reservation, same rejection reasons, for several demands (roles, fixed and any ports,
   * constraints) interleaved on the same offers.
   */
  @Property(tries = 100)
  void roundDecidesAsPlaceOnUpdatedCandidates(@ForAll @IntRange(min = 0, max = 6) int agents,
      @ForAll @IntRange(min = 1, max = 4) int cpusPerAgent, @ForAll @IntRange(min = 0, max = 2) int reservedCpus,
      @ForAll @IntRange(min = 0, max = 3) int anyPorts, @ForAll boolean fixedPort, @ForAll boolean spread,
      @ForAll @IntRange(min = 1, max = 3) int maxPer) {
    List<Candidate> cands = new ArrayList<>();
    for (int i = 0; i < agents; i++) {
      String reserved = reservedCpus > 0 && i % 2 == 0 ? "cpus(web):" + reservedCpus + ";" : "";
      cands.add(Candidate.of(PlacementTest.offer(i, reserved + "cpus:" + cpusPerAgent
          + ";mem:1024;ports:[31000-31004]", "rack:r" + (i % 3))));
    }
    List<Integer> ports = new ArrayList<>();
    for (int p = 0; p < anyPorts; p++) {
      ports.add(0);
    }
    if (fixedPort) {
      ports.add(31002);
    }
    List<Demand> demands = List.of(
        new Demand(Resources.of(1, 100), ports, List.of(), Set.of("*")),
        new Demand(Resources.of(1, 100), List.of(0), List.of(), Set.of("web", "*")),
        new Demand(Resources.of(0.5, 64), ports,
            List.of(Constraint.of("rack", Constraint.Operator.MAX_PER, String.valueOf(maxPer))), Set.of("*")));
    Placement placement = spread ? Placement.spread() : Placement.standard();
    PlacementRound round = placement.round(cands);
    List<List<PlacedTask>> placed = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (int n = 0; n < 40; n++) {
      int k = n % demands.size();
      Decision expected = placement.place(demands.get(k), cands, placed.get(k));
      Decision actual = round.place(demands.get(k), placed.get(k));
      assertThat(actual).isEqualTo(expected);
      if (expected instanceof Decision.Placed p) {
        Candidate c = cands.get(p.candidateIndex());
        cands.set(p.candidateIndex(), c.minus(p.reservation().resources()));
        placed.get(k).add(PlacementTest.on(c.offer()));
      }
      for (int i = 0; i < cands.size(); i++) {
        assertThat(round.candidate(i)).isEqualTo(cands.get(i));
      }
    }
  }
}
