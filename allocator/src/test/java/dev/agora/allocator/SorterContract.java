package dev.agora.allocator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Sorter} keeps, whatever its order: bookkeeping, activation, weights
 * validation, snapshots and errors. An implementation's test extends this class.
 */
abstract class SorterContract {
  protected Sorter sorter;

  /** A new, empty sorter. */
  protected abstract Sorter newSorter();

  @BeforeEach
  void createSorter() {
    sorter = newSorter();
    sorter.addTotal(Resources.parse("cpus:10;mem:1000"));
  }

  @Test
  void sortListsActiveClientsOnly() {
    sorter.add("a");
    sorter.add("b");
    sorter.add("c");
    sorter.deactivate("b");
    assertThat(sorter.sort()).containsExactlyInAnyOrder("a", "c");
    assertThat(sorter.contains("b")).isTrue();
    sorter.activate("b");
    sorter.activate("b");
    assertThat(sorter.sort()).containsExactlyInAnyOrder("a", "b", "c");
  }

  @Test
  void allocationIsKeptAcrossDeactivationAndByQuantity() {
    sorter.add("a");
    sorter.allocated("a", Resources.parse("cpus(web):1;mem:10;ports:[1-2]"));
    sorter.deactivate("a");
    sorter.allocated("a", Resources.parse("cpus:1"));
    assertThat(sorter.allocation("a")).isEqualTo(Resources.parse("cpus:2;mem:10"));
    sorter.unallocated("a", Resources.parse("cpus:2"));
    assertThat(sorter.allocation("a")).isEqualTo(Resources.parse("mem:10"));
  }

  @Test
  void snapshotDoesNotChangeWhenTheSorterDoes() {
    sorter.add("a");
    sorter.add("b");
    List<String> before = sorter.sort();
    sorter.allocated(before.get(0), Resources.parse("cpus:5"));
    sorter.remove("b");
    assertThat(before).hasSize(2);
    assertThatThrownBy(() -> before.add("x")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void removeIsIdempotentAndForgetsTheAllocation() {
    sorter.add("a");
    sorter.allocated("a", Resources.parse("cpus:1"));
    sorter.remove("a");
    sorter.remove("a");
    assertThat(sorter.contains("a")).isFalse();
    assertThat(sorter.allocation("a")).isEqualTo(Resources.EMPTY);
    sorter.add("a");
    assertThat(sorter.allocation("a")).isEqualTo(Resources.EMPTY);
  }

  @Test
  void addingTwiceOrAnEmptyNameIsRejected() {
    sorter.add("a");
    assertThatThrownBy(() -> sorter.add("a")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'");
    assertThatThrownBy(() -> sorter.add("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknownClientsAreRejectedNamingThem() {
    assertThatThrownBy(() -> sorter.allocated("ghost", Resources.parse("cpus:1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ghost");
    assertThatThrownBy(() -> sorter.activate("ghost")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sorter.deactivate("ghost")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unallocatingMoreThanHeldIsRejectedWithoutEffect() {
    sorter.add("a");
    sorter.allocated("a", Resources.parse("cpus:1"));
    assertThatThrownBy(() -> sorter.unallocated("a", Resources.parse("cpus:2")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus:2");
    assertThat(sorter.allocation("a")).isEqualTo(Resources.parse("cpus:1"));
  }

  @Test
  void removingMoreThanTheTotalIsRejected() {
    assertThatThrownBy(() -> sorter.removeTotal(Resources.parse("cpus:11")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus:11");
    sorter.removeTotal(Resources.parse("cpus:10;mem:1000"));
  }

  @Test
  void badWeightsAreRejectedNamingTheValue() {
    sorter.add("a");
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> sorter.updateWeight("a", bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'a'")
          .hasMessageContaining(String.valueOf(bad));
    }
    sorter.updateWeight("not-yet-added", 3);
  }
}
