/**
 * Containerizers that run tasks as real processes: {@link dev.agora.containers.ProcessContainerizer}
 * (child processes, each container in its own session, no isolation) and
 * {@link dev.agora.containers.LinuxContainerizer} (a cgroup and namespaces per container, held to
 * its resources); {@link dev.agora.containers.Containerizers} picks one by name. Both run on one
 * package-private runtime (container table, threads, state machine) over an isolation. Public
 * types are the containerizers, their builders and the factory; everything else is
 * package-private. Parameters and results are non-null unless marked.
 */
package dev.agora.containers;
