package dev.agora.core.container;

/**
 * A running container.
 *
 * @param containerId the container
 * @param pid the operating-system pid of its top process (0 where there is none, as in a
 *     simulation)
 */
public record ContainerStatus(ContainerId containerId, long pid) {}
