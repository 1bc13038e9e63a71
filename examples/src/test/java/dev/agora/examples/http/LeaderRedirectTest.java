package dev.agora.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.core.coordination.LeaderElector;
import dev.agora.core.coordination.MasterDetector;
import dev.agora.core.master.Master;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.LeaderGate;
import dev.agora.core.transport.http.OperatorApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two HTTP masters on one shared in-memory election: the follower answers the scheduler API, the
 * operator API and {@code /state} with 307 to the leader (same path), or 503 while no leader is
 * known; its {@code /health} stays local. After the leader abdicates, the roles swap.
 */
class LeaderRedirectTest {
  /** One election in memory: the first candidate leads; {@link #abdicate} passes it to the next. */
  static final class SharedElection implements MasterDetector {
    private final List<Candidate> candidates = new ArrayList<>();
    private Candidate leader;

    synchronized LeaderElector candidate(Address address) {
      return new Candidate(address);
    }

    @Override
    public synchronized Optional<Address> leader() {
      return Optional.ofNullable(leader).map(c -> c.address);
    }

    @Override
    public void watch(Executor executor, Consumer<Optional<Address>> listener) {
      executor.execute(() -> listener.accept(leader()));
    }

    synchronized void abdicate() {
      Candidate old = leader;
      candidates.remove(old);
      leader = null;
      old.executor.execute(old.listener::notLeader);
    }

    synchronized void electNext() {
      leader = candidates.get(0);
      Candidate c = leader;
      c.executor.execute(() -> c.listener.isLeader(2));
    }

    final class Candidate implements LeaderElector {
      final Address address;
      Listener listener;
      Executor executor;

      Candidate(Address address) {
        this.address = address;
      }

      @Override
      public void start(Listener l, Executor e) {
        synchronized (SharedElection.this) {
          listener = l;
          executor = e;
          candidates.add(this);
          if (leader == null) {
            leader = this;
            e.execute(() -> l.isLeader(1));
          } else {
            e.execute(l::notLeader);
          }
        }
      }

      @Override
      public void close() {}
    }
  }

  final List<AutoCloseable> closing = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  Master master(SharedElection election, HttpTransport transport) {
    Master m = Master.builder().transport(transport).address(transport.address("master"))
        .allocator(HierarchicalAllocator.builder().build())
        .elector(election.candidate(transport.address("master"))).build();
    transport.serveSchedulerApi(m.address());
    OperatorApi.serve(transport, m);
    transport.leaderGate(LeaderGate.of(m::isLeading, election, m.address()));
    m.start();
    transport.start();
    closing.add(transport);
    closing.add(m);
    return m;
  }

  HttpResponse<String> post(HttpTransport t, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(t.baseUrl() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(HttpTransport t, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(t.baseUrl() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static final String SUBSCRIBE = "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":"
      + "{\"user\":\"root\",\"name\":\"redirected\"}}}";

  @Test
  void followerRedirectsToTheLeaderOrAnswers503WhenNoneIsKnown() throws Exception {
    SharedElection election = new SharedElection();
    HttpTransport ta = HttpTransport.builder().build();
    HttpTransport tb = HttpTransport.builder().build();
    Master a = master(election, ta);
    Master b = master(election, tb);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.isLeading() && !b.isLeading());

    HttpResponse<String> state = post(tb, "/api/v1", "{\"type\":\"GET_STATE\"}");
    assertThat(state.statusCode()).isEqualTo(307);
    assertThat(state.headers().firstValue("Location")).contains(ta.baseUrl() + "/api/v1");
    HttpResponse<String> subscribe = post(tb, "/api/v1/scheduler", SUBSCRIBE);
    assertThat(subscribe.statusCode()).isEqualTo(307);
    assertThat(subscribe.headers().firstValue("Location")).contains(ta.baseUrl() + "/api/v1/scheduler");
    assertThat(get(tb, "/state?jsonp=x").headers().firstValue("Location")).contains(ta.baseUrl() + "/state?jsonp=x");
    assertThat(get(tb, "/health").statusCode()).isEqualTo(503); // local: "not leading"
    // The leader serves; following the redirect reaches it.
    assertThat(post(ta, "/api/v1", "{\"type\":\"GET_STATE\"}").statusCode()).isEqualTo(200);
    HttpResponse<String> followed = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
        .send(HttpRequest.newBuilder(URI.create(tb.baseUrl() + "/api/v1")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"GET_HEALTH\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(followed.statusCode()).isEqualTo(200);
    assertThat(followed.uri().toString()).startsWith(ta.baseUrl());

    // No leader known: 503 from the follower, and the old leader (now a follower) too.
    election.abdicate();
    await().atMost(Duration.ofSeconds(10)).until(() -> !a.isLeading());
    assertThat(post(tb, "/api/v1", "{\"type\":\"GET_STATE\"}").statusCode()).isEqualTo(503);
    assertThat(post(ta, "/api/v1/scheduler", SUBSCRIBE).statusCode()).isEqualTo(503);

    // B is elected: A, which lost, redirects to B.
    election.electNext();
    await().atMost(Duration.ofSeconds(10)).until(b::isLeading);
    HttpResponse<String> toB = post(ta, "/api/v1", "{\"type\":\"GET_STATE\"}");
    assertThat(toB.statusCode()).isEqualTo(307);
    assertThat(toB.headers().firstValue("Location")).contains(tb.baseUrl() + "/api/v1");
    assertThat(post(tb, "/api/v1", "{\"type\":\"GET_STATE\"}").statusCode()).isEqualTo(200);
  }
}
