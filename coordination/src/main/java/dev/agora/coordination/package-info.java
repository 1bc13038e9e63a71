/**
 * High availability for Agora masters: {@link dev.agora.coordination.ZooKeeperCoordination}
 * (ZooKeeper leader election with fenced epochs, master detection from a {@code zk://} URL, a
 * chunked, fenced state store) and {@link dev.agora.coordination.StateStores#file} (a durable
 * state store in a local directory for a single master). Implementations are package-private;
 * the SPIs they implement live in {@code dev.agora.core.coordination}. See README.md in this
 * module for the ZooKeeper layout and how to wire it into a master, agent and scheduler driver.
 */
package dev.agora.coordination;
