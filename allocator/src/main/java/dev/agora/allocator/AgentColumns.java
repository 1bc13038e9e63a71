package dev.agora.allocator;

/**
 * What a full cycle's scan asks of every agent, column by column (indexed by the agent's slot in
 * the cycle order): whether it is active, has something free and has filters, the version at which
 * it was last found clean and when its earliest filter expires. The scan over 10,000 agents then
 * reads three short arrays in order instead of one object (and its filter table) per agent, most
 * of them cache misses. A copy of {@link AgentState}'s fields, written through by each agent
 * attached at a slot ({@link AgentState#attach}); mutable, confined to the allocator's thread.
 */
final class AgentColumns {
  static final byte ACTIVE = 1;
  static final byte HAS_FREE = 2;
  static final byte HAS_FILTERS = 4;

  final byte[] flags;
  final long[] cleanVersion;
  final long[] nextExpiry;

  AgentColumns(int agents) {
    flags = new byte[agents];
    cleanVersion = new long[agents];
    nextExpiry = new long[agents];
  }

  /** Whether the agent at {@code slot} would be skipped by {@link AgentState#clean} or for being inactive or full. */
  boolean skip(int slot, long version, long nowNanos) {
    byte f = flags[slot];
    if ((f & (ACTIVE | HAS_FREE)) != (ACTIVE | HAS_FREE)) {
      return true;
    }
    return cleanVersion[slot] == version && ((f & HAS_FILTERS) == 0 || nextExpiry[slot] - nowNanos > 0);
  }
}
