/**
 * What the example services share to run as several instances with one leader:
 * {@link dev.agora.examples.ha.LeaderForwarder} relays an HTTP API call that reached a follower to
 * the leader. The apps service (Marathon's followers proxy) and the jobs service (Chronos'
 * followers forward) both use it.
 */
package dev.agora.examples.ha;
