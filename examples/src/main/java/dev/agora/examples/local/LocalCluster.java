package dev.agora.examples.local;

import dev.agora.allocator.HierarchicalAllocator;
import dev.agora.containers.ProcessContainerizer;
import dev.agora.core.agent.Agent;
import dev.agora.core.master.Master;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.Attributes;
import dev.agora.core.model.Resources;
import dev.agora.core.transport.Address;
import dev.agora.core.runtime.ThreadEventLoop;
import dev.agora.core.transport.InProcessTransport;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One master and N agents in one process, wired with the default backends (hierarchical DRF
 * allocator, process containerizer, in-process transport). Frameworks join through
 * {@link #transport()} and {@link #masterAddress()}. Each agent also serves the executor API
 * ({@code /api/v1/executor}) on a loopback port, so that frameworks may run executors of their own.
 *
 * <p>Closing it stops the agents (killing their tasks) and the master.
 */
public final class LocalCluster implements AutoCloseable {
  private final InProcessTransport transport = new InProcessTransport();
  private final Master master;
  private final List<Agent> agents = new ArrayList<>();
  private HttpTransport http;
  private ThreadEventLoop httpLoop;
  private final ThreadEventLoop executorLoop;
  private final List<HttpTransport> executorApis = new ArrayList<>();

  /**
   * Starts the cluster.
   *
   * @param agentCount how many agents
   * @param agentResources each agent's resources, in the Mesos text form
   * @param attributes each agent's attributes, e.g. {@code rack:r1}
   * @param workDir where agents put sandboxes
   */
  public LocalCluster(int agentCount, Resources agentResources, String attributes, Path workDir) {
    if (agentCount < 1) {
      throw new IllegalArgumentException("agents must be >= 1 but was " + agentCount);
    }
    master = Master.builder().transport(transport).allocator(HierarchicalAllocator.builder().build()).build().start();
    executorLoop = ThreadEventLoop.start("agora-local-executors");
    for (int i = 0; i < agentCount; i++) {
      // Framework executors are processes: each agent serves them the executor API over HTTP on
      // loopback, bridged to the agent on the in-process transport.
      Address address = Address.of("agent-" + i);
      HttpTransport executorApi = HttpTransport.builder().host("127.0.0.1").port(0).build();
      executorApi.serveExecutorApi(transport, address, executorLoop);
      executorApi.start();
      executorApis.add(executorApi);
      agents.add(Agent.builder().transport(transport).address(address).master(master.address())
          .info(new AgentInfo("agent-" + i + ".local", agentResources, Attributes.parse(attributes)))
          .containerizer(ProcessContainerizer.builder().build()).workDir(workDir.resolve("agent-" + i))
          .executorEndpoint(Address.of(executorApi.baseUrl() + "/agent")).build().start());
    }
  }

  /** The transport frameworks use to reach the master. */
  public InProcessTransport transport() {
    return transport;
  }

  /** The master's address. */
  public Address masterAddress() {
    return master.address();
  }

  /** The master. */
  public Master master() {
    return master;
  }

  /**
   * Serves the master's HTTP APIs (the Mesos v1 scheduler API, operator API, /health, /state,
   * /metrics) on {@code host:port} (0 for any free port) until the cluster closes.
   *
   * @throws java.io.UncheckedIOException if the port cannot be bound
   * @throws IllegalStateException if already serving
   */
  public synchronized HttpTransport serveHttp(String host, int port) {
    if (http != null) {
      throw new IllegalStateException("already serving on " + http.baseUrl());
    }
    http = HttpTransport.builder().host(host).port(port).build();
    httpLoop = ThreadEventLoop.start("agora-local-http");
    http.serveSchedulerApi(transport, master.address(), httpLoop);
    OperatorApi.serve(http, master);
    http.start();
    return http;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (http != null) {
        http.close();
        httpLoop.shutdown();
      }
    }
    agents.forEach(Agent::close);
    executorApis.forEach(HttpTransport::close);
    executorLoop.shutdown();
    master.close();
  }

  /** The base URL of agent {@code i}'s executor API ({@code /api/v1/executor}). */
  public String executorApiUrl(int i) {
    return executorApis.get(i).baseUrl();
  }
}
