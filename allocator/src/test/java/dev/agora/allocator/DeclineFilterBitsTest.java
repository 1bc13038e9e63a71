package dev.agora.allocator;

import static dev.agora.allocator.Fixtures.agent;
import static dev.agora.allocator.Fixtures.agentInfo;
import static dev.agora.allocator.Fixtures.framework;
import static dev.agora.allocator.Fixtures.info;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import dev.agora.core.runtime.Simulation;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The decline filters' bits ({@link FilterTable}, indexed by {@link FrameworkState#index}) answer
 * only what the filters would: a removed framework's index comes back without its bit, an expired
 * filter's bit does not hold the offer back, one framework's bit does not block another.
 */
class DeclineFilterBitsTest {
  private static final AgentId A1 = agent("a1");
  private static final FrameworkId FA = framework("fa");
  private static final FrameworkId FB = framework("fb");
  private static final FrameworkId FC = framework("fc");
  private static final FrameworkId FX = framework("fx");
  private static final Filters FOREVER = new Filters(Duration.ofDays(365));

  private Simulation sim;
  private HierarchicalAllocator allocator;

  @BeforeEach
  void setUp() {
    sim = new Simulation(7);
    allocator = HierarchicalAllocator.builder().build();
    allocator.initialize(sim);
    allocator.addAgent(A1, agentInfo("a1.host", "cpus:4;mem:4096"), Resources.parse("cpus:4;mem:4096"), Map.of());
  }

  @AfterEach
  void invariantsHold() {
    allocator.checkInvariants();
  }

  private void addFramework(FrameworkId id) {
    allocator.addFramework(id, info(id.value(), "*"), Map.of(), true);
  }

  /** Allocates; the one offer must go to {@code expected}, which declines it with {@code filters}. */
  private void offeredTo(FrameworkId expected, Filters filters) {
    Allocation offer = allocator.allocate().get(0);
    assertThat(offer.frameworkId()).isEqualTo(expected);
    allocator.recoverResources(offer.frameworkId(), offer.agentId(), offer.resources(), Optional.of(filters));
  }

  @Test
  void aFilterOfOneFrameworkDoesNotBlockAnother() {
    addFramework(FA);
    addFramework(FB);
    offeredTo(FA, FOREVER);
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    addFramework(FC);

    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FC));
  }

  @Test
  void aRemovedFrameworksIndexComesBackWithoutItsFilter() {
    addFramework(FA);
    addFramework(FB);
    offeredTo(FA, FOREVER);
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    allocator.removeFramework(FA);
    addFramework(FC); // takes FA's index

    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FC));
  }

  @Test
  void aRemovedFrameworksIndexComesBackWithoutItsFilterWhileOthersAreLeft() {
    // Not every framework filtered the agent (fx is suppressed): the sorter's loop passes over the bits.
    addFramework(FA);
    addFramework(FB);
    addFramework(FX);
    allocator.suppressOffers(FX, Set.of());
    offeredTo(FA, FOREVER);
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    allocator.removeFramework(FA);
    addFramework(FC);

    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FC));
  }

  @Test
  void anExpiredFilterNoLongerHoldsTheOfferBackThoughOthersLive() {
    addFramework(FA);
    addFramework(FB);
    offeredTo(FA, Filters.refuseSeconds(5));
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    sim.advance(Duration.ofSeconds(5));

    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FA));
  }

  @Test
  void anExpiredFilterNoLongerHoldsTheOfferBackWhileAnotherFrameworkIsLeft() {
    addFramework(FA);
    addFramework(FB);
    addFramework(FX);
    allocator.suppressOffers(FX, Set.of());
    offeredTo(FA, Filters.refuseSeconds(5));
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    sim.advance(Duration.ofSeconds(5));

    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FA));
  }

  @Test
  void aFilterOfPartOfTheAgentDoesNotBlockAnOfferOfAllOfIt() {
    addFramework(FA);
    addFramework(FB);
    Allocation offer = allocator.allocate().get(0);
    assertThat(offer.frameworkId()).isEqualTo(FA);
    // fa keeps cpus:3;mem:3072 and refuses the rest: the agent's free resources are the very object filtered.
    Resources part = Resources.of(1, 1024);
    allocator.recoverResources(FA, A1, part, Optional.of(FOREVER));
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    allocator.recoverResources(FA, A1, Resources.of(3, 3072), Optional.of(Filters.NONE));

    // Both frameworks filtered cpus:1;mem:1024, which does not contain all of the agent.
    assertThat(allocator.allocate()).singleElement().satisfies(a -> {
      assertThat(a.frameworkId()).isEqualTo(FA);
      assertThat(a.resources()).isEqualTo(Resources.of(4, 4096));
    });
  }

  @Test
  void reviveDropsTheFrameworksBits() {
    addFramework(FA);
    addFramework(FB);
    offeredTo(FA, FOREVER);
    offeredTo(FB, FOREVER);
    assertThat(allocator.allocate()).isEmpty();

    allocator.reviveOffers(FB, Set.of());

    assertThat(allocator.allocate()).singleElement().satisfies(a -> assertThat(a.frameworkId()).isEqualTo(FB));
  }
}
