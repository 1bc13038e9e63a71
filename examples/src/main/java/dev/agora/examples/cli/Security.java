package dev.agora.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agora.core.codec.MesosJson;
import dev.agora.core.transport.http.CredentialsAuthenticator;
import dev.agora.core.transport.http.HttpTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The security flags shared by {@code master} and {@code agent}. Errors never quote a secret. */
final class Security {
  private Security() {}

  /** Reads a password file's first line (the password is never a command-line argument). */
  static char[] password(CommandSpec spec, String option, Path file) {
    try {
      String line = Files.readAllLines(file).stream().findFirst().orElse("");
      return line.toCharArray();
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "cannot read " + option + " " + file);
    }
  }

  static void tls(CommandSpec spec, HttpTransport.Builder tb, Path keystore, Path keystorePassword, Path truststore,
      Path truststorePassword, boolean clientAuth) {
    if (!clientAuth) {
      tls(spec, tb, keystore, keystorePassword, truststore, truststorePassword);
      return;
    }
    if (keystore == null || truststore == null) {
      throw new ParameterException(spec.commandLine(), "--tls-client-auth needs --tls-keystore and --tls-truststore");
    }
    try {
      char[] kpw = keystorePassword != null ? password(spec, "--tls-keystore-password-file", keystorePassword)
          : new char[0];
      char[] tpw = truststorePassword != null ? password(spec, "--tls-truststore-password-file", truststorePassword)
          : new char[0];
      javax.net.ssl.SSLContext mutual = dev.agora.core.transport.http.Tls.mutual(keystore, kpw, truststore, tpw);
      tb.tls(mutual);
      tb.requireClientCertificates();
      tb.clientTls(mutual);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  static void tls(CommandSpec spec, HttpTransport.Builder tb, Path keystore, Path keystorePassword, Path truststore,
      Path truststorePassword) {
    try {
      if (keystore != null) {
        char[] pw = keystorePassword != null ? password(spec, "--tls-keystore-password-file", keystorePassword)
            : new char[0];
        tb.tls(dev.agora.core.transport.http.Tls.server(keystore, pw));
      }
      if (truststore != null) {
        char[] pw = truststorePassword != null ? password(spec, "--tls-truststore-password-file", truststorePassword)
            : new char[0];
        tb.clientTls(dev.agora.core.transport.http.Tls.client(truststore, pw));
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  static void configure(CommandSpec spec, HttpTransport.Builder tb, boolean authenticate, Path credentials,
      Path credential) {
    if (authenticate && credentials == null) {
      throw new ParameterException(spec.commandLine(), "--authenticate needs --credentials <file>");
    }
    if (authenticate) {
      tb.authenticator(CredentialsAuthenticator.fromFile(credentials));
    }
    if (credential != null) {
      JsonNode c;
      try {
        c = MesosJson.parse(Files.readAllBytes(credential));
      } catch (IOException | IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "cannot read --credential file " + credential
            + " as JSON {\"principal\": ..., \"secret\": ...}");
      }
      String principal = c.path("principal").asText("");
      String secret = c.path("secret").asText("");
      if (principal.isEmpty() || secret.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--credential file " + credential
            + " needs non-empty \"principal\" and \"secret\"");
      }
      tb.credentials(principal, secret);
    }
  }
}
