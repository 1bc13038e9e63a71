package dev.agora.coordination;

import java.util.ArrayList;
import java.util.List;

/**
 * A ZooKeeper ensemble and the root path of one Agora cluster in it, parsed from a Mesos-style
 * URL: {@code zk://host1:2181,host2:2181/agora}. A host without a port gets 2181.
 *
 * @param hosts the {@code host:port} pairs, at least one
 * @param root the cluster's root path: starts with '/', no trailing '/', no empty segment
 */
public record ZooKeeperUrl(List<String> hosts, String root) {
  private static final String SCHEME = "zk://";

  /** Copies and checks the parts. */
  public ZooKeeperUrl {
    hosts = List.copyOf(hosts);
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("a ZooKeeper URL needs at least one host");
    }
    checkRoot(root, root);
  }

  /**
   * Parses {@code zk://host[:port][,host[:port]...]/path}.
   *
   * @throws IllegalArgumentException naming the offending part if the URL is not valid
   */
  public static ZooKeeperUrl parse(String url) {
    if (url == null || !url.startsWith(SCHEME)) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' must start with " + SCHEME);
    }
    String rest = url.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has no path (e.g. zk://host:2181/agora)");
    }
    String authority = rest.substring(0, slash);
    String path = rest.substring(slash);
    if (authority.contains("@")) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "': credentials '"
          + authority.substring(0, authority.indexOf('@')) + "' are not supported");
    }
    List<String> hosts = new ArrayList<>();
    for (String token : authority.split(",", -1)) {
      hosts.add(checkHost(token, url));
    }
    checkRoot(path, url);
    return new ZooKeeperUrl(hosts, path);
  }

  /** The hosts as ZooKeeper's connect string ({@code h1:2181,h2:2181}). */
  public String connectString() {
    return String.join(",", hosts);
  }

  @Override
  public String toString() {
    return SCHEME + connectString() + root;
  }

  private static String checkHost(String token, String url) {
    if (token.isBlank()) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has an empty host");
    }
    String host = token;
    String port = "2181";
    int colon = token.lastIndexOf(':');
    if (colon >= 0) {
      host = token.substring(0, colon);
      port = token.substring(colon + 1);
    }
    if (host.isEmpty() || !host.matches("[A-Za-z0-9._\\-\\[\\]:]+")) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has a bad host '" + token + "'");
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has a bad port in '" + token + "'", e);
    }
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has a port out of range in '" + token + "'");
    }
    return host + ":" + p;
  }

  private static void checkRoot(String path, String url) {
    if (path == null || path.length() < 2 || !path.startsWith("/") || path.endsWith("/") || path.contains("//")) {
      throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has a bad path '" + path
          + "' (a non-root path like /agora)");
    }
    for (String segment : path.substring(1).split("/")) {
      if (segment.equals(".") || segment.equals("..") || segment.equals("zookeeper") && path.startsWith("/zookeeper")) {
        throw new IllegalArgumentException("ZooKeeper URL '" + url + "' has a bad path segment '" + segment + "'");
      }
    }
  }
}
