package dev.agora.allocator;

import dev.agora.core.model.Resources;
import java.util.Arrays;

/**
 * What one framework holds in one role on one agent. It is linked from both sides: the agent
 * lists its holdings (a cycle at the agent finds them without a lookup by id) and the framework
 * lists its holdings per role (so that removing a framework visits only its agents).
 *
 * <p>The resources are kept as the pieces handed out, added up only when someone asks for the
 * sum: an offer on an agent where the framework already runs tasks then costs no {@link
 * Resources#add} (which merges port ranges), and taking back exactly a piece that was handed out
 * (the usual decline) costs no subtraction. Mutable; confined to the allocator's thread.
 *
 * <p>A holding that empties is kept by its agent as a spare and reused by the next one made
 * there ({@link #reuse}): a decline and the next offer of the agent then allocate nothing.
 *
 * <p>Invariants: {@code 1 <= n} while linked; no piece is empty; {@code indexInFramework} is the
 * holding's position in its framework's list for {@code role}.
 */
final class Holding {
  /** Pieces beyond this many are added up at once, so that a piece list stays short. */
  private static final int MAX_PIECES = 8;

  /** The holder and role; null while the holding is its agent's spare, set again when it is reused. */
  FrameworkState framework;
  String role;
  final AgentState agent;
  int indexInFramework;
  private Resources[] pieces;
  private int n;

  Holding(FrameworkState framework, String role, AgentState agent, Resources first) {
    this.framework = framework;
    this.role = role;
    this.agent = agent;
    this.pieces = new Resources[] {first, null};
    this.n = 1;
  }

  /** Makes this emptied holding the holding of {@code framework} in {@code role} with its first piece. */
  void reuse(FrameworkState framework, String role, Resources first) {
    if (n != 0) {
      throw new IllegalStateException("holding of " + this.framework.id + " on " + agent.id + " is still in use");
    }
    this.framework = framework;
    this.role = role;
    pieces[0] = first;
    n = 1;
  }

  /** Forgets the holder and role of this emptied holding (it becomes its agent's spare). */
  void forget() {
    if (n != 0) {
      throw new IllegalStateException("holding of " + framework.id + " on " + agent.id + " is still in use");
    }
    framework = null;
    role = null;
  }

  void add(Resources r) {
    if (n == MAX_PIECES) {
      sum();
    }
    if (n == pieces.length) {
      pieces = Arrays.copyOf(pieces, 2 * n);
    }
    pieces[n++] = r;
  }

  /** How many pieces it holds (0 once emptied). */
  int n() {
    return n;
  }

  /** Whether one piece is the very object {@code r}. */
  boolean hasPiece(Resources r) {
    return indexOf(r) >= 0;
  }

  private int indexOf(Resources r) {
    for (int i = 0; i < n; i++) {
      if (pieces[i] == r) {
        return i;
      }
    }
    return -1;
  }

  /** The sum of the pieces (which becomes the only piece). */
  Resources sum() {
    if (n > 1) {
      Resources s = pieces[0];
      for (int i = 1; i < n; i++) {
        s = s.add(pieces[i]);
        pieces[i] = null;
      }
      pieces[0] = s;
      n = 1;
    }
    return pieces[0];
  }

  /** Takes {@code r} away (it must be held); whether nothing is left. */
  boolean subtract(Resources r) {
    int i = indexOf(r);
    if (i >= 0) {
      pieces[i] = pieces[--n];
      pieces[n] = null;
      return n == 0;
    }
    Resources left = sum().subtract(r);
    if (left.isEmpty()) {
      n = 0;
      pieces[0] = null;
      return true;
    }
    pieces[0] = left;
    return false;
  }
}
