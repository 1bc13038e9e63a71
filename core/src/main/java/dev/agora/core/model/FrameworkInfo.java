package dev.agora.core.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
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
    Set<String> seen = new HashSet<>();
    for (String role : roles) {
      Roles.check(role);
      if (!seen.add(role)) {
        throw new IllegalArgumentException("framework '" + name + "' lists role '" + role + "' twice");
      }
    }
    if (failoverTimeout == null || failoverTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "framework '" + name + "' failover timeout must be >= 0 but was " + failoverTimeout);
    }
    if (id == null || principal == null || capabilities == null) {
      throw new IllegalArgumentException(
          "framework '" + name + "' id, principal and capabilities must not be null (use empty)");
    }
    principal.ifPresent(p -> {
      if (p.isBlank()) {
        throw new IllegalArgumentException("framework '" + name + "' principal must not be blank");
      }
    });
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

    /** The id the master assigned, when resubscribing after a failover. */
    public Builder id(FrameworkId value) {
      require(id == null, "id", id);
      if (value == null) {
        throw new IllegalArgumentException("framework id must not be null");
      }
      id = value;
      return this;
    }

    /** The unix user tasks run as; by default the current process user. */
    public Builder user(String value) {
      require(user == null, "user", user);
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("framework user must not be empty but was '" + value + "'");
      }
      user = value;
      return this;
    }

    /**
     * Adds a role; with none, the framework uses role {@code *}.
     *
     * @throws IllegalArgumentException if the role is invalid or already added
     */
    public Builder role(String value) {
      Roles.check(value);
      if (roles.contains(value)) {
        throw new IllegalArgumentException("role '" + value + "' was already added");
      }
      roles.add(value);
      return this;
    }

    /** The principal the framework authenticates as. */
    public Builder principal(String value) {
      require(principal == null, "principal", principal);
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("framework principal must not be empty but was '" + value + "'");
      }
      principal = value;
      return this;
    }

    /**
     * How long the master keeps the framework's tasks after it disconnects.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder failoverTimeout(Duration value) {
      require(failoverTimeout == null, "failoverTimeout", failoverTimeout);
      if (value == null || value.isNegative()) {
        throw new IllegalArgumentException("failover timeout must be >= 0 but was " + value);
      }
      failoverTimeout = value;
      return this;
    }

    /** Whether agents checkpoint the framework's tasks. */
    public Builder checkpoint(boolean value) {
      checkpoint = value;
      return this;
    }

    /** Declares a capability. */
    public Builder capability(Capability value) {
      if (value == null) {
        throw new IllegalArgumentException("capability must not be null");
      }
      capabilities.add(value);
      return this;
    }

    private static void require(boolean unset, String field, Object was) {
      if (!unset) {
        throw new IllegalStateException(field + " was already set to " + was);
      }
    }

    /** The framework info; see the record's constructor for what is checked. */
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
