package dev.agora.containers;

/**
 * The Linux containerizer's tests again, on the fallback launch path: the
 * {@code sh -> setsid -> unshare -> sh} chain, as where no C compiler is found to build the
 * native launcher.
 */
class LinuxContainerizerShellPathTest extends LinuxContainerizerTest {
  @Override
  protected LinuxContainerizer.Builder builder() {
    return LinuxContainerizer.builder().nativeLauncher(false);
  }

  @Override
  protected String expectedLaunchPath() {
    return "shell";
  }
}
