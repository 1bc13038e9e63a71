package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.agora.core.codec.MesosJson;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The agent's sandbox file browser, in the shape of Mesos's {@code /files} endpoints:
 * {@code GET /files/browse?path=<dir>} lists a directory ({@code [{path, size, mode, mtime, nlink}]}),
 * {@code GET /files/read?path=<file>&offset=<n>&length=<n>} returns {@code {data, offset}} (with
 * {@code offset=-1}, the file's size and no data, as Mesos does). Paths are relative to the
 * agent's work directory; any path that resolves (symbolic links included) outside it is refused
 * with 403.
 *
 * <p>Concurrency: stateless; called on request threads.
 */
public final class SandboxFileBrowser implements HttpHandler {
  private static final int MAX_READ = 1 << 20;
  private final Path root;

  /** Serves files under {@code root}, which must exist. */
  public SandboxFileBrowser(Path root) {
    try {
      this.root = root.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("sandbox root " + root + " does not exist", e);
    }
  }

  /** Serves this browser under {@code /files} on {@code transport}. */
  public static void serve(HttpTransport transport, Path root) {
    transport.addHandler("/files", new SandboxFileBrowser(root));
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
      throw new Exchanges.HttpError(405, "use GET");
    }
    Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
    String path = q.get("path");
    if (path == null || path.isEmpty()) {
      throw new Exchanges.HttpError(400, "query parameter 'path' is required");
    }
    Path target = resolve(path);
    switch (exchange.getRequestURI().getPath()) {
      case "/files/browse" -> browse(exchange, target, path);
      case "/files/read" -> read(exchange, target, path, q);
      default -> throw new Exchanges.HttpError(404, "no such endpoint " + exchange.getRequestURI().getPath()
          + " (use /files/browse or /files/read)");
    }
  }

  /** The real path of {@code relative} under the root; 403 if it leaves it, 404 if absent. */
  Path resolve(String relative) {
    if (relative.indexOf('\0') >= 0) {
      throw new Exchanges.HttpError(400, "path contains a NUL");
    }
    String trimmed = relative.startsWith("/") ? relative.substring(1) : relative;
    Path candidate = root.resolve(trimmed).normalize();
    if (!candidate.startsWith(root)) {
      throw new Exchanges.HttpError(403, "path '" + Exchanges.MesosJsonClip.clip(relative) + "' is outside the sandbox");
    }
    try {
      Path real = candidate.toRealPath();
      if (!real.startsWith(root)) {
        throw new Exchanges.HttpError(403, "path '" + Exchanges.MesosJsonClip.clip(relative)
            + "' is outside the sandbox");
      }
      return real;
    } catch (NoSuchFileException e) {
      throw new Exchanges.HttpError(404, "no such file '" + Exchanges.MesosJsonClip.clip(relative) + "'");
    } catch (IOException e) {
      throw new Exchanges.HttpError(404, "cannot open '" + Exchanges.MesosJsonClip.clip(relative) + "'");
    }
  }

  private void browse(HttpExchange exchange, Path dir, String path) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new Exchanges.HttpError(400, "'" + Exchanges.MesosJsonClip.clip(path) + "' is not a directory");
    }
    ArrayNode out = MesosJson.mapper().createArrayNode();
    try (Stream<Path> files = Files.list(dir)) {
      files.sorted().forEach(p -> {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          ObjectNode o = out.addObject();
          o.put("path", "/" + root.relativize(p));
          o.put("size", a.size());
          o.put("mode", a.isDirectory() ? "drwxr-xr-x" : "-rw-r--r--");
          o.put("mtime", a.lastModifiedTime().toMillis() / 1000.0);
          o.put("nlink", 1);
        } catch (IOException ignored) {
          // a file that vanished while listing
        }
      });
    }
    Exchanges.sendJson(exchange, 200, out);
  }

  private void read(HttpExchange exchange, Path file, String path, Map<String, String> q) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new Exchanges.HttpError(400, "'" + Exchanges.MesosJsonClip.clip(path) + "' is not a file");
    }
    long offset = number(q, "offset", 0, Long.MAX_VALUE, -1);
    long length = number(q, "length", MAX_READ, MAX_READ, 0);
    ObjectNode o = MesosJson.mapper().createObjectNode();
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long size = f.length();
      if (offset == -1) {
        o.put("data", "");
        o.put("offset", size);
      } else {
        long start = Math.min(offset, size);
        int n = (int) Math.min(length, size - start);
        byte[] buf = new byte[n];
        f.seek(start);
        f.readFully(buf);
        o.put("data", new String(buf, StandardCharsets.UTF_8));
        o.put("offset", start);
      }
    }
    Exchanges.sendJson(exchange, 200, o);
  }

  private static long number(Map<String, String> q, String name, long dflt, long max, long min) {
    String v = q.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) {
        throw new Exchanges.HttpError(400, "query parameter '" + name + "' must be in " + min + ".." + max
            + " but was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new Exchanges.HttpError(400, "query parameter '" + name + "' must be an integer but was '"
          + Exchanges.MesosJsonClip.clip(v) + "'");
    }
  }

  static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new Exchanges.HttpError(400, "malformed query string");
      }
    }
    return out;
  }
}
