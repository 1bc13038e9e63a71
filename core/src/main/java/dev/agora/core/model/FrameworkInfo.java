package dev.agora.core.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a framework tells the master when it subscribes.
 *
 * @param id the id assigned by the master, present when a framework resubscribes (failover)
 * @param name a human-readable name; not unique
 * @param user the unix user tasks run as when the command gives none
 * @param roles the roles the framework takes resources in, at least one
 * @param principal the identity it authenticates as, if any
 * @param failoverTimeout how long the master keeps the framework's tasks after it disconnects
 *     (Mesos default 0: torn down at once)
 * @param checkpoint whether agents checkpoint its tasks so they survive an agent restart
 * @param capabilities what the framework can handle, such as {@link Capability#PARTITION_AWARE}
 */
public record FrameworkInfo(
    Optional<FrameworkId> id,
    String name,
    String user,
    List<String> roles,
    Optional<String> principal,
    Duration failoverTimeout,
    boolean checkpoint,
    Set<Capability> capabilities) {

  /** Framework capabilities, as in Mesos's {@code FrameworkInfo.Capability.Type}. */
  public enum Capability {
    REVOCABLE_RESOURCES,
    TASK_KILLING_STATE,
    GPU_RESOURCES,
    SHARED_RESOURCES,
    PARTITION_AWARE,
    MULTI_ROLE,
    RESERVATION_REFINEMENT,
    REGION_AWARE
  }

  public FrameworkInfo {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("framework name must not be empty");
    }
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("framework user must not be empty");
    }
    if (roles == null || roles.isEmpty()) {
      throw new IllegalArgumentException("framework '" + name + "' must have at least one role");
    }
    for (String role : roles) {
      if (Resources.UNRESERVED.equals(role)) {
        continue;
      }
      Roles.check(role);
    }
    if (new LinkedHashSet<>(roles).size() != roles.size()) {
      throw new IllegalArgumentException("framework '" + name + "' lists a role twice: " + roles);
    }
    if (failoverTimeout == null || failoverTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "framework '" + name + "' failover timeout must be >= 0 but was " + failoverTimeout);
    }
    roles = List.copyOf(roles);
    capabilities = capabilities.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(capabilities));
  }

  /** Whether the framework declared {@code capability}. */
  public boolean has(Capability capability) {
    return capabilities.contains(capability);
  }

  /** A copy with the given id (the master assigns it at first subscription). */
  public FrameworkInfo withId(FrameworkId frameworkId) {
    return new FrameworkInfo(Optional.of(frameworkId), name, user, roles, principal, failoverTimeout,
        checkpoint, capabilities);
  }

  /** A builder with the given name; by default the current process user, role {@code *}, failover timeout 0. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builds a {@link FrameworkInfo}; each setter may be called once. */
  public static final class Builder {
    private final String name;
    private FrameworkId id;
    private String user;
    private final List<String> roles = new ArrayList<>();
    private String principal;
    private Duration failoverTimeout;
    private boolean checkpoint;
    private final Set<Capability> capabilities = EnumSet.noneOf(Capability.class);

    private Builder(String name) {
      this.name = name;
    }

    public Builder id(FrameworkId value) {
      require(id == null, "id", id);
      id = value;
      return this;
    }

    public Builder user(String value) {
      require(user == null, "user", user);
      user = value;
      return this;
    }

    /** Adds a role; with none, the framework uses role {@code *}. */
    public Builder role(String value) {
      roles.add(value);
      return this;
    }

    public Builder principal(String value) {
      require(principal == null, "principal", principal);
      principal = value;
      return this;
    }

    public Builder failoverTimeout(Duration value) {
      require(failoverTimeout == null, "failoverTimeout", failoverTimeout);
      failoverTimeout = value;
      return this;
    }

    public Builder checkpoint(boolean value) {
      checkpoint = value;
      return this;
    }

    public Builder capability(Capability value) {
      capabilities.add(value);
      return this;
    }

    private static void require(boolean unset, String field, Object was) {
      if (!unset) {
        throw new IllegalStateException(field + " was already set to " + was);
      }
    }

    public FrameworkInfo build() {
      return new FrameworkInfo(
          Optional.ofNullable(id),
          name,
          user != null ? user : System.getProperty("user.name", "root"),
          roles.isEmpty() ? List.of(Resources.UNRESERVED) : roles,
          Optional.ofNullable(principal),
          failoverTimeout != null ? failoverTimeout : Duration.ZERO,
          checkpoint,
          capabilities);
    }
  }
}
