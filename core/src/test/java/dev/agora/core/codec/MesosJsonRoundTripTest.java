package dev.agora.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.AttributeValue;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.HealthCheck;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Ranges;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.AgentMessage;
import dev.agora.core.protocol.SchedulerCall;
import dev.agora.core.protocol.SchedulerEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Every message survives encode, serialise to bytes, parse, decode unchanged. */
class MesosJsonRoundTripTest {

  @Property(tries = 300)
  void schedulerCallsRoundTrip(@ForAll("calls") SchedulerCall call) {
    JsonNode wire = MesosJson.parse(MesosJson.bytes(MesosJson.encodeCall(call)));
    assertThat(MesosJson.decodeCall(wire)).isEqualTo(call);
  }

  @Property(tries = 300)
  void schedulerEventsRoundTrip(@ForAll("events") SchedulerEvent event) {
    JsonNode wire = MesosJson.parse(MesosJson.bytes(MesosJson.encodeEvent(event)));
    assertThat(MesosJson.decodeEvent(wire)).contains(event);
  }

  @Property(tries = 300)
  void agentMessagesRoundTrip(@ForAll("agentMessages") AgentMessage message) {
    JsonNode wire = MesosJson.parse(MesosJson.bytes(MesosJson.encodeAgentMessage(message)));
    assertThat(MesosJson.decodeAgentMessage(wire)).isEqualTo(message);
  }

  // ------------------------------------------------------------------ generators

  static Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-', '_').ofMinLength(1).ofMaxLength(12)
        .filter(s -> Character.isLetter(s.charAt(0)));
  }

  static Arbitrary<String> text() {
    return Arbitraries.strings().ofMinLength(1).ofMaxLength(20).filter(s -> s.indexOf('\0') < 0 && !s.isBlank());
  }

  static Arbitrary<FrameworkId> frameworkIds() {
    return names().map(FrameworkId::of);
  }

  static Arbitrary<AgentId> agentIds() {
    return names().map(AgentId::of);
  }

  static Arbitrary<TaskId> taskIds() {
    return names().map(TaskId::of);
  }

  static Arbitrary<OfferId> offerIds() {
    return names().map(OfferId::of);
  }

  static Arbitrary<Duration> durations() {
    return Arbitraries.longs().between(0, 10_000_000).map(Duration::ofMillis);
  }

  static Arbitrary<String> roles() {
    return Arbitraries.of("*", "web", "batch", "a/b");
  }

  static Arbitrary<Resources> resources() {
    Arbitrary<Resources> scalars = Combinators.combine(Arbitraries.of("cpus", "mem", "disk", "gpus"), roles(),
        Arbitraries.longs().between(1, 10_000_000)).as((n, r, m) -> Resources.builder().scalar(n, r, m / 1000.0).build());
    Arbitrary<Resources> ranges = Combinators.combine(roles(), Arbitraries.longs().between(0, 60_000),
        Arbitraries.longs().between(0, 100)).as((r, b, len) -> Resources.builder().ranges("ports", r,
            Ranges.of(b, b + len)).build());
    Arbitrary<Resources> sets = Combinators.combine(roles(), names().set().ofMinSize(1).ofMaxSize(3))
        .as((r, items) -> Resources.builder().set("disks", r, items).build());
    return Arbitraries.oneOf(scalars, ranges, sets).list().ofMaxSize(4).map(list -> {
      Resources total = Resources.EMPTY;
      for (Resources r : list) {
        try {
          total = total.add(r);
        } catch (IllegalArgumentException overlapping) {
          // overlapping ranges or duplicate set items cannot be added; skip
        }
      }
      return total;
    });
  }

  static Arbitrary<Map<String, AttributeValue>> attributes() {
    Arbitrary<AttributeValue> value = Arbitraries.oneOf(
        names().map(AttributeValue.Text::new),
        Arbitraries.integers().between(-1000, 1000).map(i -> new AttributeValue.Scalar(i / 4.0)),
        Arbitraries.longs().between(0, 100).map(b -> new AttributeValue.RangesValue(Ranges.of(b, b + 3))),
        names().set().ofMinSize(1).ofMaxSize(3).map(s -> new AttributeValue.SetValue(new TreeSet<>(s))));
    return Arbitraries.maps(names(), value).ofMaxSize(3);
  }

  static Arbitrary<FrameworkInfo> frameworks() {
    return Combinators.combine(frameworkIds().optional(), text(), names(),
        Arbitraries.of("*", "web", "batch").set().ofMinSize(1).ofMaxSize(3), names().optional(), durations(),
        Arbitraries.of(true, false), Arbitraries.of(FrameworkInfo.Capability.class).set().ofMaxSize(3))
        .as((id, name, user, roles, principal, failover, checkpoint, caps) -> new FrameworkInfo(id, name, user,
            List.copyOf(new TreeSet<>(roles)), principal, failover, checkpoint,
            caps.isEmpty() ? Set.of() : EnumSet.copyOf(caps)));
  }

  static Arbitrary<CommandInfo> commands() {
    return Combinators.combine(Arbitraries.of(true, false), text(), text().list().ofMaxSize(3),
        Arbitraries.maps(names(), Arbitraries.strings().ofMaxLength(8).filter(s -> s.indexOf('\0') < 0)).ofMaxSize(2),
        names().optional())
        .as(CommandInfo::new);
  }

  static Arbitrary<TaskInfo> tasks() {
    return Combinators.combine(taskIds(), text(), agentIds(), resources(), commands(),
        Arbitraries.maps(names(), Arbitraries.strings().ofMaxLength(8)).ofMaxSize(2), durations().optional())
        .as(TaskInfo::new)
        .flatMap(t -> healthChecks().optional().map(h -> h.map(t::withHealthCheck).orElse(t)));
  }

  static Arbitrary<HealthCheck> healthChecks() {
    Arbitrary<Duration> seconds = Arbitraries.longs().between(0, 3_600_000).map(Duration::ofMillis);
    Arbitrary<Duration> positive = Arbitraries.longs().between(1, 3_600_000).map(Duration::ofMillis);
    return Combinators.combine(Arbitraries.of(HealthCheck.Type.class), Arbitraries.integers().between(1, 65535),
        Arbitraries.of("/", "/health", "/v1/ping?x=1"), seconds, positive, positive,
        Arbitraries.integers().between(0, 10), seconds)
        .as((type, port, path, delay, interval, timeout, failures, grace) -> new HealthCheck(type,
            type == HealthCheck.Type.COMMAND ? 0 : port, type == HealthCheck.Type.HTTP
                || type == HealthCheck.Type.HTTPS ? path : "/",
            type == HealthCheck.Type.COMMAND ? java.util.Optional.of("test -f ready") : java.util.Optional.empty(),
            delay, interval, timeout, failures, grace));
  }

  static Arbitrary<Instant> instants() {
    return Arbitraries.longs().between(0, 4_000_000_000_000_000L).map(us -> Instant.ofEpochSecond(us / 1_000_000,
        (us % 1_000_000) * 1000));
  }

  static Arbitrary<TaskStatus> statuses() {
    return Combinators.combine(taskIds(), Arbitraries.of(TaskState.class),
        Arbitraries.of(TaskStatus.Reason.class).optional(), text().optional(), Arbitraries.of(TaskStatus.Source.class),
        agentIds().optional(), Arbitraries.create(UUID::randomUUID).optional(), Arbitraries.of(true, false).optional())
        .flatAs((id, state, reason, message, source, agent, uuid, healthy) -> instants().map(t ->
            new TaskStatus(id, state, reason, message, source, agent, uuid, healthy, t)));
  }

  static Arbitrary<Offer> offers() {
    return Combinators.combine(offerIds(), frameworkIds(), agentIds(), names(), resources(), roles(), attributes())
        .as(Offer::new);
  }

  static Arbitrary<Filters> filtersArb() {
    return durations().map(Filters::new);
  }

  static Arbitrary<Operation> operations() {
    return Arbitraries.oneOf(tasks().list().ofMaxSize(2).map(Operation.Launch::new),
        resources().map(Operation.Reserve::new), resources().map(Operation.Unreserve::new));
  }

  @Provide
  Arbitrary<SchedulerCall> calls() {
    Arbitrary<FrameworkId> f = frameworkIds();
    return Arbitraries.oneOf(
        frameworks().map(SchedulerCall.Subscribe::new),
        f.map(SchedulerCall.Teardown::new),
        Combinators.combine(f, offerIds().list().ofMaxSize(3), operations().list().ofMaxSize(2), filtersArb())
            .as(SchedulerCall.Accept::new),
        Combinators.combine(f, offerIds().list().ofMaxSize(3), filtersArb()).as(SchedulerCall.Decline::new),
        Combinators.combine(f, offerIds().list().ofMaxSize(3), filtersArb()).as(SchedulerCall.AcceptInverseOffers::new),
        Combinators.combine(f, offerIds().list().ofMaxSize(3), filtersArb()).as(SchedulerCall.DeclineInverseOffers::new),
        Combinators.combine(f, roles().set().ofMaxSize(2)).as(SchedulerCall.Revive::new),
        Combinators.combine(f, roles().set().ofMaxSize(2)).as(SchedulerCall.Suppress::new),
        Combinators.combine(f, taskIds(), agentIds().optional(), durations().optional()).as(SchedulerCall.Kill::new),
        Combinators.combine(f, agentIds(), taskIds(), Arbitraries.create(UUID::randomUUID))
            .as(SchedulerCall.Acknowledge::new),
        Combinators.combine(f, Combinators.combine(taskIds(), agentIds().optional())
            .as(SchedulerCall.ReconcileTask::new).list().ofMaxSize(3)).as(SchedulerCall.Reconcile::new));
  }

  @Provide
  Arbitrary<SchedulerEvent> events() {
    return Arbitraries.oneOf(
        Combinators.combine(frameworkIds(), durations()).as(SchedulerEvent.Subscribed::new),
        offers().list().ofMaxSize(3).map(SchedulerEvent.Offers::new),
        offerIds().map(SchedulerEvent.Rescind::new),
        Combinators.combine(offerIds(), frameworkIds(), agentIds(), names(),
                Arbitraries.longs().between(0, 4_000_000_000_000_000_000L).map(ns -> java.time.Instant.ofEpochSecond(
                    ns / 1_000_000_000L, ns % 1_000_000_000L)), durations())
            .as(dev.agora.core.model.InverseOffer::new).list().ofMaxSize(3).map(SchedulerEvent.InverseOffers::new),
        offerIds().map(SchedulerEvent.RescindInverseOffer::new),
        statuses().map(SchedulerEvent.Update::new),
        agentIds().map(SchedulerEvent.Failure::new),
        text().map(SchedulerEvent.Error::new),
        Arbitraries.just(new SchedulerEvent.Heartbeat()));
  }

  @Provide
  Arbitrary<AgentMessage> agentMessages() {
    Arbitrary<AgentInfo> infos = Combinators.combine(names(), resources(), attributes()).as(AgentInfo::new);
    Arbitrary<AgentMessage.AgentTask> agentTasks = Combinators.combine(frameworkIds(), frameworks(), tasks(),
        Arbitraries.of(TaskState.class)).as(AgentMessage.AgentTask::new);
    Arbitrary<AgentMessage> unstamped = Arbitraries.oneOf(
        infos.map(AgentMessage.RegisterAgent::new),
        Combinators.combine(agentIds(), infos, agentTasks.list().ofMaxSize(2)).as(AgentMessage.ReregisterAgent::new),
        Combinators.combine(agentIds(), Arbitraries.longs().between(1, 100_000).map(Duration::ofMillis))
            .as(AgentMessage.AgentRegistered::new),
        Combinators.combine(frameworkIds(), frameworks(), tasks()).as(AgentMessage.RunTask::new),
        Combinators.combine(frameworkIds(), taskIds(), durations().optional()).as(AgentMessage.KillTask::new),
        frameworkIds().map(AgentMessage.ShutdownFramework::new),
        Combinators.combine(frameworkIds(), statuses()).as(AgentMessage.StatusUpdate::new),
        Combinators.combine(agentIds(), frameworkIds(), taskIds(), Arbitraries.create(UUID::randomUUID))
            .as(AgentMessage.StatusUpdateAcknowledgement::new),
        agentIds().map(AgentMessage.Ping::new),
        agentIds().map(AgentMessage.Pong::new),
        text().map(AgentMessage.ShutdownAgent::new));
    return Arbitraries.oneOf(unstamped,
        Combinators.combine(Arbitraries.longs().between(1, Long.MAX_VALUE), unstamped).as(AgentMessage.Stamped::new));
  }
}
