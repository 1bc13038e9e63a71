package dev.agora.core.transport.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS contexts from key stores (PKCS12 or JKS), for {@link HttpTransport.Builder#tls},
 * {@link HttpTransport.Builder#clientTls} and {@link HttpSchedulerTransport.Builder#tls}.
 * Errors name the file, never the password.
 *
 * <p>Concurrency: stateless.
 */
public final class Tls {
  private Tls() {}

  /** A server context presenting the key in {@code keystore}. */
  public static SSLContext server(Path keystore, char[] password) {
    try {
      KeyStore ks = load(keystore, password);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, password);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use key store " + keystore + ": " + e.getClass().getSimpleName(), e);
    }
  }

  /** A client context trusting the certificates in {@code truststore}. */
  public static SSLContext client(Path truststore, char[] password) {
    try {
      KeyStore ks = load(truststore, password);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use trust store " + truststore + ": " + e.getClass().getSimpleName(),
          e);
    }
  }

  /**
   * A context that both presents the key in {@code keystore} and trusts the certificates in
   * {@code truststore}: for a server that checks client certificates
   * ({@link HttpTransport.Builder#requireClientCertificates}) and for a client that presents one.
   */
  public static SSLContext mutual(Path keystore, char[] keystorePassword, Path truststore, char[] truststorePassword) {
    KeyManagerFactory kmf;
    try {
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(keystore, keystorePassword), keystorePassword);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use key store " + keystore + ": " + e.getClass().getSimpleName(), e);
    }
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load(truststore, truststorePassword));
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use trust store " + truststore + ": " + e.getClass().getSimpleName(),
          e);
    }
  }

  private static KeyStore load(Path file, char[] password) throws GeneralSecurityException {
    String type = file.toString().endsWith(".jks") ? "JKS" : "PKCS12";
    KeyStore ks = KeyStore.getInstance(type);
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, password);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read key store " + file + " (wrong password or not " + type + ")", e);
    }
    return ks;
  }
}
