package dev.agora.allocator;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.Resources;

/**
 * What the allocator knows of one agent. Mutable; confined to the allocator's thread.
 *
 * <p>Invariant: {@code allocated + free == total}; {@code allocated} is the sum of every
 * framework's allocation on this agent plus what frameworks not yet added use here.
 */
final class AgentState {
  final AgentId id;
  final Resources total;
  private Resources allocated = Resources.EMPTY;
  private Resources free;

  AgentState(AgentId id, Resources total) {
    this.id = id;
    this.total = total;
    this.free = total;
  }

  Resources allocated() {
    return allocated;
  }

  Resources free() {
    return free;
  }

  /** Moves {@code resources} from free to allocated; they must be free. */
  void allocate(Resources resources) {
    free = free.subtract(resources);
    allocated = allocated.add(resources);
  }

  /** Moves {@code resources} from allocated to free; they must be allocated. */
  void release(Resources resources) {
    allocated = allocated.subtract(resources);
    free = free.add(resources);
  }

  /** Whether {@code allocated + free == total}. */
  boolean consistent() {
    return allocated.add(free).equals(total);
  }
}
