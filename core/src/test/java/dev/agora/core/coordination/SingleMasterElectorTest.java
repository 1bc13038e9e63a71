package dev.agora.core.coordination;

class SingleMasterElectorTest extends LeaderElectorContract {
  @Override
  protected LeaderElector newElector(String name) {
    return new SingleMasterElector();
  }

  @Override
  protected boolean supportsManyCandidates() {
    return false;
  }
}
