package dev.agora.core.model;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Machines that will be unavailable together (Mesos {@code maintenance.Window}): from
 * {@code start} for {@code duration}. Immutable.
 */
public record MaintenanceWindow(List<MachineId> machines, Instant start, Duration duration) {
  public MaintenanceWindow {
    machines = List.copyOf(machines);
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(duration, "duration");
    if (machines.isEmpty()) {
      throw new IllegalArgumentException("a maintenance window needs at least one machine");
    }
    if (duration.isNegative()) {
      throw new IllegalArgumentException("maintenance window duration must be >= 0 but was " + duration);
    }
    Set<MachineId> seen = new HashSet<>();
    for (MachineId m : machines) {
      if (!seen.add(m)) {
        throw new IllegalArgumentException("machine " + m + " appears twice in a maintenance window");
      }
    }
  }
}
