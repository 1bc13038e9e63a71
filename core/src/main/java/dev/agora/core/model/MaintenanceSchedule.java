package dev.agora.core.model;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The cluster's maintenance schedule (Mesos {@code maintenance.Schedule}): windows of machine
 * unavailability; a machine appears in at most one window. Immutable.
 */
public record MaintenanceSchedule(List<MaintenanceWindow> windows) {
  /** No maintenance planned. */
  public static final MaintenanceSchedule EMPTY = new MaintenanceSchedule(List.of());

  public MaintenanceSchedule {
    windows = List.copyOf(windows);
    Set<MachineId> seen = new HashSet<>();
    for (MaintenanceWindow w : windows) {
      for (MachineId m : w.machines()) {
        if (!seen.add(m)) {
          throw new IllegalArgumentException("machine " + m + " appears in more than one maintenance window");
        }
      }
    }
  }

  /** Every machine scheduled. */
  public Set<MachineId> machines() {
    Set<MachineId> out = new HashSet<>();
    windows.forEach(w -> out.addAll(w.machines()));
    return out;
  }

  /** The window of the machine an agent with this hostname runs on, if it is scheduled. */
  public Optional<MaintenanceWindow> windowOf(String agentHostname) {
    for (MaintenanceWindow w : windows) {
      for (MachineId m : w.machines()) {
        if (m.matches(agentHostname)) {
          return Optional.of(w);
        }
      }
    }
    return Optional.empty();
  }
}
