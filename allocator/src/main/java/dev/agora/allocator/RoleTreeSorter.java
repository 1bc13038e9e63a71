package dev.agora.allocator;

import dev.agora.core.allocation.Sorter;
import dev.agora.core.model.Resources;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Sorts hierarchical roles ({@code eng/web/frontend}) level by level, as Mesos's hierarchical
 * sorter does: the children of the root are ordered by the weighted share of their whole subtree,
 * then the children of the first of them, and so on, depth first. A role that has child roles and
 * is itself a client competes with its children as the virtual child {@code "."} of its node
 * (Mesos's "virtual leaf"), holding the role's own allocation and carrying the role's weight.
 *
 * <p>Each level is a plain {@link Sorter} from the factory (weighted DRF by default) over the
 * child segments of one node; every level's pool is the whole pool, so shares are comparable
 * across levels. A role's weight applies to its segment in its parent's level. A role without
 * child roles is a leaf: it has no level of its own, so a flat set of roles costs one sorter
 * update per allocation, as a flat sorter would.
 *
 * <p>Concurrency: confined to the allocator's thread; no locks.
 *
 * <p>Invariants (checked by {@link #checkInvariants()}):
 *
 * <ul>
 *   <li>a node exists exactly while it is a client or has child nodes; it has a level
 *       ({@code sorter}) exactly while it has child nodes (the root always has one);
 *   <li>a node's level holds each child's segment and {@code "."} while the node is a client;
 *   <li>a level's allocation of a child segment is the sum of the own allocations of the
 *       clients in that child's subtree, and of {@code "."} the node's own allocation;
 *   <li>a segment is active in its parent's level if the child has a level, or else (a leaf)
 *       if the client is active; {@code "."} is active if the node's client is.
 * </ul>
 *
 * <p>Ties are broken by segment name within each level, so that the order is deterministic;
 * {@code "."} sorts before any role name segment at an equal share.
 */
final class RoleTreeSorter implements Sorter {
  static final String SELF = ".";

  private final class Node {
    final String path;
    final String segment;
    final Node parent;
    final Map<String, Node> children = new HashMap<>();
    Sorter level; // null for a leaf
    boolean client;
    boolean active;

    Node(String path, String segment, Node parent) {
      this.path = path;
      this.segment = segment;
      this.parent = parent;
    }
  }

  private final Supplier<? extends Sorter> factory;
  private final Node root;
  private final Map<String, Node> nodes = new HashMap<>();
  private final Map<String, Double> weights = new HashMap<>();
  private final List<Node> levels = new ArrayList<>();
  private Resources total = Resources.EMPTY;
  private List<String> snapshot;
  /** The node last looked up (a one-entry cache for {@link #require}; checked to be a client still). */
  private Node last;

  RoleTreeSorter(Supplier<? extends Sorter> factory) {
    this.factory = factory;
    this.root = new Node("", "", null);
    root.level = newLevel();
    levels.add(root);
  }

  @Override
  public String name() {
    return root.level.name();
  }

  private Sorter newLevel() {
    Sorter s = factory.get();
    if (s == null) {
      throw new IllegalStateException("sorter factory returned null");
    }
    s.addTotal(total);
    return s;
  }

  @Override
  public void add(String client) {
    if (client.isEmpty()) {
      throw new IllegalArgumentException("sorter client must not be empty");
    }
    for (String segment : client.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(SELF)) {
        throw new IllegalArgumentException("role '" + client + "' has an empty or '.' segment");
      }
    }
    Node existing = nodes.get(client);
    if (existing != null && existing.client) {
      throw new IllegalArgumentException("sorter client '" + client + "' is already present");
    }
    Node n = ensureNode(client);
    n.client = true;
    n.active = true;
    if (n.level != null) {
      n.level.add(SELF);
      n.level.updateWeight(SELF, weight(n.path));
    } else {
      n.parent.level.activate(n.segment);
    }
    snapshot = null;
  }

  /** The node of {@code path}, created with its ancestors if missing (a new node is an inactive leaf). */
  private Node ensureNode(String path) {
    Node n = nodes.get(path);
    if (n != null) {
      return n;
    }
    int slash = path.lastIndexOf('/');
    Node parent = slash < 0 ? root : ensureNode(path.substring(0, slash));
    if (parent.level == null) {
      makeLevel(parent);
    }
    n = new Node(path, path.substring(slash + 1), parent);
    nodes.put(path, n);
    parent.children.put(n.segment, n);
    parent.level.add(n.segment);
    parent.level.updateWeight(n.segment, weight(path));
    parent.level.deactivate(n.segment); // a leaf that is not yet a client
    return n;
  }

  /** Turns leaf {@code n} into a node with a level: its own allocation moves to {@code "."}. */
  private void makeLevel(Node n) {
    Resources own = n.client ? n.parent.level.allocation(n.segment) : Resources.EMPTY;
    n.level = newLevel();
    levels.add(n);
    if (n.client) {
      n.level.add(SELF);
      n.level.updateWeight(SELF, weight(n.path));
      if (!own.isEmpty()) {
        n.level.allocated(SELF, own);
      }
      if (!n.active) {
        n.level.deactivate(SELF);
      }
    }
    n.parent.level.activate(n.segment);
  }

  @Override
  public void remove(String client) {
    Node n = nodes.get(client);
    if (n == null || !n.client) {
      return;
    }
    Resources own = allocation(client);
    if (!own.isEmpty()) {
      unallocated(client, own);
    }
    n.client = false;
    n.active = false;
    if (n.level != null) {
      n.level.remove(SELF);
    }
    prune(n);
    snapshot = null;
  }

  /** Removes {@code n} and then its ancestors while they are neither clients nor parents. */
  private void prune(Node n) {
    while (n != root && !n.client && n.children.isEmpty()) {
      if (n.level != null) {
        levels.remove(n);
        n.level = null;
      }
      Node parent = n.parent;
      parent.children.remove(n.segment);
      parent.level.remove(n.segment);
      nodes.remove(n.path);
      if (parent != root && parent.children.isEmpty() && parent.client) {
        // The parent becomes a leaf again: its "." allocation is its own, already counted above.
        levels.remove(parent);
        parent.level = null;
        if (!parent.active) {
          parent.parent.level.deactivate(parent.segment);
        }
      }
      n = parent;
    }
  }

  @Override
  public boolean contains(String client) {
    Node n = nodes.get(client);
    return n != null && n.client;
  }

  @Override
  public void activate(String client) {
    Node n = require(client);
    if (!n.active) {
      n.active = true;
      if (n.level != null) {
        n.level.activate(SELF);
      } else {
        n.parent.level.activate(n.segment);
      }
      snapshot = null;
    }
  }

  @Override
  public void deactivate(String client) {
    Node n = require(client);
    if (n.active) {
      n.active = false;
      if (n.level != null) {
        n.level.deactivate(SELF);
      } else {
        n.parent.level.deactivate(n.segment);
      }
      snapshot = null;
    }
  }

  @Override
  public void updateWeight(String client, double weight) {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException(
          "weight of '" + client + "' must be positive and finite but was " + weight);
    }
    weights.put(client, weight);
    Node n = nodes.get(client);
    if (n != null) {
      n.parent.level.updateWeight(n.segment, weight);
      if (n.level != null && n.client) {
        n.level.updateWeight(SELF, weight);
      }
    }
    snapshot = null;
  }

  private double weight(String path) {
    return weights.getOrDefault(path, 1.0);
  }

  @Override
  public void addTotal(Resources resources) {
    Resources q = DrfSorter.quantities(resources);
    for (Node n : levels) {
      n.level.addTotal(q);
    }
    total = total.add(q);
    snapshot = null;
  }

  @Override
  public void removeTotal(Resources resources) {
    Resources q = DrfSorter.quantities(resources);
    if (!total.contains(q)) {
      throw new IllegalArgumentException("cannot remove " + q + " from the sorter's total " + total);
    }
    for (Node n : levels) {
      n.level.removeTotal(q);
    }
    total = total.subtract(q);
    snapshot = null;
  }

  // A client's own allocation is not kept here: it is its "." entry in its own level, or (a leaf)
  // its segment's entry in its parent's level. The levels count quantities only.

  @Override
  public void allocated(String client, Resources resources) {
    Node n = require(client);
    if (n.level != null) {
      n.level.allocated(SELF, resources);
    }
    for (Node c = n; c != root; c = c.parent) {
      c.parent.level.allocated(c.segment, resources);
    }
    snapshot = null;
  }

  @Override
  public void unallocated(String client, Resources resources) {
    Node n = require(client);
    // The first call checks the client's own allocation and throws before anything changed.
    if (n.level != null) {
      n.level.unallocated(SELF, resources);
    }
    for (Node c = n; c != root; c = c.parent) {
      c.parent.level.unallocated(c.segment, resources);
    }
    snapshot = null;
  }

  @Override
  public Resources allocation(String client) {
    Node n = nodes.get(client);
    if (n == null || !n.client) {
      return Resources.EMPTY;
    }
    return n.level != null ? n.level.allocation(SELF) : n.parent.level.allocation(n.segment);
  }

  @Override
  public List<String> sort() {
    if (snapshot == null) {
      List<String> out = new ArrayList<>();
      visit(root, role -> {
        out.add(role);
        return false;
      });
      snapshot = Collections.unmodifiableList(out);
    }
    return snapshot;
  }

  @Override
  public boolean visit(Predicate<String> visitor) {
    if (levels.size() == 1) {
      // Flat roles only: every child of the root is a leaf whose segment is its path.
      return root.level.visit(visitor);
    }
    return visit(root, visitor);
  }

  private boolean visit(Node node, Predicate<String> visitor) {
    return node.level.visit(segment -> {
      if (segment.equals(SELF)) {
        return visitor.test(node.path);
      }
      Node child = node.children.get(segment);
      return child.level == null ? visitor.test(child.path) : visit(child, visitor);
    });
  }

  private Node require(String client) {
    Node n = last;
    if (n != null && n.path == client && n.client) {
      return n;
    }
    n = nodes.get(client);
    last = n;
    if (n == null || !n.client) {
      throw new IllegalArgumentException("unknown sorter client '" + client + "'");
    }
    return n;
  }

  /** Checks the invariants in the class comment; throws {@link IllegalStateException} if broken. */
  void checkInvariants() {
    check(root);
  }

  private Resources check(Node n) {
    Resources sum = n.client ? allocation(n.path) : Resources.EMPTY;
    if (n != root && !n.client && n.children.isEmpty()) {
      throw new IllegalStateException("node '" + n.path + "' is neither a client nor a parent");
    }
    if ((n.level != null) != (n == root || !n.children.isEmpty())) {
      throw new IllegalStateException("node '" + n.path + "' has a level " + (n.level != null)
          + " with " + n.children.size() + " children");
    }
    if (n.level != null) {
      if (n.client != n.level.contains(SELF)) {
        throw new IllegalStateException("node '" + n.path + "' has a wrong '.' entry");
      }
      for (Node c : n.children.values()) {
        Resources sub = check(c);
        if (!n.level.allocation(c.segment).equals(sub)) {
          throw new IllegalStateException("level '" + n.path + "' holds " + n.level.allocation(c.segment)
              + " for '" + c.segment + "' whose subtree holds " + sub);
        }
        sum = sum.add(sub);
      }
    }
    return sum;
  }
}
