package dev.agora.examples.apps;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The app-wide limit on killing unhealthy instances (Marathon's "anti-snowball"): when an app's
 * instances fail their health checks because they are overloaded, killing them all at once moves
 * their load to the rest, which then fail too. Marathon kills an unhealthy instance only while
 * enough of the app stays healthy, by the app's {@code upgradeStrategy.minimumHealthCapacity}, and
 * only for apps whose minimumHealthCapacity is below 1 (with 1, no kill could ever keep it).
 *
 * <p>How it works here: for such an app the agent runs the health check but does not kill (the
 * TaskInfo's consecutiveFailures is 0; it still reports each change of health); the apps service
 * kills an instance that has been unhealthy for {@code (maxConsecutiveFailures - 1) x
 * intervalSeconds} since its first failed check (the agent reports the first failure and any
 * recovery, so that is when the agent would have killed it), and only
 *
 * <ul>
 *   <li>if at least {@code ceil(minimumHealthCapacity x instances)} instances are healthy (and not
 *       being killed) at that moment, and
 *   <li>if fewer than {@code max(1, instances - ceil(minimumHealthCapacity x instances))} instances
 *       of the app are already being killed for their health.
 * </ul>
 *
 * An instance held back stays unhealthy and is not counted toward the app (replace-before-kill
 * launches its replacement at its first failure); when the replacement becomes healthy, the kill
 * is allowed. Apps with minimumHealthCapacity 1 (the default) keep the agent-side kill, which
 * each agent rate-limits.
 *
 * <p>Concurrency: stateless; called on the scheduler's loop.
 */
final class HealthKills {
  private HealthKills() {}

  /** Whether the apps service, not the agent, kills {@code def}'s unhealthy instances. */
  static boolean appDecides(AppDefinition def) {
    return !def.healthChecks().isEmpty() && def.healthChecks().get(0).maxConsecutiveFailures() > 0
        && def.upgradeStrategy().minimumHealthCapacity() < 1;
  }

  /** How long after its first failed check an instance has failed maxConsecutiveFailures checks in a row. */
  static long failingNanos(AppDefinition def) {
    AppDefinition.HealthCheck h = def.healthChecks().get(0);
    return (h.maxConsecutiveFailures() - 1L) * h.intervalSeconds() * 1_000_000_000L;
  }

  /** The fewest healthy instances the app keeps while unhealthy ones are killed. */
  static int minimumHealthy(AppDefinition def) {
    return (int) Math.ceil(def.instances() * def.upgradeStrategy().minimumHealthCapacity() - 1e-9);
  }

  /** The most instances of the app killed for their health at once. */
  static int maximumAtOnce(AppDefinition def) {
    return Math.max(1, def.instances() - minimumHealthy(def));
  }

  /**
   * The app's unhealthy instances to kill now, longest unhealthy first, within the limits; empty
   * when the app's agent kills (see {@link #appDecides}).
   *
   * @param healthy the app's healthy instances not being killed, now
   */
  static List<Instance> due(AppsScheduler.AppState app, int healthy, long nowNanos) {
    AppDefinition def = app.def;
    if (!appDecides(def)) {
      return List.of();
    }
    long failing = failingNanos(def);
    int inFlight = 0;
    List<Instance> due = new ArrayList<>();
    for (Instance i : app.instances.values()) {
      if (i.killing) {
        if (i.healthKill) {
          inFlight++;
        }
      } else if (i.running() && i.unhealthySince && i.unreachableSinceNanos.isEmpty()
          && nowNanos - i.unhealthySinceNanos >= failing) {
        due.add(i);
      }
    }
    if (due.isEmpty() || healthy < minimumHealthy(def)) {
      return List.of();
    }
    due.sort(Comparator.comparingLong((Instance i) -> i.unhealthySinceNanos).thenComparingLong(i -> i.launchSequence));
    int room = Math.max(0, maximumAtOnce(def) - inFlight);
    return due.size() <= room ? due : due.subList(0, room);
  }

  /** Nanoseconds until {@code inst} (unhealthy now) is due for a kill, for a timer. */
  static long untilDue(AppDefinition def, Instance inst, long nowNanos) {
    return Math.max(0, inst.unhealthySinceNanos + failingNanos(def) - nowNanos);
  }
}
