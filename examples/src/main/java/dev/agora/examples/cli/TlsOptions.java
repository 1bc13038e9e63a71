package dev.agora.examples.cli;

import dev.agora.core.transport.http.HttpTransport;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The TLS options of {@code agora master} and {@code agora agent}, as a picocli mixin: both serve
 * and call HTTPS the same way. Passwords come from files, never from the command line.
 */
final class TlsOptions {
  @Option(names = "--tls-keystore", description = "Serve HTTPS with the key in this PKCS12 (or .jks) key store.")
  Path keystore;

  @Option(names = "--tls-keystore-password-file", description = "File whose first line is the key store password.")
  Path keystorePassword;

  @Option(names = "--tls-truststore", description = "Trust store for HTTPS peers (default: the JDK's).")
  Path truststore;

  @Option(names = "--tls-truststore-password-file", description = "File whose first line is the trust store password.")
  Path truststorePassword;

  @Option(names = "--tls-client-auth", description = "With --tls-keystore and --tls-truststore: refuse TLS"
      + " clients without a certificate the trust store trusts, and present the key store's certificate to peers.")
  boolean clientAuth;

  /** Sets up {@code tb}'s TLS from these options; a picocli parameter error names the bad option. */
  void apply(CommandSpec spec, HttpTransport.Builder tb) {
    Security.tls(spec, tb, keystore, keystorePassword, truststore, truststorePassword, clientAuth);
  }
}
