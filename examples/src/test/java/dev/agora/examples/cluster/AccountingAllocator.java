package dev.agora.examples.cluster;

import dev.agora.core.allocation.Allocation;
import dev.agora.core.allocation.Allocator;
import dev.agora.core.model.AgentId;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.Resources;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Wraps an allocator and keeps its own books of what is allocated per agent and framework, from
 * the calls the master makes: allocations add, recovered resources subtract. It records a
 * violation when an agent's allocation would exceed its total or the master recovers more than
 * was allocated (a negative allocation). A dynamic proxy, so that methods added to the SPI later
 * pass straight through.
 */
final class AccountingAllocator {
  final List<String> violations = new ArrayList<>();
  /** Each allocation cycle the master ran: the agents it was given, or "all" for a full cycle. */
  final List<Object> cycles = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<AgentId, Resources> totals = new HashMap<>();
  private final Map<AgentId, Map<FrameworkId, Resources>> allocated = new HashMap<>();

  Allocator wrap(Allocator delegate) {
    return (Allocator) Proxy.newProxyInstance(Allocator.class.getClassLoader(), new Class<?>[] {Allocator.class},
        (proxy, method, args) -> {
          before(method.getName(), args);
          Object result;
          try {
            result = method.invoke(delegate, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          after(method.getName(), args, result);
          return result;
        });
  }

  private Resources sum(AgentId agent) {
    Resources s = Resources.EMPTY;
    for (Resources r : allocated.getOrDefault(agent, Map.of()).values()) {
      s = s.add(r);
    }
    return s;
  }

  @SuppressWarnings("unchecked")
  private synchronized void before(String name, Object[] args) {
    switch (name) {
      case "addAgent" -> {
        AgentId id = (AgentId) args[0];
        totals.put(id, (Resources) args[2]);
        Map<FrameworkId, Resources> used = new HashMap<>((Map<FrameworkId, Resources>) args[3]);
        allocated.put(id, used);
        check(id, "addAgent");
      }
      case "removeAgent" -> {
        totals.remove((AgentId) args[0]);
        allocated.remove((AgentId) args[0]);
      }
      case "addFramework" -> ((Map<AgentId, Resources>) args[2]).forEach((agent, r) -> {
        if (totals.containsKey(agent)) {
          allocated.get(agent).merge((FrameworkId) args[0], r, Resources::add);
          check(agent, "addFramework");
        }
      });
      case "removeFramework" -> allocated.values().forEach(m -> m.remove((FrameworkId) args[0]));
      case "recoverResources" -> {
        FrameworkId fw = (FrameworkId) args[0];
        AgentId agent = (AgentId) args[1];
        Resources r = (Resources) args[2];
        Map<FrameworkId, Resources> m = allocated.get(agent);
        if (m == null) {
          return; // the agent was removed: the allocator ignores it too
        }
        Resources held = m.getOrDefault(fw, Resources.EMPTY);
        if (!held.contains(r)) {
          violations.add("recovered " + r + " of " + fw + " on " + agent + " but it held only " + held);
          return;
        }
        Resources left = held.subtract(r);
        if (left.isEmpty()) {
          m.remove(fw);
        } else {
          m.put(fw, left);
        }
      }
      default -> { }
    }
  }

  @SuppressWarnings("unchecked")
  private synchronized void after(String name, Object[] args, Object result) {
    if (name.equals("allocate")) {
      cycles.add(args == null || args.length == 0 ? "all" : Set.copyOf((Set<?>) args[0]));
      for (Allocation a : (List<Allocation>) result) {
        Map<FrameworkId, Resources> m = allocated.get(a.agentId());
        if (m == null) {
          violations.add("allocated " + a.resources() + " on unknown agent " + a.agentId());
          continue;
        }
        m.merge(a.frameworkId(), a.resources(), Resources::add);
        check(a.agentId(), "allocate");
      }
    }
  }

  private void check(AgentId agent, String when) {
    Resources total = totals.get(agent);
    Resources used = sum(agent);
    if (!total.contains(used)) {
      violations.add(when + ": agent " + agent + " has " + used + " allocated of " + total);
    }
  }

  synchronized List<String> violations() {
    return List.copyOf(violations);
  }
}
