package dev.agora.examples.apps;

import dev.agora.core.runtime.Cancellable;
import dev.agora.core.runtime.EventLoop;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Polls new instances' readiness checks during deployments (Marathon's readinessChecks; one per
 * app): a probe every intervalSeconds, each bounded by timeoutSeconds, until a code in
 * httpStatusCodesForReady answers (the instance is then {@code ready}) or the instance is gone.
 *
 * <p>Concurrency: on the scheduler's loop; the probe's answer is handed back to the loop.
 */
final class ReadinessChecks {
  private final EventLoop loop;
  /** The definition of an instance's app while the scheduler tracks the instance, else empty. */
  private final Function<Instance, Optional<AppDefinition>> definition;
  private final Runnable onReady;
  private ReadinessProbe readiness = (uri, timeout) -> CompletableFuture.completedFuture(200);

  ReadinessChecks(EventLoop loop, Function<Instance, Optional<AppDefinition>> definition, Runnable onReady) {
    this.loop = loop;
    this.definition = definition;
    this.onReady = onReady;
  }

  /** How to probe (HTTP by default in the service; tests script it). */
  void probe(ReadinessProbe probe) {
    this.readiness = probe;
  }

  /**
   * One probe of the instance's readiness check (Marathon supports one per app); again every
   * intervalSeconds until a code in httpStatusCodesForReady answers or the instance is gone.
   */
  void probe(Instance inst) {
    Optional<AppDefinition> tracked = definition.apply(inst);
    if (tracked.isEmpty() || inst.killing || inst.ready || tracked.get().readinessChecks().isEmpty()) {
      inst.readinessPolling = false;
      return;
    }
    AppDefinition def = tracked.get();
    AppDefinition.ReadinessCheck check = def.readinessChecks().get(0);
    int index = 0;
    for (int i = 0; i < def.portDefinitions().size(); i++) {
      if (def.portDefinitions().get(i).name().equals(Optional.of(check.portName()))) {
        index = i;
      }
    }
    if (index >= inst.ports.size()) {
      inst.ready = true; // no port to probe: do not hold the deployment forever
      onReady.run();
      return;
    }
    java.net.URI uri = java.net.URI.create(check.protocol().toLowerCase(java.util.Locale.ROOT) + "://" + inst.hostname
        + ":" + inst.ports.get(index) + (check.path().startsWith("/") ? check.path() : "/" + check.path()));
    Duration timeout = Duration.ofSeconds(check.timeoutSeconds());
    CompletableFuture<Integer> f;
    try {
      f = readiness.get(uri, timeout);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Integer> probe = f;
    boolean[] done = {false};
    Cancellable timer = loop.schedule(timeout, () -> {
      if (!done[0]) {
        done[0] = true;
        probe.cancel(true);
        loop.schedule(Duration.ofSeconds(check.intervalSeconds()), () -> probe(inst));
      }
    });
    probe.whenComplete((code, error) -> loop.execute(() -> {
      if (done[0]) {
        return;
      }
      done[0] = true;
      timer.cancel();
      if (error == null) {
        inst.lastReadinessStatus = Optional.of(code);
      }
      if (error == null && check.httpStatusCodesForReady().contains(code)) {
        inst.ready = true;
        inst.readinessPolling = false;
        onReady.run();
      } else {
        loop.schedule(Duration.ofSeconds(check.intervalSeconds()), () -> probe(inst));
      }
    }));
  }
}
