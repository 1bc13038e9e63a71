package dev.agora.core.model;

import java.util.Locale;

/**
 * A machine in a maintenance schedule (Mesos {@code MachineID}): agents whose hostname equals
 * {@code hostname} (ignoring case), or equals {@code ip}, run on it. Immutable.
 *
 * @param hostname the machine's hostname, or empty
 * @param ip the machine's IP address, or empty; at least one of the two is set
 */
public record MachineId(String hostname, String ip) {
  public MachineId {
    if (hostname == null || ip == null) {
      throw new IllegalArgumentException("machine hostname and ip must not be null (use \"\")");
    }
    if (hostname.isBlank() && ip.isBlank()) {
      throw new IllegalArgumentException("a machine needs a hostname or an ip but both were empty");
    }
    hostname = hostname.toLowerCase(Locale.ROOT);
  }

  /** A machine named by its hostname. */
  public static MachineId of(String hostname) {
    return new MachineId(hostname, "");
  }

  /** Whether an agent reporting {@code agentHostname} runs on this machine. */
  public boolean matches(String agentHostname) {
    String h = agentHostname.toLowerCase(Locale.ROOT);
    return !hostname.isEmpty() && hostname.equals(h) || !ip.isEmpty() && ip.equals(agentHostname);
  }
}
