package dev.agora.examples.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A store executor for simulations: runs work at once, or, while {@link #hold} is set, keeps it
 * until {@link #release()} or {@link #runHeld()}. Confined to the simulation's thread.
 */
public final class HeldExecutor implements Executor {
  /** The work held back, in the order given. */
  public final List<Runnable> held = new ArrayList<>();
  /** Whether work given now is held back. */
  public boolean hold;

  @Override
  public void execute(Runnable r) {
    if (hold) {
      held.add(r);
    } else {
      r.run();
    }
  }

  /** Stops holding, and runs what is held. */
  public void release() {
    hold = false;
    runHeld();
  }

  /** Runs what is held now; what it hands on meanwhile is held if {@link #hold} is still set. */
  public void runHeld() {
    List<Runnable> now = new ArrayList<>(held);
    held.clear();
    now.forEach(Runnable::run);
  }
}
