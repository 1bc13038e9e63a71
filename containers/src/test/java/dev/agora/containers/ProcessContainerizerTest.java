package dev.agora.containers;

import dev.agora.core.container.Containerizer;
import dev.agora.core.container.ContainerizerContract;

class ProcessContainerizerTest extends ContainerizerContract {
  @Override
  protected Containerizer newContainerizer() {
    return ProcessContainerizer.builder().build();
  }
}
