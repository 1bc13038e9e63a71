package dev.agora.core.placement;

import dev.agora.core.model.AttributeValue;
import dev.agora.core.model.Offer;
import dev.agora.core.model.Ranges;
import dev.agora.core.model.Resource;
import dev.agora.core.model.Resources;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The stock filters and scores; obtained through {@link Placement}. */
final class StockPlugins {
  private StockPlugins() {}

  /** The value of {@code field} on an agent: hostname or an attribute's text form. */
  static Optional<String> field(String field, String hostname, Map<String, AttributeValue> attributes) {
    if (field.equals("hostname") || field.equals("@hostname")) {
      return Optional.of(hostname);
    }
    String name = field.startsWith("@") ? field.substring(1) : field;
    AttributeValue v = attributes.get(name);
    return v == null ? Optional.empty() : Optional.of(v.asText());
  }

  /** What the accepted roles may use of {@code resources}. */
  static Resources usable(Resources resources, java.util.Set<String> acceptedRoles) {
    Resources out = Resources.EMPTY;
    for (String role : acceptedRoles) {
      out = out.add(role.equals(Resources.UNRESERVED) ? resources.unreserved() : resources.reservedTo(role));
    }
    return out;
  }

  /** Scalars and ports. */
  static final class ResourceFilter implements FilterPlugin {
    @Override
    public String name() {
      return "resources";
    }

    @Override
    public Status filter(Demand demand, Candidate candidate, List<PlacedTask> placed) {
      Resources usable = usable(candidate.available(), demand.acceptedRoles());
      Status s = check(demand, demand.scalars().names(), usable, demand.ports().isEmpty() ? Ranges.EMPTY
          : usable.ranges("ports"));
      return s == null ? Status.fit(name()) : s;
    }

    /**
     * The rejection of {@code demand} by an offer whose accepted-role resources are {@code usable},
     * or null when it fits; {@code names} are the demand's scalar names in text order, {@code ports}
     * the offered port ranges of {@code usable} (only read when the demand has ports).
     */
    Status check(Demand demand, Iterable<String> names, Resources usable, Ranges ports) {
      for (String name : names) {
        long need = demand.scalars().scalarMillis(name);
        long have = usable.scalarMillis(name);
        if (need > have) {
          return Status.unschedulable(name(), "insufficient " + name + ": need " + need / 1000.0
              + ", offered " + have / 1000.0 + " in roles " + new java.util.TreeSet<>(demand.acceptedRoles()));
        }
      }
      if (demand.ports().isEmpty()) {
        return null;
      }
      long any = 0;
      boolean anyFixed = false;
      for (int p : demand.ports()) {
        if (p == 0) {
          any++;
        } else if (!ports.contains(p)) {
          return Status.unschedulable(name(), "port " + p + " not offered (offered " + ports + ")");
        } else {
          anyFixed = true;
        }
      }
      long fixed = anyFixed ? demand.ports().stream().filter(p -> p != 0).distinct().count() : 0;
      if (ports.size() - fixed < any) {
        return Status.unschedulable(name(), "insufficient ports: need " + any + " more, offered " + ports);
      }
      return null;
    }
  }

  /** Every constraint of the demand. */
  static final class ConstraintFilter implements FilterPlugin {
    @Override
    public String name() {
      return "constraints";
    }

    @Override
    public Status filter(Demand demand, Candidate candidate, List<PlacedTask> placed) {
      Offer offer = candidate.offer();
      for (Constraint c : demand.constraints()) {
        Optional<String> reason = check(c, offer.hostname(), offer.attributes(), placed);
        if (reason.isPresent()) {
          return Status.unschedulable(name(), "constraint " + c + " not met: " + reason.get());
        }
      }
      return Status.fit(name());
    }

    static Optional<String> check(Constraint c, String hostname, Map<String, AttributeValue> attributes,
        List<PlacedTask> placed) {
      Optional<String> value = field(c.field(), hostname, attributes);
      if (value.isEmpty()) {
        return c.operator() == Constraint.Operator.UNLIKE ? Optional.empty()
            : Optional.of("agent " + hostname + " has no attribute '" + c.field() + "'");
      }
      String v = value.get();
      Map<String, Integer> counts = new HashMap<>();
      for (PlacedTask t : placed) {
        field(c.field(), t.hostname(), t.attributes()).ifPresent(x -> counts.merge(x, 1, Integer::sum));
      }
      int here = counts.getOrDefault(v, 0);
      switch (c.operator()) {
        case UNIQUE:
          return here == 0 ? Optional.empty() : Optional.of(c.field() + "=" + v + " already has an instance");
        case MAX_PER:
          return here < c.count() ? Optional.empty()
              : Optional.of(c.field() + "=" + v + " already has " + here + " instances");
        case CLUSTER: {
          Optional<String> target = c.value();
          if (target.isEmpty() && !placed.isEmpty()) {
            target = field(c.field(), placed.get(0).hostname(), placed.get(0).attributes());
          }
          return target.isEmpty() || target.get().equals(v) ? Optional.empty()
              : Optional.of(c.field() + "=" + v + ", want " + target.get());
        }
        case IS:
          return c.value().get().equals(v) ? Optional.empty()
              : Optional.of(c.field() + "=" + v + ", want " + c.value().get());
        case LIKE:
          return Pattern.matches(c.value().get(), v) ? Optional.empty()
              : Optional.of(c.field() + "=" + v + " does not match " + c.value().get());
        case UNLIKE:
          return !Pattern.matches(c.value().get(), v) ? Optional.empty()
              : Optional.of(c.field() + "=" + v + " matches " + c.value().get());
        case GROUP_BY: {
          int min = counts.size() < c.count() && !counts.containsKey(v) ? 0
              : counts.size() < c.count() ? 0
              : counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
          return here <= min ? Optional.empty()
              : Optional.of(c.field() + "=" + v + " has " + here + " instances, others have " + min);
        }
        default:
          throw new AssertionError(c.operator());
      }
    }
  }

  /** Prefers the fullest agents: fewer fragmented leftovers. */
  static final class BinPackScore implements ScorePlugin {
    @Override
    public String name() {
      return "bin-pack";
    }

    @Override
    public double score(Demand demand, Candidate candidate, List<PlacedTask> placed) {
      return 1.0 - freeFraction(candidate);
    }
  }

  /** Prefers the emptiest agents and those with fewest peers on the host. */
  static final class SpreadScore implements ScorePlugin {
    @Override
    public String name() {
      return "spread";
    }

    @Override
    public double score(Demand demand, Candidate candidate, List<PlacedTask> placed) {
      long peers = placed.stream().filter(t -> t.hostname().equals(candidate.offer().hostname())).count();
      return freeFraction(candidate) / (1 + peers);
    }
  }

  static double freeFraction(Candidate c) {
    double total = 0;
    int n = 0;
    for (String name : new String[] {"cpus", "mem"}) {
      double offered = c.offer().resources().scalar(name);
      if (offered > 0) {
        total += c.available().scalar(name) / offered;
        n++;
      }
    }
    return n == 0 ? 0 : total / n;
  }

  /** Takes the demand out of a candidate: scalars from the first accepted role with enough, ports lowest first. */
  static Reservation reserve(Demand demand, Candidate candidate) {
    return reserve(demand, candidate, usable(candidate.available(), demand.acceptedRoles()));
  }

  /** As {@link #reserve(Demand, Candidate)}, with the candidate's accepted-role resources already computed. */
  static Reservation reserve(Demand demand, Candidate candidate, Resources usable) {
    Resources.Builder taken = Resources.builder();
    for (String name : demand.scalars().names()) {
      long left = demand.scalars().scalarMillis(name);
      for (Resource r : usable) {
        if (left > 0 && r.name().equals(name) && r.value() instanceof Resource.Scalar s) {
          long use = Math.min(left, s.millis());
          taken.scalar(name, r.role(), use / 1000.0);
          left -= use;
        }
      }
    }
    java.util.List<Long> ports = new java.util.ArrayList<>();
    Map<String, Ranges> byRole = new java.util.LinkedHashMap<>();
    java.util.Set<Long> used = new java.util.HashSet<>();
    for (int p : demand.ports()) {
      if (p != 0) {
        used.add((long) p);
      }
    }
    for (int p : demand.ports()) {
      long port = p;
      if (p == 0) {
        port = -1;
        for (Resource r : usable) {
          if (r.name().equals("ports") && r.value() instanceof Resource.RangesValue rv) {
            Ranges free = rv.ranges();
            for (long u : used) {
              free = free.subtract(Ranges.of(u, u));
            }
            if (!free.isEmpty()) {
              port = free.take(1).begin(0);
              break;
            }
          }
        }
        if (port < 0) {
          throw new IllegalStateException("reserve called on a candidate without free ports");
        }
        used.add(port);
      }
      ports.add(port);
      for (Resource r : usable) {
        if (r.name().equals("ports") && r.value() instanceof Resource.RangesValue rv && rv.ranges().contains(port)) {
          byRole.merge(r.role(), Ranges.of(port, port), Ranges::add);
          break;
        }
      }
    }
    byRole.forEach((role, rs) -> taken.ranges("ports", role, rs));
    return new Reservation(candidate.offer(), taken.build(), ports);
  }
}
