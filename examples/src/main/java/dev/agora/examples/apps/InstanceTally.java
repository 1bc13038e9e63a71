package dev.agora.examples.apps;

import java.util.Comparator;
import java.util.Optional;

/**
 * The apps scheduler's instance bookkeeping: which of an app's instances count toward it, which
 * are being replaced, the order to kill them in, and how many to launch; and the counts of one
 * app's instances that converging and launching need, taken in one pass over the instances
 * (instead of one stream per count): what counts toward the app, what serves, what is being
 * replaced for failing health checks, what runs the current config version, what is healthy and
 * ready.
 *
 * <p>Concurrency: a tally is a snapshot made and read on the scheduler's loop; it does not follow
 * later changes. The static helpers are pure.
 */
final class InstanceTally {
  /** Tracked instances (never terminal: the scheduler forgets those). */
  int tracked;
  /** Instances being killed. */
  int killing;
  /** {@link #counts}: alive, not being killed, not inactive-unreachable. */
  int counted;
  /** Counted and not {@link #replacing}: toward the app's target. */
  int serving;
  /** Counted and being replaced for failing their health checks. */
  int replacing;
  /** Counted and of the current config version. */
  int countedCurrent;
  /** Serving and of the current config version. */
  int servingCurrent;
  /** Tracked and of another config version (old instances of a rolling restart). */
  int old;
  /** Counted and healthy. */
  int healthy;
  /** Counted, healthy and ready. */
  int healthyReady;
  /** Counted, healthy, ready and of the current config version. */
  int currentHealthyReady;

  /** Counts {@code app}'s instances as of {@code nowNanos}. */
  static InstanceTally of(AppsScheduler.AppState app, long nowNanos) {
    InstanceTally t = new InstanceTally();
    boolean hc = app.hasHealthChecks();
    String current = app.configVersion;
    for (Instance i : app.instances.values()) {
      t.tracked++;
      boolean isCurrent = i.version.equals(current);
      if (!isCurrent) {
        t.old++;
      }
      if (i.killing) {
        t.killing++;
      }
      if (!counts(app, i, nowNanos)) {
        continue;
      }
      t.counted++;
      if (isCurrent) {
        t.countedCurrent++;
      }
      if (replacing(app, i)) {
        t.replacing++;
      } else {
        t.serving++;
        if (isCurrent) {
          t.servingCurrent++;
        }
      }
      if (i.healthy(hc)) {
        t.healthy++;
        if (i.ready) {
          t.healthyReady++;
          if (isCurrent) {
            t.currentHealthyReady++;
          }
        }
      }
    }
    return t;
  }

  /** How many instances {@code app} would launch, dependencies aside, given this tally of its instances. */
  int toLaunch(AppsScheduler.AppState app) {
    AppDefinition def = app.def;
    if (app.deployment.isEmpty() || app.deployment.get().action.equals("ScaleApplication")) {
      long room = replacing == 0 ? Long.MAX_VALUE : (long) def.instances() + overCapacity(def) - serving - replacing;
      return (int) Math.max(0, Math.min(def.instances() - serving, room));
    }
    // rolling replace
    int n = def.instances();
    int maxTotal = n + (int) Math.floor(n * def.upgradeStrategy().maximumOverCapacity() + 1e-9);
    return Math.max(0, Math.min(n - servingCurrent, maxTotal - tracked));
  }

  /** Instances that count toward the app: alive, not being killed, not inactive-unreachable. */
  static boolean counts(AppsScheduler.AppState app, Instance i, long nowNanos) {
    if (i.killing || i.state.isTerminal()) {
      return false;
    }
    if (i.unreachableSinceNanos.isPresent() && app.def.unreachableStrategy().enabled()) {
      long inactive = app.def.unreachableStrategy().inactiveAfterSeconds() * 1_000_000_000L;
      return nowNanos - i.unreachableSinceNanos.get() < inactive;
    }
    return true;
  }

  /**
   * Whether an instance is being replaced for failing its health check: the agent reported it
   * unhealthy and it will be killed after maxConsecutiveFailures (by its agent, which rate-limits
   * its health kills, or by the apps service within the app-wide limit of {@link HealthKills}).
   * Replace-before-kill: such an instance does not count toward the app's target, so its
   * replacement is launched at the first failure, before the kill; if it recovers it counts again
   * and the surplus is scaled down.
   */
  static boolean replacing(AppsScheduler.AppState app, Instance i) {
    return i.running() && i.healthy.equals(Optional.of(false)) && !app.def.healthChecks().isEmpty()
        && app.def.healthChecks().get(0).maxConsecutiveFailures() > 0;
  }

  /** Room over the target for replacements and rolling upgrades: maximumOverCapacity, at least 1. */
  private static int overCapacity(AppDefinition def) {
    return Math.max(1, (int) Math.floor(def.instances() * def.upgradeStrategy().maximumOverCapacity() + 1e-9));
  }

  /** Kill order: unhealthy/not running first, then by killSelection. */
  static Comparator<Instance> killOrder(AppDefinition def, boolean hc) {
    Comparator<Instance> age = Comparator.comparingLong(i -> i.launchSequence);
    if (def.killSelection() == AppDefinition.KillSelection.YOUNGEST_FIRST) {
      age = age.reversed();
    }
    return Comparator.<Instance, Boolean>comparing(i -> i.healthy(hc)).thenComparing(age);
  }

}
