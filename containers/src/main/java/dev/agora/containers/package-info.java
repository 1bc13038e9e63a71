/**
 * Containerizers that run tasks as real processes: {@link dev.agora.containers.ProcessContainerizer}
 * (child processes, each container in its own session). Public types are the containerizers and
 * their builders; everything else is package-private. Parameters and results are non-null unless
 * marked.
 */
package dev.agora.containers;
