package dev.agora.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * {@link Ranges} against a model: a plain sorted set of numbers. Dense small sets produce many
 * adjacent and overlapping intervals, where merge and split bugs live.
 */
class RangesPropertiesTest {

  /** The ranges holding {@code base + n} for each n. */
  static Ranges toRanges(long base, Set<Integer> numbers) {
    TreeSet<Long> set = new TreeSet<>();
    for (int n : numbers) {
      set.add(base + n);
    }
    return fromSet(set);
  }

  /** The ranges of a model set, built one maximal run at a time (independently of add/merge). */
  static Ranges fromSet(TreeSet<Long> set) {
    StringBuilder text = new StringBuilder("[");
    Long begin = null;
    long prev = -2;
    for (long x : set) {
      if (begin != null && x != prev + 1) {
        text.append(text.length() > 1 ? "," : "").append(begin).append('-').append(prev);
        begin = null;
      }
      if (begin == null) {
        begin = x;
      }
      prev = x;
    }
    if (begin != null) {
      text.append(text.length() > 1 ? "," : "").append(begin).append('-').append(prev);
    }
    return Ranges.parse(text.append(']').toString());
  }

  /** The model set of a value. */
  static TreeSet<Long> toSet(Ranges r) {
    TreeSet<Long> set = new TreeSet<>();
    for (int i = 0; i < r.intervalCount(); i++) {
      for (long x = r.begin(i); x <= r.end(i); x++) {
        set.add(x);
      }
    }
    return set;
  }

  @Provide
  Arbitrary<TreeSet<Long>> sets() {
    return Arbitraries.longs().between(0, 60).set().ofMaxSize(40).map(TreeSet::new);
  }

  private static void checkCanonical(Ranges r) {
    for (int i = 0; i < r.intervalCount(); i++) {
      assertThat(r.begin(i)).isBetween(0L, r.end(i));
      if (i > 0) {
        assertThat(r.end(i - 1) + 1).as("intervals sorted and not adjacent in %s", r).isLessThan(r.begin(i));
      }
    }
  }

  @Property
  void modelRoundTrip(@ForAll("sets") TreeSet<Long> a) {
    Ranges r = fromSet(a);
    checkCanonical(r);
    assertThat(toSet(r)).isEqualTo(a);
    assertThat(r.size()).isEqualTo(a.size());
    assertThat(r.isEmpty()).isEqualTo(a.isEmpty());
    assertThat(Ranges.parse(r.toString())).isEqualTo(r);
    for (long x = 0; x <= 61; x++) {
      assertThat(r.contains(x)).isEqualTo(a.contains(x));
    }
  }

  @Property
  void addIsDisjointUnionAndSubtractGivesBack(@ForAll("sets") TreeSet<Long> a, @ForAll("sets") TreeSet<Long> b) {
    Ranges ra = fromSet(a);
    Ranges rb = fromSet(b);
    TreeSet<Long> common = new TreeSet<>(a);
    common.retainAll(b);
    assertThat(ra.overlaps(rb)).isEqualTo(!common.isEmpty());
    if (common.isEmpty()) {
      Ranges sum = ra.add(rb);
      checkCanonical(sum);
      TreeSet<Long> union = new TreeSet<>(a);
      union.addAll(b);
      assertThat(toSet(sum)).isEqualTo(union);
      assertThat(sum).isEqualTo(rb.add(ra));
      assertThat(sum.contains(ra)).isTrue();
      assertThat(sum.contains(rb)).isTrue();
      assertThat(sum.subtract(rb)).isEqualTo(ra);
      assertThat(sum.subtract(ra)).isEqualTo(rb);
    } else {
      assertThatThrownBy(() -> ra.add(rb)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("overlap");
    }
  }

  @Property
  void subtractIntersectAndMinusFollowTheModel(@ForAll("sets") TreeSet<Long> a, @ForAll("sets") TreeSet<Long> b) {
    Ranges ra = fromSet(a);
    Ranges rb = fromSet(b);
    TreeSet<Long> common = new TreeSet<>(a);
    common.retainAll(b);
    TreeSet<Long> rest = new TreeSet<>(a);
    rest.removeAll(b);
    TreeSet<Long> union = new TreeSet<>(a);
    union.addAll(b);

    checkCanonical(ra.intersect(rb));
    assertThat(toSet(ra.intersect(rb))).isEqualTo(common);
    checkCanonical(ra.minus(rb));
    assertThat(toSet(ra.minus(rb))).isEqualTo(rest);
    checkCanonical(ra.union(rb));
    assertThat(toSet(ra.union(rb))).isEqualTo(union);
    assertThat(ra.contains(rb)).isEqualTo(a.containsAll(b));
    if (a.containsAll(b)) {
      assertThat(ra.subtract(rb)).isEqualTo(ra.minus(rb));
    } else {
      assertThatThrownBy(() -> ra.subtract(rb)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("do not contain");
    }
    assertThat(ra.minus(rb).add(ra.intersect(rb))).isEqualTo(ra);
  }

  @Property
  void takeGivesTheLowestNumbers(@ForAll("sets") TreeSet<Long> a, @ForAll @LongRange(min = 0, max = 40) long count) {
    Ranges r = fromSet(a);
    if (count > a.size()) {
      assertThatThrownBy(() -> r.take(count)).isInstanceOf(IllegalArgumentException.class);
      return;
    }
    TreeSet<Long> lowest = new TreeSet<>();
    for (long x : a) {
      if (lowest.size() == count) {
        break;
      }
      lowest.add(x);
    }
    Ranges taken = r.take(count);
    checkCanonical(taken);
    assertThat(toSet(taken)).isEqualTo(lowest);
    assertThat(r.contains(taken)).isTrue();
  }

  @Property
  void subtractingAnInnerRangeSplitsTheInterval(
      @ForAll @LongRange(min = 0, max = 1000) long begin,
      @ForAll @LongRange(min = 1, max = 500) long x,
      @ForAll @LongRange(min = 0, max = 500) long width,
      @ForAll @LongRange(min = 1, max = 500) long tail) {
    Ranges whole = Ranges.of(begin, begin + x + width + tail);
    Ranges inner = Ranges.of(begin + x, begin + x + width);
    Ranges split = whole.subtract(inner);
    assertThat(split).isEqualTo(Ranges.of(begin, begin + x - 1, begin + x + width + 1, begin + x + width + tail));
    assertThat(split.intervalCount()).isEqualTo(2);
    assertThat(split.add(inner)).isEqualTo(whole);
    assertThat(split.add(inner).intervalCount()).isEqualTo(1);
  }

  @Property
  void adjacentIntervalsMerge(
      @ForAll @LongRange(min = 0, max = 100_000) long begin,
      @ForAll @LongRange(min = 0, max = 100) long left,
      @ForAll @LongRange(min = 0, max = 100) long right) {
    long mid = begin + left;
    Ranges merged = Ranges.of(mid + 1, mid + 1 + right).add(Ranges.of(begin, mid));
    assertThat(merged).isEqualTo(Ranges.of(begin, mid + 1 + right));
    assertThat(merged.intervalCount()).isEqualTo(1);
    assertThat(merged.toString()).isEqualTo("[" + begin + "-" + (mid + 1 + right) + "]");
  }

  @Example
  void subtractAtTheTopOfTheDomainDoesNotWrapAround() {
    // Regression: end + 1 overflowed at Long.MAX_VALUE and produced [-9223372036854775808-...].
    Ranges all = Ranges.of(0, Ranges.MAX_VALUE);
    assertThat(all.subtract(Ranges.of(5, Ranges.MAX_VALUE))).isEqualTo(Ranges.of(0, 4));
    assertThat(all.size()).isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(() -> Ranges.of(0, Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Long.toString(Long.MAX_VALUE));
  }

  @Example
  void minusKeepsAnIntervalThatCoversTwo() {
    // An interval of the subtrahend may span a gap and cover the next interval too.
    assertThat(Ranges.of(1, 2, 4, 5).minus(Ranges.of(2, 4))).isEqualTo(Ranges.of(1, 1, 5, 5));
    assertThat(Ranges.of(1, 2, 4, 5, 7, 9).minus(Ranges.of(0, 8))).isEqualTo(Ranges.of(9, 9));
  }
}
