package dev.agora.examples.apps;

/**
 * The counts of one app's instances that converging and launching need, taken in one pass over
 * the instances (instead of one stream per count): what counts toward the app, what serves, what
 * is being replaced for failing health checks, what runs the current config version, what is
 * healthy and ready.
 *
 * <p>Concurrency: a snapshot made and read on the scheduler's loop; it does not follow later changes.
 */
final class InstanceTally {
  /** Tracked instances (never terminal: the scheduler forgets those). */
  int tracked;
  /** Instances being killed. */
  int killing;
  /** {@link AppsScheduler#counts}: alive, not being killed, not inactive-unreachable. */
  int counted;
  /** Counted and not {@link AppsScheduler#replacing}: toward the app's target. */
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
      if (!AppsScheduler.counts(app, i, nowNanos)) {
        continue;
      }
      t.counted++;
      if (isCurrent) {
        t.countedCurrent++;
      }
      if (AppsScheduler.replacing(app, i)) {
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
}
