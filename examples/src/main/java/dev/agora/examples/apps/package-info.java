/**
 * The apps service: Marathon-style long-running services as a framework on Agora's SDK.
 *
 * <p>{@link dev.agora.examples.apps.AppsService} is the entry point (builder, start, close);
 * {@link dev.agora.examples.apps.AppsApi} is Marathon's {@code /v2} REST API independent of the
 * HTTP server; {@link dev.agora.examples.apps.AppParser} reads and validates Marathon app JSON.
 * Health checks run on the agents ({@code TaskInfo.healthCheck}); the service reads
 * {@code TaskStatus.healthy}.
 */
package dev.agora.examples.apps;
