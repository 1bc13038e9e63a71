package dev.agora.examples.http;

import dev.agora.core.framework.Scheduler;
import dev.agora.core.framework.SchedulerDriver;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.CommandInfo;
import dev.agora.core.model.Filters;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.transport.Address;
import dev.agora.core.transport.http.HttpSchedulerTransport;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * A framework in a JVM of its own, over the HTTP scheduler client, for
 * {@link MultiProcessClusterTest}: {@code <master-url> <agents> <long-task-host>}. It runs one
 * short task on each of the first {@code agents} hosts it is offered, then, once they finished, a
 * long task on {@code long-task-host}. It is partition-aware, and prints every update as
 * {@code UPDATE <task> <state> <reason>} and every lost agent as {@code FAILURE <agent>} on stdout.
 */
public final class FrameworkProcessMain implements Scheduler {
  private final int agents;
  private final String longHost;
  private final Set<String> launchedOn = new HashSet<>();
  private final Set<String> finished = new HashSet<>();
  private boolean longLaunched;

  private FrameworkProcessMain(int agents, String longHost) {
    this.agents = agents;
    this.longHost = longHost;
  }

  public static void main(String[] args) throws InterruptedException {
    String masterUrl = args[0];
    FrameworkProcessMain scheduler = new FrameworkProcessMain(Integer.parseInt(args[1]), args[2]);
    HttpSchedulerTransport transport = HttpSchedulerTransport.create();
    SchedulerDriver.builder().transport(transport).address(Address.of("framework-process"))
        .master(Address.of(masterUrl + "/master"))
        .framework(FrameworkInfo.builder("framework-process").user("root")
            .capability(FrameworkInfo.Capability.PARTITION_AWARE).build())
        .scheduler(scheduler).start();
    System.out.println("framework process started");
    System.out.flush();
    new CountDownLatch(1).await(); // until the test kills this JVM
  }

  private static void print(String line) {
    System.out.println(line);
    System.out.flush();
  }

  @Override
  public void subscribed(SchedulerDriver driver, FrameworkId frameworkId) {
    print("SUBSCRIBED " + frameworkId);
  }

  @Override
  public void offers(SchedulerDriver driver, List<Offer> offers) {
    for (Offer o : offers) {
      Resources need = Resources.parse("cpus:0.25;mem:32");
      if (launchedOn.size() < agents && launchedOn.add(o.hostname())) {
        driver.launch(o, List.of(TaskInfo.of(TaskId.of("echo-" + o.hostname()), o.agentId(), need,
            CommandInfo.shell("echo ran on " + o.hostname()))));
      } else if (!longLaunched && finished.size() == agents && o.hostname().equals(longHost)
          && o.resources().contains(need)) {
        longLaunched = true;
        driver.launch(o, List.of(TaskInfo.of(TaskId.of("long"), o.agentId(), need, CommandInfo.shell("sleep 120"))));
      } else {
        driver.decline(List.of(o.id()), Filters.refuseSeconds(1));
      }
    }
  }

  @Override
  public void update(SchedulerDriver driver, TaskStatus status) {
    if (status.state() == TaskState.FINISHED && status.taskId().value().startsWith("echo-")) {
      finished.add(status.taskId().value());
      if (finished.size() == agents) {
        driver.revive(Set.of());
      }
    }
    print("UPDATE " + status.taskId() + " " + status.state() + " " + status.reason().map(Enum::name).orElse("-"));
  }

  @Override
  public void failure(SchedulerDriver driver, AgentId agentId) {
    print("FAILURE " + agentId);
  }
}
