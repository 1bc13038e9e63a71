package dev.agora.core.transport.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import dev.agora.core.model.ExecutorInfo;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Operation;
import dev.agora.core.model.Resource;
import dev.agora.core.model.Resources;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.security.Acls;
import dev.agora.core.security.Acls.Action;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Applies a transport's {@link Acls} to HTTP calls: each check throws a 403 {@link
 * Exchanges.HttpError} naming the principal, the action and the object, before the call has any
 * effect.
 *
 * <p>Concurrency: stateless.
 */
final class AclChecks {
  private AclChecks() {}

  /** The authenticated principal of the request, if any. */
  static Optional<String> principal(HttpExchange exchange) {
    HttpPrincipal p = exchange.getPrincipal();
    return p == null ? Optional.empty() : Optional.of(p.getUsername());
  }

  static void require(Acls acls, Optional<String> principal, Action action, Optional<String> object) {
    if (!acls.allows(action, principal, object)) {
      throw new Exchanges.HttpError(403, "principal " + principal.map(p -> "'" + Exchanges.MesosJsonClip.clip(p) + "'")
          .orElse("(none)") + " is not authorized to " + action.jsonName()
          + object.map(o -> " on '" + Exchanges.MesosJsonClip.clip(o) + "'").orElse(""));
    }
  }

  /** SUBSCRIBE: the framework's principal may register in each of its roles. */
  static void subscribe(Acls acls, Optional<String> principal, FrameworkInfo info) {
    for (String role : info.roles()) {
      require(acls, principal, Action.REGISTER_FRAMEWORKS, Optional.of(role));
    }
  }

  /** ACCEPT: each launch runs as an allowed user; each reservation is for an allowed role. */
  static void accept(Acls acls, Optional<String> principal, String frameworkUser, java.util.List<Operation> operations) {
    for (Operation op : operations) {
      if (op instanceof Operation.Launch l) {
        for (TaskInfo t : l.tasks()) {
          require(acls, principal, Action.RUN_TASKS, Optional.of(user(t, frameworkUser)));
        }
      } else if (op instanceof Operation.LaunchGroup g) {
        require(acls, principal, Action.RUN_TASKS, Optional.of(user(g.executor(), frameworkUser)));
        for (TaskInfo t : g.tasks()) {
          require(acls, principal, Action.RUN_TASKS, Optional.of(user(t, frameworkUser)));
        }
      } else if (op instanceof Operation.Reserve r) {
        roles(acls, principal, Action.RESERVE_RESOURCES, r.resources());
      } else if (op instanceof Operation.Unreserve u) {
        roles(acls, principal, Action.UNRESERVE_RESOURCES, u.resources());
      }
    }
  }

  /** The action for each role the resources are reserved for. */
  static void roles(Acls acls, Optional<String> principal, Action action, Resources resources) {
    Set<String> roles = new LinkedHashSet<>();
    for (Resource r : resources) {
      roles.add(r.role());
    }
    for (String role : roles) {
      require(acls, principal, action, Optional.of(role));
    }
  }

  private static String user(TaskInfo t, String frameworkUser) {
    return t.executor().map(e -> user(e, frameworkUser)).orElse(t.command().user().orElse(frameworkUser));
  }

  private static String user(ExecutorInfo e, String frameworkUser) {
    return e.command().user().orElse(frameworkUser);
  }
}
