package dev.agora.examples.cluster;

import dev.agora.core.container.ContainerConfig;
import dev.agora.core.container.ContainerId;
import dev.agora.core.container.ContainerStatus;
import dev.agora.core.container.ContainerTermination;
import dev.agora.core.container.Containerizer;
import dev.agora.core.container.RecoverableContainer;
import dev.agora.core.container.SimulatedContainerizer;
import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.protocol.ExecutorCall;
import dev.agora.core.protocol.ExecutorEvent;
import dev.agora.core.protocol.Message;
import dev.agora.core.runtime.Simulation;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.Endpoint;
import dev.agora.core.transport.MessageHandler;
import dev.agora.core.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * Simulated framework executors for {@link SimCluster}: wraps an agent's simulated containerizer,
 * and when the agent starts an executor's container (its environment names
 * {@code MESOS_EXECUTOR_ID}), an in-process executor subscribes to the agent over the simulation's
 * transport, as an executor process would over HTTP. It reports each launched task RUNNING and each
 * killed task KILLED; tests finish tasks with {@link #finish}. Everything runs on simulation loops.
 */
final class SimExecutors {
  private final Simulation sim;
  private final Transport transport;
  /** Every executor started, by container id; an executor whose container ended stays, closed. */
  final Map<ContainerId, SimExecutor> executors = new LinkedHashMap<>();
  /** Whether new executors subscribe (false: they stay silent, as a hung executor). */
  boolean subscribe = true;

  SimExecutors(Simulation sim, Transport transport) {
    this.sim = sim;
    this.transport = transport;
  }

  /** An in-process executor. */
  final class SimExecutor implements MessageHandler {
    final ContainerId containerId;
    final FrameworkId frameworkId;
    final ExecutorId executorId;
    Address agent;
    final SimulatedContainerizer owner;
    final dev.agora.core.runtime.EventLoop loop;
    final Endpoint endpoint;
    final Map<TaskId, TaskState> tasks = new LinkedHashMap<>();
    final List<ExecutorEvent> events = new ArrayList<>();
    boolean open = true;

    SimExecutor(ContainerConfig config, Address self, SimulatedContainerizer owner) {
      this.owner = owner;
      this.containerId = config.containerId();
      this.frameworkId = FrameworkId.of(config.environment().get("MESOS_FRAMEWORK_ID"));
      this.executorId = ExecutorId.of(config.environment().get("MESOS_EXECUTOR_ID"));
      this.agent = Address.of(config.environment().get("AGORA_AGENT_URL"));
      this.loop = sim.newLoop(self.value());
      this.endpoint = transport.bind(self, loop, this);
    }

    /** Subscribes again, to a restarted agent at {@code address}. */
    void resubscribe(Address address) {
      agent = address;
      subscribe();
    }

    /** Subscribes again, to a restarted agent at {@code address}, listing updates it did not acknowledge. */
    void resubscribe(Address address, List<TaskStatus> unacknowledged) {
      agent = address;
      endpoint.link(agent);
      endpoint.send(agent, new ExecutorCall.Subscribe(frameworkId, executorId, List.of(), unacknowledged));
    }

    /** The updates sent, in order. */
    final List<TaskStatus> sent = new ArrayList<>();

    void subscribe() {
      endpoint.link(agent);
      endpoint.send(agent, new ExecutorCall.Subscribe(frameworkId, executorId));
    }

    @Override
    public void onMessage(Address from, Message message) {
      if (!(message instanceof ExecutorEvent event)) {
        return;
      }
      events.add(event);
      if (event instanceof ExecutorEvent.Launch l) {
        update(l.task().taskId(), TaskState.RUNNING);
      } else if (event instanceof ExecutorEvent.LaunchGroup g) {
        g.tasks().forEach(t -> update(t.taskId(), TaskState.RUNNING));
      } else if (event instanceof ExecutorEvent.Kill k) {
        update(k.taskId(), TaskState.KILLED);
      }
    }

    /** Reports a task's new state to the agent. */
    void update(TaskId taskId, TaskState state) {
      if (!open || tasks.getOrDefault(taskId, TaskState.STAGING).isTerminal()) {
        return;
      }
      tasks.put(taskId, state);
      TaskStatus status = TaskStatus.of(taskId, state, TaskStatus.Source.SOURCE_EXECUTOR, null, null, null,
          loop.clock().instant()).withUuid(new UUID(sim.random().nextLong(), sim.random().nextLong()));
      sent.add(status);
      endpoint.send(agent, new ExecutorCall.Update(frameworkId, executorId, status));
    }

    void close() {
      open = false;
      endpoint.close();
    }
  }

  /** Wraps {@code c}: launches of executor containers start a simulated executor. */
  Containerizer wrap(SimulatedContainerizer c) {
    return new Containerizer() {
      @Override
      public String name() {
        return c.name();
      }

      @Override
      public CompletionStage<ContainerStatus> launch(ContainerConfig config) {
        CompletionStage<ContainerStatus> launched = c.launch(config);
        if (config.environment().containsKey("MESOS_EXECUTOR_ID")) {
          SimExecutor e = new SimExecutor(config, Address.of("executor-" + config.containerId().value()), c);
          executors.put(config.containerId(), e);
          c.termination(config.containerId()).thenRun(e::close);
          if (subscribe) {
            e.subscribe();
          }
        }
        return launched;
      }

      @Override
      public CompletionStage<ContainerTermination> termination(ContainerId id) {
        return c.termination(id);
      }

      @Override
      public CompletionStage<Optional<ContainerTermination>> destroy(ContainerId id, Duration gracePeriod) {
        return c.destroy(id, gracePeriod);
      }

      @Override
      public CompletionStage<Set<ContainerId>> recover(List<RecoverableContainer> containers) {
        return c.recover(containers);
      }

      @Override
      public Set<ContainerId> containers() {
        return c.containers();
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  /** The live executors. */
  List<SimExecutor> live() {
    return executors.values().stream().filter(e -> e.open).toList();
  }

  /** Ends an executor's container as if its process exited with {@code exitCode}. */
  void exit(SimExecutor e, int exitCode) {
    e.owner.finish(TaskId.of(e.containerId.value()), exitCode);
  }
}
