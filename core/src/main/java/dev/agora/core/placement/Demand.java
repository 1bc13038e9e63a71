package dev.agora.core.placement;

import dev.agora.core.model.Resources;
import java.util.List;
import java.util.Set;

/**
 * What one instance needs: scalar resources, host ports and constraints.
 *
 * @param scalars scalar resources (cpus, mem, disk, gpus), unreserved form; role is chosen at Reserve
 * @param ports host ports: a 0 entry means any port from the offer, another value that exact port
 * @param constraints all must hold
 * @param acceptedRoles the reservation roles whose resources may be used ({@code "*"} = unreserved)
 */
public record Demand(Resources scalars, List<Integer> ports, List<Constraint> constraints, Set<String> acceptedRoles) {
  public Demand {
    if (scalars == null || ports == null || constraints == null || acceptedRoles == null) {
      throw new IllegalArgumentException("demand fields must not be null");
    }
    for (Integer p : ports) {
      if (p == null || p < 0 || p > 65535) {
        throw new IllegalArgumentException("demand port must be in 0..65535 but was " + p);
      }
    }
    if (acceptedRoles.isEmpty()) {
      throw new IllegalArgumentException("demand needs at least one accepted role (\"*\" for unreserved)");
    }
    ports = List.copyOf(ports);
    constraints = List.copyOf(constraints);
    acceptedRoles = Set.copyOf(acceptedRoles);
  }

  /** Scalars only, any port count 0, no constraints, unreserved resources. */
  public static Demand of(Resources scalars) {
    return new Demand(scalars, List.of(), List.of(), Set.of("*"));
  }
}
