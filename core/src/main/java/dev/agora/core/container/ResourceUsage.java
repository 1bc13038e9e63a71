package dev.agora.core.container;

import java.time.Duration;

/**
 * What a container uses now: a snapshot, taken when asked, for the operator API, metrics and
 * autoscaling.
 *
 * @param cpuTime the CPU time its processes have used (user and system), all of them since launch
 *     where the containerizer can tell (a cgroup), else those alive now
 * @param memoryBytes the memory in use now, in bytes (with page cache for a cgroup)
 * @param peakMemoryBytes the most memory it has used at once, in bytes, as far as the
 *     containerizer knows ({@code >= memoryBytes} where it tracks a peak)
 * @param processes how many processes it has now
 */
public record ResourceUsage(Duration cpuTime, long memoryBytes, long peakMemoryBytes, int processes) {
  /** Nothing used. */
  public static final ResourceUsage NONE = new ResourceUsage(Duration.ZERO, 0, 0, 0);

  public ResourceUsage {
    if (cpuTime == null || cpuTime.isNegative()) {
      throw new IllegalArgumentException("cpu time must be >= 0 but was " + cpuTime);
    }
    if (memoryBytes < 0 || peakMemoryBytes < 0 || processes < 0) {
      throw new IllegalArgumentException("memory " + memoryBytes + ", peak memory " + peakMemoryBytes
          + " and processes " + processes + " must be >= 0");
    }
  }
}
