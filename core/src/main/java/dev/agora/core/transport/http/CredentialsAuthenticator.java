package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.MesosJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * HTTP authentication against a credentials file: HTTP Basic ({@code principal:secret}, the
 * secret stored as a salted PBKDF2 hash) and bearer tokens (stored as SHA-256). Comparisons are
 * constant-time; nothing secret is logged or echoed. The file is JSON:
 *
 * <pre>{@code
 * {"credentials": [{"principal": "marathon", "secret_hash": "pbkdf2-sha256$10000$<salt b64>$<hash b64>"}],
 *  "tokens":      [{"principal": "ops", "token_sha256": "<hex>"}]}
 * }</pre>
 *
 * <p>{@link #hashSecret} and {@link #hashToken} make the hashes ({@code agora hash-secret} on the
 * command line). {@code GET /health} stays open, as in Mesos.
 *
 * <p>Concurrency: immutable after construction; thread-safe.
 */
public final class CredentialsAuthenticator extends Authenticator {
  private static final String REALM = "agora";
  private static final String PBKDF2 = "pbkdf2-sha256";
  private static final int ITERATIONS = 10_000;
  private static final Set<String> OPEN_PATHS = Set.of("/health");

  private record Secret(byte[] salt, int iterations, byte[] hash) {}

  private record Token(String principal, byte[] sha256) {}

  private final Map<String, Secret> secrets;
  private final List<Token> tokens;
  /** Compared against when a principal is unknown, so that timing does not reveal which exist. */
  private final Secret decoy;

  private CredentialsAuthenticator(Map<String, Secret> secrets, List<Token> tokens) {
    this.secrets = Map.copyOf(secrets);
    this.tokens = List.copyOf(tokens);
    byte[] salt = new byte[16];
    this.decoy = new Secret(salt, ITERATIONS, pbkdf2("decoy".toCharArray(), salt, ITERATIONS));
  }

  /**
   * Reads a credentials file.
   *
   * @throws IllegalArgumentException naming the file and entry if it is malformed (never
   *     quoting a hash)
   */
  public static CredentialsAuthenticator fromFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read credentials file " + file + ": " + e.getMessage(), e);
    }
    JsonNode root;
    try {
      root = MesosJson.parse(bytes);
    } catch (CodecException e) {
      throw new IllegalArgumentException("credentials file " + file + " is not valid JSON", e);
    }
    Map<String, Secret> secrets = new HashMap<>();
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    for (JsonNode c : root.path("credentials")) {
      String principal = c.path("principal").asText("");
      String hash = c.path("secret_hash").asText("");
      if (principal.isEmpty() || principal.contains(":")) {
        throw new IllegalArgumentException("credentials file " + file + ": credentials[" + i
            + "] needs a principal without ':'");
      }
      secrets.put(principal, parseSecret(hash, file, i));
      i++;
    }
    i = 0;
    for (JsonNode t : root.path("tokens")) {
      String principal = t.path("principal").asText("");
      String hex = t.path("token_sha256").asText("");
      byte[] digest;
      try {
        digest = HexFormat.of().parseHex(hex);
      } catch (IllegalArgumentException e) {
        digest = new byte[0];
      }
      if (principal.isEmpty() || digest.length != 32) {
        throw new IllegalArgumentException("credentials file " + file + ": tokens[" + i
            + "] needs a principal and a 64-hex-digit token_sha256");
      }
      tokens.add(new Token(principal, digest));
      i++;
    }
    if (secrets.isEmpty() && tokens.isEmpty()) {
      throw new IllegalArgumentException("credentials file " + file + " has no credentials and no tokens");
    }
    return new CredentialsAuthenticator(secrets, tokens);
  }

  private static Secret parseSecret(String text, Path file, int i) {
    String[] parts = text.split("\\$");
    try {
      if (parts.length == 4 && parts[0].equals(PBKDF2)) {
        int iterations = Integer.parseInt(parts[1]);
        byte[] salt = Base64.getDecoder().decode(parts[2]);
        byte[] hash = Base64.getDecoder().decode(parts[3]);
        if (iterations >= 1000 && salt.length >= 8 && hash.length >= 16) {
          return new Secret(salt, iterations, hash);
        }
      }
    } catch (IllegalArgumentException e) {
      // fall through to the error below, which does not quote the value
    }
    throw new IllegalArgumentException("credentials file " + file + ": credentials[" + i
        + "].secret_hash must be " + PBKDF2 + "$<iterations>=1000..$<salt base64>$<hash base64>"
        + " (make one with 'agora hash-secret')");
  }

  /** A storable hash of {@code secret}: {@code pbkdf2-sha256$10000$<salt>$<hash>}. */
  public static String hashSecret(String secret) {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    byte[] hash = pbkdf2(secret.toCharArray(), salt, ITERATIONS);
    return PBKDF2 + "$" + ITERATIONS + "$" + Base64.getEncoder().encodeToString(salt) + "$"
        + Base64.getEncoder().encodeToString(hash);
  }

  /** A storable hash of a bearer token: SHA-256 in hex. */
  public static String hashToken(String token) {
    return HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] pbkdf2(char[] secret, byte[] salt, int iterations) {
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(secret, salt, iterations, 256)).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  @Override
  public Result authenticate(HttpExchange exchange) {
    if (OPEN_PATHS.contains(exchange.getRequestURI().getPath())) {
      return new Success(new HttpPrincipal("anonymous", REALM));
    }
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header != null) {
      if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
        String principal = checkBasic(header.substring(6).trim());
        if (principal != null) {
          return new Success(new HttpPrincipal(principal, REALM));
        }
      } else if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        String principal = checkToken(header.substring(7).trim());
        if (principal != null) {
          return new Success(new HttpPrincipal(principal, REALM));
        }
      }
    }
    exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
    return new Failure(401);
  }

  /** The principal if {@code encoded} (base64 of principal:secret) checks out, else null. */
  private String checkBasic(String encoded) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0) {
      return null;
    }
    String principal = decoded.substring(0, colon);
    char[] secret = decoded.substring(colon + 1).toCharArray();
    Secret stored = secrets.get(principal);
    Secret against = stored != null ? stored : decoy;
    byte[] hash = pbkdf2(secret, against.salt(), against.iterations());
    java.util.Arrays.fill(secret, '\0');
    boolean equal = MessageDigest.isEqual(hash, against.hash());
    return stored != null && equal ? principal : null;
  }

  private String checkToken(String token) {
    byte[] digest = sha256(token.getBytes(StandardCharsets.UTF_8));
    String found = null;
    for (Token t : tokens) {
      if (MessageDigest.isEqual(digest, t.sha256()) && found == null) {
        found = t.principal();
      }
    }
    return found;
  }
}
