package dev.agora.core.container;

import dev.agora.core.model.HealthCheck;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The probes of {@link Containerizer#probe}'s default: on the host's network (127.0.0.1) and as a
 * child process of the agent, which is where the process containerizer's tasks are.
 *
 * <p>Concurrency: nothing blocks the caller (beyond forking a COMMAND probe): HTTP goes through an
 * asynchronous {@link HttpClient}, TCP through an {@link AsynchronousSocketChannel}, COMMAND waits
 * with {@link Process#onExit()}. Cancelling the returned future closes the socket or kills the
 * process. The caller owns the timeout.
 */
final class HealthProbes {
  private HealthProbes() {}

  /** One HTTP client for every probe of the JVM (a client holds a selector thread). */
  private static final class Clients {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
        .sslContext(trustAll()).build();

    private static SSLContext trustAll() {
      try {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, new TrustManager[] {new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        }}, new SecureRandom());
        return c;
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException("no TLS context for HTTPS health checks", e);
      }
    }
  }

  static CompletableFuture<Optional<String>> probe(ContainerConfig config, HealthCheck check) {
    return switch (check.type()) {
      case HTTP, HTTPS -> http(check);
      case TCP -> tcp(check);
      case COMMAND -> command(config, check);
    };
  }

  private static CompletableFuture<Optional<String>> http(HealthCheck check) {
    String scheme = check.type() == HealthCheck.Type.HTTPS ? "https" : "http";
    HttpRequest request = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + check.port() + check.path()))
        .timeout(check.timeout()).GET().build();
    return Clients.HTTP.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, error) -> {
      if (error != null) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        return Optional.of(scheme.toUpperCase(java.util.Locale.ROOT) + " GET " + check.path() + " on port "
            + check.port() + " failed: " + cause);
      }
      int code = response.statusCode();
      return code >= 200 && code < 400 ? Optional.<String>empty()
          : Optional.of(scheme.toUpperCase(java.util.Locale.ROOT) + " GET " + check.path() + " answered " + code);
    });
  }

  private static CompletableFuture<Optional<String>> tcp(HealthCheck check) {
    CompletableFuture<Optional<String>> out = new CompletableFuture<>();
    AsynchronousSocketChannel channel;
    try {
      channel = AsynchronousSocketChannel.open();
    } catch (IOException e) {
      return CompletableFuture.completedFuture(Optional.of("cannot open a socket: " + e));
    }
    out.whenComplete((r, e) -> close(channel));
    channel.connect(new InetSocketAddress("127.0.0.1", check.port()), null, new CompletionHandler<Void, Void>() {
      @Override
      public void completed(Void result, Void attachment) {
        out.complete(Optional.empty());
      }

      @Override
      public void failed(Throwable error, Void attachment) {
        out.complete(Optional.of("TCP connect to port " + check.port() + " failed: " + error));
      }
    });
    return out;
  }

  private static void close(AsynchronousSocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to do: the probe is over
    }
  }

  private static CompletableFuture<Optional<String>> command(ContainerConfig config, HealthCheck check) {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", check.command().orElseThrow())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Map<String, String> env = new LinkedHashMap<>(config.environment());
    env.putAll(config.task().command().environment());
    pb.environment().putAll(env);
    if (java.nio.file.Files.isDirectory(config.sandbox())) {
      pb.directory(config.sandbox().toFile());
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return CompletableFuture.completedFuture(Optional.of("cannot start the check command: " + e));
    }
    CompletableFuture<Optional<String>> out = p.onExit().thenApply(
        done -> done.exitValue() == 0 ? Optional.<String>empty()
            : Optional.of("command '" + check.command().get() + "' exited with " + done.exitValue()));
    out.whenComplete((r, e) -> {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    });
    return out;
  }
}
