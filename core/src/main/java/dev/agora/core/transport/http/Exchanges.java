package dev.agora.core.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.agora.core.codec.CodecException;
import dev.agora.core.codec.MesosJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Helpers for JDK {@link HttpExchange}s: bounded body reading and plain answers. Public so that
 * other HTTP handlers (operator API, examples) answer in the same way.
 *
 * <p>Concurrency: stateless.
 */
public final class Exchanges {
  /** The largest request body accepted, 1 MiB. */
  public static final int MAX_BODY_BYTES = 1 << 20;

  private Exchanges() {}

  /** A request that must be answered with {@code status} and {@code message}. */
  public static final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    /** An error answer. */
    public HttpError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    /** The HTTP status. */
    public int status() {
      return status;
    }
  }

  /**
   * Reads the body, refusing one over {@link #MAX_BODY_BYTES} with 413 as soon as its length is
   * known to exceed it (from Content-Length, or while reading a chunked body).
   *
   * @throws HttpError 413 if too large, 400 if unreadable
   */
  public static byte[] body(HttpExchange exchange) {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      long n;
      try {
        n = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw new HttpError(400, "Content-Length '" + MesosJsonClip.clip(length) + "' is not a number");
      }
      if (n > MAX_BODY_BYTES) {
        throw new HttpError(413, "request body of " + n + " bytes exceeds the limit of " + MAX_BODY_BYTES + " bytes");
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int r;
      while ((r = in.read(buf)) >= 0) {
        if (out.size() + r > MAX_BODY_BYTES) {
          throw new HttpError(413, "request body exceeds the limit of " + MAX_BODY_BYTES + " bytes");
        }
        out.write(buf, 0, r);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new HttpError(400, "request body unreadable: " + e.getMessage());
    }
  }

  /** Parses the body as JSON; 400 naming what is wrong if it is not. */
  public static JsonNode json(HttpExchange exchange) {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw new HttpError(415, "Content-Type '" + MesosJsonClip.clip(type) + "' is not supported; send application/json");
    }
    byte[] body = body(exchange);
    try {
      return MesosJson.parse(body);
    } catch (CodecException e) {
      throw new HttpError(400, e.getMessage());
    }
  }

  /** Answers with a JSON document. */
  public static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = MesosJson.bytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    send(exchange, status, bytes);
  }

  /** Answers with plain text. */
  public static void sendText(HttpExchange exchange, int status, String text) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    send(exchange, status, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Answers with an empty body. */
  public static void sendEmpty(HttpExchange exchange, int status) throws IOException {
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  private static void send(HttpExchange exchange, int status, byte[] bytes) throws IOException {
    if (exchange.getRequestMethod().equalsIgnoreCase("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
    } else {
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
    exchange.close();
  }

  /** Answers an {@link HttpError}: its status and message as text. */
  public static void sendError(HttpExchange exchange, HttpError e) throws IOException {
    // Drain what is left of a small body so the connection can be reused; a large one is dropped.
    sendText(exchange, e.status(), e.getMessage());
  }

  /** A JSON object for error documents. */
  static ObjectNode errorJson(String message) {
    ObjectNode o = MesosJson.mapper().createObjectNode();
    o.put("message", message);
    return o;
  }

  /** Clips header values in messages. */
  static final class MesosJsonClip {
    private MesosJsonClip() {}

    static String clip(String s) {
      return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
  }
}
