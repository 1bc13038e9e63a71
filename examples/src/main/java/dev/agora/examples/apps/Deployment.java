package dev.agora.examples.apps;

import java.time.Instant;
import java.util.Optional;

/**
 * A deployment of one app from one definition to another: start, scale, restart (rolling
 * replace) or stop. Touched only on the scheduler's loop.
 */
final class Deployment {
  final String id;
  final String appId;
  final Optional<AppDefinition> from;
  final AppDefinition to;
  final String action;
  final Instant startedAt;
  /** The config version instances had before this deployment (a rollback keeps them). */
  String fromConfigVersion = "";

  Deployment(String id, String appId, Optional<AppDefinition> from, AppDefinition to, String action, Instant startedAt) {
    this.id = id;
    this.appId = appId;
    this.from = from;
    this.to = to;
    this.action = action;
    this.startedAt = startedAt;
  }
}
