/**
 * State store I/O shared by the example services: {@link dev.agora.examples.store.StoreWriter}
 * runs a service's store operations off its loop, in order, and hands their outcomes back to the
 * loop.
 */
package dev.agora.examples.store;
