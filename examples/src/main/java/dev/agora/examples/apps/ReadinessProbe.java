package dev.agora.examples.apps;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Answers one probe of a readiness check: the HTTP status code a GET of {@code uri} returns.
 * Marathon runs readiness checks itself (not on the agent) and only during deployments: a new
 * instance counts toward its deployment once the code is one of the check's
 * {@code httpStatusCodesForReady}.
 *
 * <p>Concurrency: called on the apps service's loop; must not block (complete the future
 * elsewhere). The service times a probe out after the check's {@code timeoutSeconds} on its own
 * clock and then cancels the future. A future completed exceptionally counts as not ready.
 */
@FunctionalInterface
public interface ReadinessProbe {
  /** Starts a GET of {@code uri}; completes with its status code. */
  CompletableFuture<Integer> get(URI uri, Duration timeout);

  /** Real HTTP through one shared {@link HttpClient} (redirects not followed). */
  static ReadinessProbe http() {
    HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    return (uri, timeout) -> client.sendAsync(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
  }
}
