package dev.agora.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar agora.jar}: the entry point; subcommands grow with the project. */
@Command(
    name = "agora",
    mixinStandardHelpOptions = true,
    versionProvider = AgoraCli.Version.class,
    description = "Agora: an embeddable Mesos-style cluster scheduler.",
    subcommands = {LocalCommand.class, MasterMain.class, AgentMain.class, AppsCommand.class, JobsCommand.class,
      HashSecretCommand.class, CommandLine.HelpCommand.class})
public final class AgoraCli {
  AgoraCli() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status (for tests). */
  public static int run(String... args) {
    return new CommandLine(new AgoraCli()).execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = AgoraCli.class.getPackage().getImplementationVersion();
      return new String[] {"agora " + (v != null ? v : "development")};
    }
  }
}
