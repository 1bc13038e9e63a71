package dev.agora.examples.cli;

import dev.agora.core.transport.http.CredentialsAuthenticator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agora hash-secret}: reads a secret on stdin and prints its hash for a credentials file. */
@Command(name = "hash-secret", mixinStandardHelpOptions = true,
    description = "Reads a secret (one line) on standard input and prints the secret_hash (or, with --token,"
        + " the token_sha256) to put in a credentials file. The secret is never taken as an argument.")
final class HashSecretCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--token", description = "Hash a bearer token (SHA-256) instead of a Basic secret (PBKDF2).")
  boolean token;

  @Override
  public Integer call() throws Exception {
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    if (line == null || line.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no secret on standard input");
    }
    spec.commandLine().getOut().println(token ? CredentialsAuthenticator.hashToken(line)
        : CredentialsAuthenticator.hashSecret(line));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
