package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.master.Master;
import dev.agora.core.master.MasterSnapshot;
import dev.agora.core.model.TaskId;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The operator API's {@code SUBSCRIBE}: a RecordIO stream that starts with {@code SUBSCRIBED}
 * (carrying the full {@code get_state}) and then reports changes as Mesos's {@code master::Event}s:
 * {@code AGENT_ADDED}, {@code AGENT_REMOVED}, {@code FRAMEWORK_ADDED}, {@code FRAMEWORK_UPDATED},
 * {@code FRAMEWORK_REMOVED}, {@code TASK_ADDED}, {@code TASK_UPDATED}, and {@code HEARTBEAT}s.
 * Changes are found by comparing successive snapshots taken every {@link #POLL_MILLIS} ms, so
 * short-lived intermediate states between two snapshots may be skipped (the latest is reported).
 *
 * <p>Concurrency: runs on the request's thread until the client hangs up or the master stops.
 */
final class OperatorEventStream {
  static final long POLL_MILLIS = 250;
  private static final long HEARTBEAT_MILLIS = 15_000;

  private final Master master;
  private final HttpExchange exchange;

  OperatorEventStream(Master master, HttpExchange exchange) {
    this.master = master;
    this.exchange = exchange;
  }

  private MasterSnapshot snapshot() throws InterruptedException {
    try {
      return master.snapshot().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    }
  }

  void run() throws IOException {
    MasterSnapshot previous;
    try {
      previous = snapshot();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (previous == null) {
      throw new Exchanges.HttpError(503, "the master is not running");
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0);
    LinkedBlockingQueue<Object> tick = new LinkedBlockingQueue<>();
    try (OutputStream out = exchange.getResponseBody()) {
      ObjectNode subscribed = event("SUBSCRIBED");
      ObjectNode body = subscribed.putObject("subscribed");
      body.set("get_state", OperatorApi.getState(previous));
      body.put("heartbeat_interval_seconds", HEARTBEAT_MILLIS / 1000.0);
      write(out, subscribed);
      long sinceHeartbeat = 0;
      while (true) {
        tick.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        sinceHeartbeat += POLL_MILLIS;
        MasterSnapshot now = snapshot();
        if (now == null) {
          return;
        }
        diff(previous, now, out);
        previous = now;
        if (sinceHeartbeat >= HEARTBEAT_MILLIS) {
          write(out, event("HEARTBEAT"));
          sinceHeartbeat = 0;
        }
      }
    } catch (IOException e) {
      // the operator hung up
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      exchange.close();
    }
  }

  private static ObjectNode event(String type) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    o.put("type", type);
    return o;
  }

  private static void write(OutputStream out, JsonNode event) throws IOException {
    out.write(RecordIo.frame(MesosJson.bytes(event)));
    out.flush();
  }

  private static void diff(MasterSnapshot before, MasterSnapshot after, OutputStream out) throws IOException {
    Map<String, MasterSnapshot.AgentView> oldAgents = new HashMap<>();
    before.agents().forEach(a -> oldAgents.put(a.id().value(), a));
    for (MasterSnapshot.AgentView a : after.agents()) {
      if (oldAgents.remove(a.id().value()) == null) {
        ObjectNode e = event("AGENT_ADDED");
        MasterSnapshot one = new MasterSnapshot(after.leading(), java.util.List.of(a), java.util.List.of(), 0);
        e.putObject("agent_added").set("agent", OperatorApi.getAgents(one).path("agents").get(0));
        write(out, e);
      }
    }
    for (MasterSnapshot.AgentView gone : oldAgents.values()) {
      ObjectNode e = event("AGENT_REMOVED");
      e.putObject("agent_removed").putObject("agent_id").put("value", gone.id().value());
      write(out, e);
    }
    Map<String, MasterSnapshot.FrameworkView> oldFrameworks = new HashMap<>();
    before.frameworks().forEach(f -> oldFrameworks.put(f.id().value(), f));
    Map<TaskId, MasterSnapshot.TaskView> oldTasks = new HashMap<>();
    before.frameworks().forEach(f -> f.tasks().forEach(t -> oldTasks.put(t.id(), t)));
    for (MasterSnapshot.FrameworkView f : after.frameworks()) {
      MasterSnapshot.FrameworkView was = oldFrameworks.remove(f.id().value());
      MasterSnapshot one = new MasterSnapshot(after.leading(), java.util.List.of(), java.util.List.of(f), 0);
      if (was == null || was.connected() != f.connected()) {
        ObjectNode e = event(was == null ? "FRAMEWORK_ADDED" : "FRAMEWORK_UPDATED");
        e.putObject(was == null ? "framework_added" : "framework_updated")
            .set("framework", OperatorApi.getFrameworks(one).path("frameworks").get(0));
        write(out, e);
      }
      JsonNode tasks = OperatorApi.getTasks(one).path("tasks");
      for (int i = 0; i < f.tasks().size(); i++) {
        MasterSnapshot.TaskView t = f.tasks().get(i);
        MasterSnapshot.TaskView old = oldTasks.get(t.id());
        if (old == null) {
          ObjectNode e = event("TASK_ADDED");
          e.putObject("task_added").set("task", tasks.get(i));
          write(out, e);
        } else if (old.state() != t.state()) {
          ObjectNode e = event("TASK_UPDATED");
          ObjectNode u = e.putObject("task_updated");
          u.putObject("framework_id").put("value", f.id().value());
          u.put("state", "TASK_" + t.state().name());
          u.putObject("status").put("state", "TASK_" + t.state().name())
              .set("task_id", tasks.get(i).get("task_id"));
          write(out, e);
        }
      }
    }
    for (MasterSnapshot.FrameworkView gone : oldFrameworks.values()) {
      ObjectNode e = event("FRAMEWORK_REMOVED");
      e.putObject("framework_removed").putObject("framework_info").putObject("id").put("value", gone.id().value());
      write(out, e);
    }
  }
}
