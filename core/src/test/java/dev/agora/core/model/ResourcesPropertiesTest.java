package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The algebra of {@link Resources}: addition is an abelian monoid that subtraction undoes, the
 * text form round-trips, {@code subtractUpTo} and {@code intersect} split a value, and scalars are
 * fixed point. Every result is checked against the class invariants.
 *
 * <p>Generated values mix scalars (multiples of 0.001, standard and custom names), ranges and sets,
 * unreserved or reserved to {@code eng}, {@code eng/web} or {@code ops}. Each value of a tuple draws
 * its ranges and set items from its own slot, so that the values can be added (a number held twice
 * is an error); the "overlapping" generator shares one slot.
 */
class ResourcesPropertiesTest {

  private static final List<String> SCALAR_NAMES = List.of("cpus", "mem", "disk", "gpus", "fpga", "net.bw_mbps");
  private static final List<String> RANGE_NAMES = List.of("ports", "vlans");
  private static final List<String> SET_NAMES = List.of("disks", "numa-nodes");
  private static final List<String> ROLES = List.of(Resources.UNRESERVED, "eng", "eng/web", "ops");

  /** One generated entry, placed in its value's slot when built. */
  private record Spec(int kind, String name, String role, long millis, Set<Integer> numbers) {}

  private static Arbitrary<Spec> specs() {
    Arbitrary<String> roles = Arbitraries.of(ROLES);
    Arbitrary<Set<Integer>> numbers = Arbitraries.integers().between(0, 199).set().ofMinSize(1).ofMaxSize(40);
    Arbitrary<Spec> scalar = Combinators.combine(
            Arbitraries.of(SCALAR_NAMES), roles, Arbitraries.longs().between(1, 5_000_000))
        .as((n, r, m) -> new Spec(0, n, r, m, Set.of()));
    Arbitrary<Spec> ranges = Combinators.combine(Arbitraries.of(RANGE_NAMES), roles, numbers)
        .as((n, r, s) -> new Spec(1, n, r, 0, s));
    Arbitrary<Spec> sets = Combinators.combine(Arbitraries.of(SET_NAMES), roles, numbers)
        .as((n, r, s) -> new Spec(2, n, r, 0, s));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, scalar), net.jqwik.api.Tuple.of(2, ranges), net.jqwik.api.Tuple.of(1, sets));
  }

  /** Values whose ranges and set items lie in {@code slot}: values of different slots are disjoint. */
  static Arbitrary<Resources> resources(int slot) {
    return specs().list().ofMaxSize(10).map(list -> build(slot, list));
  }

  private static Resources build(int slot, List<Spec> list) {
    Resources.Builder b = Resources.builder();
    for (int e = 0; e < list.size(); e++) {
      Spec s = list.get(e);
      // Each entry gets its own sub-slot, so the entries of one value never collide either.
      long base = 1_000 + slot * 100_000L + e * 1_000L;
      switch (s.kind()) {
        case 0 -> b.scalar(s.name(), s.role(), s.millis() / 1000.0);
        case 1 -> b.ranges(s.name(), s.role(), RangesPropertiesTest.toRanges(base, s.numbers()));
        default -> {
          List<String> items = new ArrayList<>();
          for (int x : s.numbers()) {
            items.add("d" + (base + x));
          }
          b.set(s.name(), s.role(), items);
        }
      }
    }
    return b.build();
  }

  /** Values that draw from one shared slot, so two of them may overlap. */
  @Provide
  Arbitrary<Resources> overlapping() {
    return specs().list().ofMaxSize(10).map(list -> {
      // Same sub-slot for every entry of a name and role would collide inside one value: give
      // each entry its own sub-slot, but reuse the sub-slots across values.
      return build(0, list);
    });
  }

  @Provide
  Arbitrary<Resources> slot0() {
    return resources(0);
  }

  @Provide
  Arbitrary<Resources> slot1() {
    return resources(1);
  }

  @Provide
  Arbitrary<Resources> slot2() {
    return resources(2);
  }

  private static Resources checked(Resources r) {
    r.checkInvariants();
    return r;
  }

  @Property
  void generatedValuesKeepTheInvariants(@ForAll("slot0") Resources a) {
    checked(a);
  }

  @Property
  void subtractUndoesAdd(@ForAll("slot0") Resources a, @ForAll("slot1") Resources b) {
    Resources sum = checked(a.add(b));
    assertThat(checked(sum.subtract(b))).isEqualTo(a);
    assertThat(checked(sum.subtract(a))).isEqualTo(b);
  }

  @Property
  void addIsCommutative(@ForAll("slot0") Resources a, @ForAll("slot1") Resources b) {
    Resources ab = a.add(b);
    Resources ba = b.add(a);
    assertThat(ab).isEqualTo(ba);
    assertThat(ab.hashCode()).isEqualTo(ba.hashCode());
    assertThat(ab.toString()).isEqualTo(ba.toString());
  }

  @Property
  void addIsAssociative(
      @ForAll("slot0") Resources a, @ForAll("slot1") Resources b, @ForAll("slot2") Resources c) {
    assertThat(checked(a.add(b).add(c))).isEqualTo(checked(a.add(b.add(c))));
  }

  @Property
  void emptyIsTheIdentity(@ForAll("slot0") Resources a) {
    assertThat(a.add(Resources.EMPTY)).isEqualTo(a);
    assertThat(Resources.EMPTY.add(a)).isEqualTo(a);
    assertThat(a.subtract(Resources.EMPTY)).isEqualTo(a);
    assertThat(a.subtract(a)).isEqualTo(Resources.EMPTY);
    assertThat(a.subtract(a).isEmpty()).isTrue();
  }

  @Property
  void aSumContainsItsParts(@ForAll("slot0") Resources a, @ForAll("slot1") Resources b) {
    Resources sum = a.add(b);
    assertThat(sum.contains(a)).isTrue();
    assertThat(sum.contains(b)).isTrue();
    assertThat(sum.contains(sum)).isTrue();
    assertThat(a.contains(sum)).isEqualTo(b.isEmpty());
  }

  @Property
  void scalarTotalsAdd(@ForAll("slot0") Resources a, @ForAll("slot1") Resources b) {
    Resources sum = a.add(b);
    for (String name : SCALAR_NAMES) {
      assertThat(sum.scalarMillis(name)).isEqualTo(a.scalarMillis(name) + b.scalarMillis(name));
    }
    assertThat(sum.cpus()).isEqualTo((a.scalarMillis("cpus") + b.scalarMillis("cpus")) / 1000.0);
    assertThat(sum.mem()).isEqualTo(sum.scalar("mem"));
    assertThat(sum.disk()).isEqualTo(sum.scalar("disk"));
    assertThat(sum.gpus()).isEqualTo(sum.scalar("gpus"));
    assertThat(sum.ranges("ports")).isEqualTo(unionOfRanges(sum, "ports"));
  }

  private static Ranges unionOfRanges(Resources r, String name) {
    TreeSet<Long> all = new TreeSet<>();
    for (Resource res : r) {
      if (res.name().equals(name) && res.value() instanceof Resource.RangesValue v) {
        all.addAll(RangesPropertiesTest.toSet(v.ranges()));
      }
    }
    return RangesPropertiesTest.fromSet(all);
  }

  @Property
  void printThenParseGivesTheValueBack(@ForAll("slot0") Resources a) {
    String text = a.toString();
    assertThat(Resources.parse(text)).isEqualTo(a);
    assertThat(Resources.parse(text).toString()).isEqualTo(text);
  }

  @Property
  void parseAddsUpItemsInAnyOrder(@ForAll("slot0") Resources a, @ForAll("slot1") Resources b) {
    List<String> items = new ArrayList<>();
    for (Resource r : a) {
      items.add(r.toString());
    }
    for (Resource r : b) {
      items.add(r.toString());
    }
    Collections.reverse(items);
    assertThat(Resources.parse(String.join(";", items))).isEqualTo(a.add(b));
  }

  @Property
  void subtractUpToNeverThrowsAndSplitsTheValue(
      @ForAll("overlapping") Resources a, @ForAll("overlapping") Resources b) {
    Resources rest = checked(a.subtractUpTo(b));
    Resources common = checked(a.intersect(b));
    assertThat(checked(rest.add(common))).isEqualTo(a);
    assertThat(a.contains(rest)).isTrue();
    assertThat(a.contains(common)).isTrue();
    assertThat(b.contains(common)).isTrue();
    assertThat(common).isEqualTo(b.intersect(a));
  }

  @Property
  void containsIsIntersectionEquality(
      @ForAll("overlapping") Resources a, @ForAll("overlapping") Resources b) {
    boolean contains = a.contains(b);
    assertThat(contains).isEqualTo(a.intersect(b).equals(b));
    if (contains) {
      assertThat(checked(a.subtract(b)).add(b)).isEqualTo(a);
      assertThat(a.subtract(b)).isEqualTo(a.subtractUpTo(b));
    } else {
      assertThatThrownBy(() -> a.subtract(b)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cannot subtract");
    }
  }

  @Property
  void reservationViewsPartitionTheValue(@ForAll("slot0") Resources a) {
    Resources sum = a.unreserved();
    for (String role : a.reservationRoles()) {
      sum = sum.add(a.reservedTo(role));
    }
    assertThat(sum).isEqualTo(a);
    assertThat(checked(a.unreserveAll()).toList()).allMatch(r -> r.role().equals(Resources.UNRESERVED));
    assertThat(a.allocatableTo("eng/web").contains(a.reservedTo("eng"))).isTrue();
    assertThat(a.allocatableTo("eng").contains(a.reservedTo("eng/web"))).isEqualTo(a.reservedTo("eng/web").isEmpty());
    assertThat(checked(a.reserveTo("ops")).reservationRoles()).isSubsetOf(Set.of("ops"));
    Resources scalars = checked(a.scalarsOnly());
    assertThat(scalars.toList()).allMatch(r -> r.value() instanceof Resource.Scalar);
    assertThat(a.contains(scalars)).isTrue();
  }

  @Property
  void scalarsAreFixedPointWithoutDrift(@ForAll("slot0") Resources start) {
    Resources step = Resources.scalar("cpus", 0.1);
    Resources r = start;
    for (int i = 0; i < 1000; i++) {
      r = r.add(step);
    }
    assertThat(r.scalarMillis("cpus")).isEqualTo(start.scalarMillis("cpus") + 100_000);
    for (int i = 0; i < 1000; i++) {
      r = r.subtract(step);
    }
    assertThat(r).isEqualTo(start);
  }

  @Example
  void tenthsAddUpExactly() {
    Resources r = Resources.EMPTY;
    for (int i = 0; i < 1000; i++) {
      r = r.add(Resources.scalar("mem", 0.1));
    }
    assertThat(r).isEqualTo(Resources.scalar("mem", 100));
    assertThat(r.mem()).isEqualTo(100.0);
    assertThat(r.toString()).isEqualTo("mem:100");
    assertThat(Resources.scalar("cpus", 0.3).add(Resources.scalar("cpus", 0.6)).toString()).isEqualTo("cpus:0.9");
  }

  @Example
  void valuesOfMixedTypesPerNameNeverMeet() {
    Resources scalar = Resources.parse("foo:1");
    Resources ranges = Resources.parse("foo:[1-2]");
    assertThatThrownBy(() -> scalar.add(ranges)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'foo'").hasMessageContaining("SCALAR").hasMessageContaining("RANGES");
    assertThatThrownBy(() -> Resources.parse("foo(eng):[1-2]").add(Resources.parse("bar:1;foo:3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'foo'");
    assertThat(scalar.contains(ranges)).isFalse();
    assertThat(scalar.intersect(ranges)).isEqualTo(Resources.EMPTY);
    assertThat(scalar.subtractUpTo(ranges)).isEqualTo(scalar);
    assertThatThrownBy(() -> scalar.subtract(ranges)).isInstanceOf(IllegalArgumentException.class);
  }

  @Example
  void aPortHeldTwiceIsAnError() {
    Resources a = Resources.parse("ports:[1-10]");
    assertThatThrownBy(() -> a.add(Resources.parse("ports:[10-12]")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[10-12]");
    assertThatThrownBy(() -> Resources.parse("disks:{a}").add(Resources.parse("disks:{a,b}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'");
    // The same ports in two roles are two entries; the union query merges them without failing.
    assertThat(Resources.parse("ports:[1-10];ports(eng):[5-20]").ranges("ports")).isEqualTo(Ranges.of(1, 20));
  }

  @Example
  void equalValuesBuiltInAnyOrderAreEqual() {
    Resources a = Resources.builder().scalar("mem", 1).scalar("cpus", "eng", 2).scalar("cpus", 1).build();
    Resources b = Resources.builder().scalar("cpus", 1).scalar("cpus", "eng", 2).scalar("mem", 1).build();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.toString()).isEqualTo("cpus:1;cpus(eng):2;mem:1");
    assertThat(a.scalar("unknown-name-never-interned")).isZero();
    assertThat(a.ranges("unknown-name-never-interned")).isEqualTo(Ranges.EMPTY);
  }
}
