package dev.agora.core.executor;

import dev.agora.core.model.ExecutorId;
import dev.agora.core.model.FrameworkId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Executor authentication tokens, as Mesos's {@code --executor_secret_key}: an agent that
 * authenticates its endpoints gives each executor it starts a token (in the environment variable
 * {@value #ENVIRONMENT_VARIABLE}) that names the executor's framework and executor ids and is
 * signed with the agent's secret key (HMAC-SHA256). The executor presents it as
 * {@code Authorization: Bearer <token>} on {@code /api/v1/executor}, where it proves who the caller
 * is: an executor may act only as itself.
 *
 * <p>The key lives in a file of the agent's work directory ({@link #inWorkDir}), so that executors
 * that outlive an agent restart keep valid tokens. Tokens are not secrets in logs' sense either:
 * never log one.
 *
 * <p>Concurrency: immutable and thread-safe.
 */
public final class ExecutorTokens {
  /** The environment variable that carries an executor's token (Mesos's name). */
  public static final String ENVIRONMENT_VARIABLE = "MESOS_EXECUTOR_AUTHENTICATION_TOKEN";
  private static final String ALGORITHM = "HmacSHA256";
  private static final int KEY_BYTES = 32;

  /** Whom a valid token names. */
  public record Claims(FrameworkId frameworkId, ExecutorId executorId) {}

  private final byte[] key;

  private ExecutorTokens(byte[] key) {
    if (key.length < 16) {
      throw new IllegalArgumentException("executor secret key must have at least 16 bytes but had " + key.length);
    }
    this.key = key.clone();
  }

  /**
   * Tokens signed with {@code key}.
   *
   * @throws IllegalArgumentException if the key is shorter than 16 bytes
   */
  public static ExecutorTokens withKey(byte[] key) {
    return new ExecutorTokens(Objects.requireNonNull(key, "key"));
  }

  /**
   * Tokens signed with the key in {@code workDir/executor_secret_key}, created (random, owner-only)
   * if missing. Blocking file I/O: call at start-up.
   *
   * @throws UncheckedIOException if the file cannot be read or written
   */
  public static ExecutorTokens inWorkDir(Path workDir) {
    Path file = workDir.resolve("executor_secret_key");
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(workDir);
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        Path tmp = workDir.resolve("executor_secret_key.tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp);
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: the work dir's own permissions guard it
        }
        Files.write(tmp, Base64.getEncoder().encode(key), StandardOpenOption.WRITE);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      return new ExecutorTokens(Base64.getDecoder().decode(Files.readString(file).trim()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the executor secret key " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("executor secret key " + file + " is malformed: " + e.getMessage(), e);
    }
  }

  /** A token for the executor {@code executorId} of {@code frameworkId}. */
  public String mint(FrameworkId frameworkId, ExecutorId executorId) {
    String claims = encode(frameworkId.value()) + "." + encode(executorId.value());
    return claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sign(claims));
  }

  /** Whom {@code token} names, if it is well-formed and signed with this key. */
  public Optional<Claims> verify(String token) {
    if (token == null) {
      return Optional.empty();
    }
    int last = token.lastIndexOf('.');
    int first = token.indexOf('.');
    if (first <= 0 || last <= first) {
      return Optional.empty();
    }
    String claims = token.substring(0, last);
    try {
      byte[] signature = Base64.getUrlDecoder().decode(token.substring(last + 1));
      if (!MessageDigest.isEqual(signature, sign(claims))) {
        return Optional.empty();
      }
      return Optional.of(new Claims(FrameworkId.of(decode(token.substring(0, first))),
          ExecutorId.of(decode(token.substring(first + 1, last)))));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String encode(String value) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String value) {
    return new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
  }

  private byte[] sign(String claims) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(key, ALGORITHM));
      return mac.doFinal(claims.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(ALGORITHM + " is not available", e);
    }
  }

  @Override
  public String toString() {
    return "ExecutorTokens[key hidden]";
  }
}
